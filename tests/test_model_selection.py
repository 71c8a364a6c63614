"""Cross-validation across subjects on a synthetic cohort."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    LeaveOneGroupOut,
    cross_val_score,
    cross_validate,
)

import brainestimators as be

from _data import fc_corr_numpy, hopf_recordings


@pytest.fixture(scope="module")
def cohort():
    """5 subjects x 2 sessions; subjects differ only by noise."""
    X = hopf_recordings(a=0.8, n_samples=10, n_time=80, n_regions=3, noise=0.05, seed=3)
    groups = np.repeat(np.arange(5), 2)
    return X, groups


def _est(**kw):
    kw.setdefault("bounds", {"a": (0.2, 1.5)})
    return be.HopfRegressor(w=0.3, initial_state={"x": 0.5}, noise_sigma=0.05, max_iter=2,
                            random_state=0, **kw)


def test_cross_val_score_across_subjects(cohort):
    X, _ = cohort
    est, cv = _est(objective="fc_corr"), KFold(5)
    scores = cross_val_score(est, X, cv=cv)
    # each fold's score is the held-out FC correlation of that fold's fit (fits
    # are deterministic, so a refit of the fold reproduces it)
    want = [fc_corr_numpy(clone(est).fit(X[train]).predict(X[test]), X[test])
            for train, test in cv.split(X)]
    np.testing.assert_allclose(scores, want, atol=1e-4)  # float32 simulation


def test_group_splitters_keep_sessions_of_a_subject_together(cohort):
    X, groups = cohort
    for cv in (GroupKFold(n_splits=5), LeaveOneGroupOut()):
        res = cross_validate(_est(), X, groups=groups, cv=cv,
                             scoring=be.get_scorers("timeseries_rmse", "fc_corr"),
                             return_estimator=True, return_indices=True)
        tests = res["indices"]["test"]
        assert len(tests) == 5
        # every test fold is both sessions of one subject, never seen in training
        for train, test in zip(res["indices"]["train"], tests):
            assert len(set(groups[test])) == 1 and len(test) == 2
            assert not set(groups[train]) & set(groups[test])
        assert sorted(np.concatenate(tests).tolist()) == list(range(len(X)))
        # ... and each score is that fold's own held-out FC correlation
        for est, test, score in zip(res["estimator"], tests, res["test_fc_corr"]):
            assert score == pytest.approx(fc_corr_numpy(est.predict(X[test]), X[test]),
                                          abs=1e-4)


def test_grid_search_over_model_parameter_backend_and_optimizer_settings(cohort):
    X, _ = cohort
    grid = [
        {"w": [0.25, 0.3]},
        {"backend": ["grad"], "optimizer": [be.Optax("adam", 0.05)],
         "optimizer__learning_rate": [0.05, 0.2]},
        {"backend": ["nevergrad"], "optimizer": [be.Nevergrad("DE", n_sample=4)],
         "optimizer__n_sample": [4, 6]},
        {"backend": ["scipy"], "optimizer": [be.Scipy("Nelder-Mead")]},
    ]
    gs = GridSearchCV(_est(), grid, cv=KFold(2), scoring=be.get_scorer("timeseries_rmse"))
    gs.fit(X[:4])
    res = gs.cv_results_
    assert len(res["params"]) == 7 and np.all(np.isfinite(res["mean_test_score"]))
    assert gs.best_index_ == np.argmax(res["mean_test_score"])
    # (that the learning rate reaches the fit: tests/test_equivalence.py)


def test_grid_search_4_candidates_5_folds_compiles_a_bounded_number_of_times(cohort):
    X, _ = cohort
    be.clear_cache()
    gs = GridSearchCV(_est(), {"w": [0.2, 0.25, 0.3, 0.35]}, cv=KFold(5)).fit(X)
    info = be.cache_info()
    # one configuration; its loss traced for the train shape (grad), the test
    # shape (score) and the refit shape -- not once per candidate x fold (20)
    assert info["evaluators"] == 1 and info["traces"]["loss"] <= 4, info
    assert gs.best_estimator_.best_params_
