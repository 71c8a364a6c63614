"""Estimators in worker processes: joblib's loky backend, a Dask LocalCluster and Ray."""

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold, cross_validate

import brainestimators as be

from _data import hopf_recordings


@pytest.fixture(scope="module")
def X():
    return hopf_recordings(a=0.8, n_samples=4, n_time=60, n_regions=2, noise=0.05)


def _search(n_jobs):
    est = be.HopfRegressor(w=0.3, initial_state={"x": 0.5}, noise_sigma=0.05,
                           bounds={"a": (0.2, 1.5)}, backend="nevergrad", max_iter=2,
                           random_state=0)
    return GridSearchCV(est, {"w": [0.25, 0.3, 0.35]}, cv=KFold(2), n_jobs=n_jobs,
                        scoring=be.get_scorer("timeseries_rmse"))


def test_loky_grid_search_and_cross_validate_match_sequential(X):
    seq = _search(1).fit(X)
    par = _search(2).fit(X)
    assert par.best_params_ == seq.best_params_
    np.testing.assert_allclose(par.cv_results_["mean_test_score"],
                               seq.cv_results_["mean_test_score"])
    res = cross_validate(seq.best_estimator_, X, cv=KFold(2), n_jobs=2,
                         scoring=be.get_scorers("fc_corr", "timeseries_rmse"))
    assert np.all(np.isfinite(res["test_timeseries_rmse"]))


@pytest.mark.timeout(300)
def test_dask_local_cluster_grid_search_matches_sequential(X):
    distributed = pytest.importorskip("distributed")
    seq = _search(1).fit(X)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster, timeout="60s"):
        with joblib.parallel_backend("dask"):
            par = _search(-1).fit(X)
    assert par.best_params_ == seq.best_params_
    np.testing.assert_allclose(par.cv_results_["mean_test_score"],
                               seq.cv_results_["mean_test_score"])


@pytest.mark.timeout(300)
def test_ray_joblib_backend_grid_search_matches_sequential(X):
    # the README's "Ray works the same way": a local two-CPU Ray instance
    ray = pytest.importorskip("ray")
    from ray.util.joblib import register_ray

    seq = _search(1).fit(X)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        register_ray()
        with joblib.parallel_backend("ray"):
            par = _search(-1).fit(X)
    finally:
        ray.shutdown()
    assert par.best_params_ == seq.best_params_
    np.testing.assert_allclose(par.cv_results_["mean_test_score"],
                               seq.cv_results_["mean_test_score"])
