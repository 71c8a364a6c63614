"""The equivalences the design rests on, checked value by value.

- a batched GenerativeEmbedding row is the same fit as that subject alone;
- objective scorers memoise one simulation, but never across a refit, other
  parameters or other data;
- the compiled optimizer update is shared, its settings are not.
"""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import KFold, cross_validate

import brainestimators as be
from brainestimators.datasets import make_recordings

from _data import fc_corr_numpy as _fc_corr

# -- GenerativeEmbedding == one fit per subject ---------------------------------


@pytest.fixture(scope="module")
def subjects():
    """Four distinct noisy subjects (a = 0.3 ... 1.1, each with its own noise)."""
    return np.concatenate([
        make_recordings(be.HopfRegressor(a=a, w=0.3, initial_state={"x": 0.5},
                                         noise_sigma=0.05), 1, 80, 2, random_state=seed)
        for seed, a in enumerate([0.3, 0.55, 0.8, 1.1])])


@pytest.mark.parametrize("backend,kw", [
    pytest.param("grad", dict(max_iter=20, optimizer=be.Optax("adam", 0.1)), id="grad"),
    pytest.param("nevergrad", dict(max_iter=12, optimizer=be.Nevergrad("DE", 4)), id="nevergrad"),
    pytest.param("scipy", dict(max_iter=1, optimizer=be.Scipy("Nelder-Mead")), id="scipy"),
])
def test_embedding_rows_equal_separate_fits(subjects, backend, kw):
    est = be.HopfRegressor(w=0.3, initial_state={"x": 0.5}, noise_sigma=0.05,
                           bounds={"a": (0.1, 1.5)}, backend=backend, random_state=0, **kw)
    F = be.GenerativeEmbedding(est, include_loss=True).fit_transform(subjects)
    alone = [clone(est).fit(subjects[i:i + 1]) for i in range(len(subjects))]
    np.testing.assert_allclose(F[:, 0], [e.best_params_["a"] for e in alone], rtol=1e-4)
    np.testing.assert_allclose(F[:, 1], [e.best_loss_ for e in alone], rtol=1e-4)
    # the subjects really are distinct: a swap of rows would show
    assert len(np.unique(np.round(F[:, 0], 3))) == len(subjects)


# -- scorers: one simulation per fold, never a stale one ------------------------


@pytest.fixture(scope="module")
def cohort():
    rng = np.random.default_rng(0)
    C = rng.uniform(0, 1, (4, 4))
    np.fill_diagonal(C, 0)
    truth = be.HopfRegressor(a=-0.05, w=0.3, k=0.5, connectivity=C, noise_sigma=0.05, dt=0.5)
    return make_recordings(truth, 8, 120, random_state=0), C


def _network(C, **kw):
    kw = {"a": -0.05, "w": 0.3, "k": 0.5, "max_iter": 2, **kw}
    return be.HopfRegressor(connectivity=C, noise_sigma=0.05, dt=0.5, bounds={"k": (0.0, 1.0)},
                            objective="fc_corr", random_state=0, **kw)


def test_scorer_equals_an_independent_fc_correlation_and_follows_refits(cohort):
    X, C = cohort
    scorer = be.get_scorer("fc_corr")
    # enough steps that other data lead elsewhere (Adam's first step has the
    # same size whatever the gradient)
    est = _network(C, max_iter=6).fit(X[:4])
    first = scorer(est, X[:4])
    assert first == pytest.approx(_fc_corr(est.predict(X[:4]), X[:4]), abs=1e-5)
    # a refit of the same object on other data (same parameters): new best_params_
    fitted = dict(est.best_params_)
    est.fit(X[4:])
    assert est.best_params_ != fitted
    refit = scorer(est, X[:4])
    assert refit == pytest.approx(_fc_corr(est.predict(X[:4]), X[:4]), abs=1e-5)
    assert refit != first  # a stale memo would return exactly the first score
    # other data, same estimator: not the memoised simulation
    other = scorer(est, X[4:])
    assert other == pytest.approx(_fc_corr(est.predict(X[4:]), X[4:]), abs=1e-5)
    assert other != pytest.approx(refit, abs=1e-4)
    # other fixed parameters, no refit: predict follows them, so must the score
    est.set_params(w=0.6)
    moved = scorer(est, X[:4])
    assert moved == pytest.approx(_fc_corr(est.predict(X[:4]), X[:4]), abs=1e-5)
    assert moved != pytest.approx(refit, abs=1e-4)


def test_cross_validate_train_scores_are_their_own(cohort):
    X, C = cohort
    cv = KFold(2)
    res = cross_validate(_network(C), X, cv=cv, return_train_score=True, return_estimator=True,
                         scoring=be.get_scorers("fc_corr", "timeseries_rmse"))
    for fold, (train, test) in enumerate(cv.split(X)):
        est = res["estimator"][fold]
        for name, idx in (("train", train), ("test", test)):
            want = _fc_corr(est.predict(X[idx]), X[idx])
            assert res[f"{name}_fc_corr"][fold] == pytest.approx(want, abs=1e-5), (fold, name)
        assert res["train_fc_corr"][fold] != pytest.approx(res["test_fc_corr"][fold], abs=1e-4)
        assert res["train_timeseries_rmse"][fold] != pytest.approx(
            res["test_timeseries_rmse"][fold], abs=1e-4)


def test_cross_validate_scores_change_after_set_params(cohort):
    X, C = cohort
    est = _network(C)
    scoring = be.get_scorers("fc_corr", "timeseries_rmse")
    before = cross_validate(est, X, cv=KFold(2), scoring=scoring)
    est.set_params(w=0.6, k=0.1)
    after = cross_validate(est, X, cv=KFold(2), scoring=scoring)
    for key in ("test_fc_corr", "test_timeseries_rmse"):
        assert np.all(np.abs(before[key] - after[key]) > 1e-4), key


# -- optimizer settings under a shared compiled update ---------------------------


def _history(optimizer, X):
    return be.HopfRegressor(w=0.3, initial_state={"x": 0.5}, bounds={"a": (0.2, 1.5)},
                            init={"a": 0.3}, optimizer=optimizer, max_iter=5,
                            random_state=0).fit(X).history_


@pytest.fixture(scope="module")
def one_region():
    return make_recordings(be.HopfRegressor(a=0.8, w=0.3, initial_state={"x": 0.5}), 1, 60, 1)


def test_learning_rates_give_their_own_histories(one_region):
    slow = _history(be.Optax("adam", learning_rate=0.05), one_region)
    fast = _history(be.Optax("adam", learning_rate=0.2), one_region)
    assert slow[0] == fast[0]  # same start
    assert fast[-1] < slow[-1] - 1e-3  # larger steps went further downhill
    # the shared compiled update kept nothing from the other learning rate
    assert _history(be.Optax("adam", learning_rate=0.05), one_region) == slow


def test_momentum_settings_give_their_own_histories(one_region):
    plain = _history(be.Optax("sgd", learning_rate=0.05, options={"momentum": None}),
                     one_region)
    heavy = _history(be.Optax("sgd", learning_rate=0.05, options={"momentum": 0.9}),
                     one_region)
    assert plain[0] == heavy[0]
    assert heavy[-1] < plain[-1]  # momentum accumulates the downhill steps
