"""The backend registry and the one loop each backend runs for single and per-row fits."""

import importlib.util
import warnings

import numpy as np
import pytest
from sklearn.base import clone

import brainestimators as be
from brainestimators.datasets import make_recordings

HAS_EVOSAX = importlib.util.find_spec("evosax") is not None

# (backend, optimizer, max_iter): small searches of every registered backend
SEARCHES = {
    "grad": [("grad", be.Optax("adam", 0.3), 30)],
    "nevergrad": [("nevergrad", be.Nevergrad("DE", 6), 8)],
    "scipy": [("scipy", be.Scipy("Nelder-Mead"), 2), ("scipy", be.Scipy("L-BFGS-B"), 2),
              ("scipy", be.Scipy("differential_evolution", popsize=4), 4)],
    "evosax": [pytest.param("evosax", be.Evosax("CMA_ES", popsize=6), 8, marks=pytest.mark.skipif(
        not HAS_EVOSAX, reason="needs the evosax extra"))],
}
ALL = [s for name in be.BACKENDS for s in SEARCHES[name]]


def test_every_registered_backend_is_tested_and_exported():
    assert set(SEARCHES) == set(be.BACKENDS)
    for b in be.BACKENDS.values():
        assert getattr(be, b.settings.__name__) is b.settings
        assert b.settings.__name__ in be.__all__ and b.summary and b.max_iter


@pytest.fixture(scope="module")
def subjects():
    """Four distinct noise-free subjects of a 1-region Hopf model."""
    return np.concatenate([
        make_recordings(be.HopfRegressor(a=a, w=0.3, initial_state={"x": 0.5}, dt=0.5), 1, 60, 1)
        for a in (0.3, 0.9, 2.0, 5.0)])


@pytest.mark.parametrize("backend,optimizer,max_iter", ALL)
def test_a_row_of_a_per_row_fit_is_its_own_fit(subjects, backend, optimizer, max_iter):
    est = be.HopfRegressor(w=0.3, initial_state={"x": 0.5}, dt=0.5, bounds={"a": (0.1, 8.0)},
                           init={"a": 1.0}, backend=backend, optimizer=optimizer,
                           max_iter=max_iter, random_state=0)
    rows = est.fit_rows(subjects)
    singles = [clone(est).fit(subjects[i:i + 1]) for i in range(len(subjects))]
    assert len(set(np.round(rows.theta[:, 0], 4))) == 4  # distinct subjects, distinct fits
    for i, single in enumerate(singles):
        assert rows.theta[i, 0] == pytest.approx(single.best_params_["a"], rel=1e-4)
        assert rows.loss[i] == pytest.approx(single.best_loss_, rel=1e-4, abs=1e-7)
        # float32: the batched and the single program round differently, and 30 Adam
        # steps at lr 0.3 carry that to ~5e-7 on the smallest losses (seen on jax 0.12)
        np.testing.assert_allclose(rows.history[i], single.history_, rtol=1e-4, atol=2e-6)
        assert rows.n_iter[i] == single.n_iter_ and rows.converged[i] == single.converged_


def test_diverging_grad_rows_step_back_like_single_fits():
    """The per-row loop used to zero a diverged row's gradient (a stuck row, or an
    Adam momentum step), the single loop to step halfway back: one loop now."""
    X = np.concatenate([make_recordings(be.LinearRegressor(gamma=g, initial_state={"x": 1.0}),
                                        1, 200, 1) for g in (-0.05, -0.2, -0.5, -1.0)])
    est = be.LinearRegressor(initial_state={"x": 1.0}, bounds={"gamma": (-2.0, 5.0)},
                             init={"gamma": 4.5}, optimizer=be.Optax("adam", 0.3), max_iter=40,
                             random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow of the diverging runs
        rows = est.fit_rows(X)
        singles = [clone(est).fit(X[i:i + 1]) for i in range(4)]
    for i, single in enumerate(singles):
        assert np.isinf(single.history_[0])  # gamma = 4.5 overflows float32
        assert rows.theta[i, 0] == pytest.approx(single.best_params_["gamma"], rel=1e-4)
        assert rows.theta[i, 0] < 0  # it came back from the diverging start
    assert np.all(np.diff(rows.theta[:, 0]) < 0)  # ordered like the truth after 40 steps


def test_optax_option_values_key_the_compiled_update(subjects):
    """Optax('sgd', momentum=None) then momentum=0.9 must not reuse the first transform."""
    def history(**opt):
        return be.HopfRegressor(w=0.3, initial_state={"x": 0.5}, dt=0.5,
                                bounds={"a": (0.1, 8.0)}, init={"a": 1.0}, max_iter=6,
                                optimizer=be.Optax("sgd", **opt)).fit(subjects[:1]).history_

    plain = history(learning_rate=0.5, options={"momentum": None})
    momentum = history(learning_rate=0.5, options={"momentum": 0.9})
    assert plain[:2] == momentum[:2] and plain[2:] != momentum[2:]  # momentum acts from step 2
    assert history(learning_rate=0.5, options={"momentum": None}) == plain
    # a learning-rate grid shares one compiled update, each with its own rate
    assert history(learning_rate=0.05, options={"momentum": None})[1:] != plain[1:]


def test_evosax_runs_the_generation_loop_compiled(subjects):
    pytest.importorskip("evosax")
    est = be.HopfRegressor(w=0.3, initial_state={"x": 0.5}, dt=0.5, bounds={"a": (0.1, 8.0)},
                           backend="evosax", optimizer=be.Evosax("DifferentialEvolution",
                                                                 popsize=8),
                           max_iter=20, random_state=0).fit(subjects[1:2])
    assert est.best_params_["a"] == pytest.approx(0.9, rel=0.02)
    assert len(est.history_) == 8 + 20 * 8  # initial population + 20 generations
    with pytest.raises(ValueError, match="evosax has no algorithm 'Nope'"):
        clone(est).set_params(optimizer="Nope").fit(subjects[:1])
    with pytest.raises(ValueError, match="has no parameters \\['nope'\\]"):
        clone(est).set_params(optimizer=be.Evosax("CMA_ES", options={"nope": 1})).fit(
            subjects[:1])


def test_settings_reject_the_wrong_backend_and_unknown_names():
    with pytest.raises(TypeError, match="does not fit backend='scipy'"):
        be.HopfRegressor(backend="scipy", optimizer=be.Optax()).fit(np.zeros((1, 10, 1)))
    with pytest.raises(ValueError, match="Nevergrad has no parameters|nevergrad has no"):
        be.HopfRegressor(backend="nevergrad", optimizer="Nope").fit(np.zeros((1, 10, 1)))
