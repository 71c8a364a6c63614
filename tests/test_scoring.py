"""Objectives as scorers: signs, both data modes, one simulation per fold."""

import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold, cross_validate

import brainestimators as be
from brainestimators._evaluator import Evaluator

from _data import hopf_recordings

SIMILARITY = {"fc_corr", "fc_lag_corr", "cosine_sim", "fcd", "psd_corr", "envelope_fc"}


@pytest.fixture(scope="module")
def X():
    return hopf_recordings(a=0.8, n_samples=4, n_time=120, n_regions=3, noise=0.05)


def _fitted(X, a):
    est = be.HopfRegressor(a=a, w=0.3, initial_state={"x": 0.5}, noise_sigma=0.05,
                           bounds={"a": (a - 1e-3, a + 1e-3)}, init={"a": a}, max_iter=1,
                           random_state=0)
    return est.fit(X)


@pytest.mark.parametrize("name", sorted(be.OBJECTIVES))
def test_scorer_sign_prefers_the_better_model(X, name):
    scorer = be.get_scorer(name)
    # The data are the a = 0.8 model's own output (same noise), so it is the
    # known best model; a = 0.2 is a worse one, sharing the noise.
    truth = _fitted(X, 0.8)
    data = truth.predict(X)
    good, bad = scorer(truth, data), scorer(_fitted(X, 0.2), data)
    assert good > bad, (name, good, bad)
    if name in SIMILARITY:
        assert good <= 1.0 + 1e-6
    else:
        assert bad <= 0.0


def test_scorer_in_driven_mode_uses_y():
    rng = np.random.default_rng(0)
    drive = rng.uniform(-0.5, 0.5, size=(8, 2))
    truth = be.LinearRegressor(gamma=-2.0, bounds={"gamma": (-2.001, -1.999)}, duration=20.0,
                               max_iter=1).fit(drive, np.zeros(8))
    y = truth.predict(drive)
    scorer = be.get_scorer("mse")
    assert scorer(truth, drive, y) == pytest.approx(0.0, abs=1e-10)
    assert scorer(truth, drive, y + 1.0) == pytest.approx(-1.0, rel=1e-4)


def test_custom_callable_is_a_loss():
    X = hopf_recordings(n_samples=2, n_time=50, n_regions=2)
    est = _fitted(X, 0.8)
    scorer = be.make_objective_scorer(lambda p, t: jnp.mean(jnp.abs(p - t)))
    assert scorer(est, est.predict(X)) == pytest.approx(0.0, abs=1e-6)
    assert scorer(est, est.predict(X) + 0.5) == pytest.approx(-0.5, rel=1e-4)


def test_multi_metric_scoring_simulates_once_per_fold(X, monkeypatch):
    calls = []
    orig = Evaluator.__init__

    def counting_init(self, cfg):
        orig(self, cfg)
        inner = self.predict

        def predict(*a):
            calls.append(1)
            return inner(*a)

        self.predict = predict

    be.clear_cache()
    monkeypatch.setattr(Evaluator, "__init__", counting_init)
    est = be.HopfRegressor(w=0.3, initial_state={"x": 0.5}, noise_sigma=0.05,
                           bounds={"a": (0.2, 1.5)}, max_iter=2, random_state=0)
    scoring = be.get_scorers("fc_corr", "fcd_ks", "timeseries_rmse", "psd_corr")
    res = cross_validate(est, X, cv=KFold(2), scoring=scoring)
    assert set(res) >= {"test_fc_corr", "test_fcd_ks", "test_timeseries_rmse", "test_psd_corr"}
    assert len(calls) == 2  # one simulation per fold, shared by the four metrics
    be.clear_cache()


def test_grid_search_refit_on_a_named_metric(X):
    est = be.HopfRegressor(w=0.3, initial_state={"x": 0.5}, noise_sigma=0.05,
                           bounds={"a": (0.2, 1.5)}, max_iter=2, random_state=0)
    gs = GridSearchCV(est, {"w": [0.2, 0.3, 0.4]}, cv=KFold(2),
                      scoring=be.get_scorers("fc_corr", "timeseries_rmse"),
                      refit="timeseries_rmse")
    gs.fit(X)
    res = gs.cv_results_
    # refit follows the named metric (not the first one) ...
    assert gs.best_index_ == np.argmax(res["mean_test_timeseries_rmse"])
    assert res["rank_test_timeseries_rmse"][gs.best_index_] == 1
    # ... which finds the data's own frequency (a wrong w drifts out of phase)
    assert gs.best_params_ == {"w": 0.3}
    assert gs.best_estimator_.w == 0.3 and gs.best_estimator_.n_features_in_ == X.shape[1]


def test_diverged_prediction_scores_minus_inf():
    X = np.zeros((1, 40, 1))
    est = be.LinearRegressor(bounds={"noise_sigma": (0.01, 0.1)}, initial_state={"x": 1.0},
                             dt=1.0, max_iter=1, backend="nevergrad", random_state=0).fit(X)
    assert np.isfinite(est.score(X))
    est.set_params(gamma=5.0)  # x grows as exp(5 t): float32 overflows within 40 ms
    assert not np.all(np.isfinite(est.predict(X)))
    assert est.score(X) == -np.inf
    assert be.get_scorer("timeseries_rmse")(est, X) == -np.inf
