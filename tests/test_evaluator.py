"""One compiled evaluator per static configuration, shared across clones and folds."""

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold

import brainestimators as be
from brainestimators._evaluator import box, unbox

from _data import hopf_recordings


def _est(**kw):
    return be.HopfRegressor(w=0.3, initial_state={"x": 0.5}, bounds={"a": (0.2, 1.5)},
                            max_iter=3, random_state=0, **kw)


def test_grid_search_compiles_once_per_static_configuration():
    X = hopf_recordings(n_samples=6, n_time=60)
    be.clear_cache()
    GridSearchCV(_est(), {"w": [0.25, 0.3]}, cv=KFold(3)).fit(X)  # 2 candidates x 3 folds
    first = be.cache_info()
    assert first["evaluators"] == 1
    # value_and_grad (train shape), loss (test shape), value_and_grad (refit shape)
    assert first["traces"]["loss"] <= 4
    # more candidates, other fixed values, same shapes: nothing new is compiled
    GridSearchCV(_est(), {"w": [0.2, 0.22, 0.27, 0.35], "beta": [1.0]}, cv=KFold(3)).fit(X)
    assert be.cache_info() == first


def test_clone_reuses_the_compiled_evaluator():
    X = hopf_recordings(n_samples=2, n_time=40)
    est = _est().fit(X)
    before = be.cache_info()
    clone(est).set_params(a=0.7, w=0.31).fit(X)
    assert be.cache_info() == before


def test_other_objective_or_shape_is_a_new_configuration():
    X = hopf_recordings(n_samples=2, n_time=40)
    _est().fit(X)
    n = be.cache_info()["evaluators"]
    _est(objective="fc_rmse").fit(X)
    assert be.cache_info()["evaluators"] == n + 1


def test_box_maps_into_bounds_and_back():
    lo, hi = jnp.array([0.05, -1.0, -jnp.inf]), jnp.array([3.0, 1.0, jnp.inf])
    z = jnp.array([-30.0, 0.3, 2.5])
    theta = box(z, lo, hi)
    assert bool(jnp.all(theta[:2] >= lo[:2])) and bool(jnp.all(theta[:2] <= hi[:2]))
    assert float(theta[2]) == 2.5  # unbounded: identity
    np.testing.assert_allclose(unbox(box(jnp.array([0.4, -0.2, 1.0]), lo, hi), lo, hi),
                               [0.4, -0.2, 1.0], rtol=1e-4)
    g = jax.grad(lambda z: box(z, lo, hi).sum())(jnp.zeros(3))
    assert bool(jnp.all(jnp.isfinite(g)))


def test_candidates_are_evaluated_in_one_vmapped_call():
    X = hopf_recordings(n_samples=2, n_time=40)
    calls = []
    est = _est(backend="nevergrad", optimizer=be.Nevergrad("DE", n_sample=5))
    est.fit(X)
    from brainestimators._evaluator import _EVALUATORS

    ev = _EVALUATORS.values()[-1]  # the most recently used: this fit's
    orig = ev.rows_loss

    def spy(thetas, *args):
        calls.append(thetas.shape)
        return orig(thetas, *args)

    ev.rows_loss = spy
    try:
        _est(backend="nevergrad", optimizer=be.Nevergrad("DE", n_sample=5)).fit(X)
    finally:
        ev.rows_loss = orig
    # one call per generation, all candidates (of the one row) at once
    assert calls == [(1, 5, 1)] * 3
