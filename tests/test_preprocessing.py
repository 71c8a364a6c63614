"""Transformers for recordings: sklearn checks, behaviour, pipelines."""

import warnings

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

import brainestimators as be
from brainestimators.preprocessing import (
    BandPassFilter,
    FCDFeatures,
    FunctionalConnectivity,
    RecordingScaler,
)

from _data import hopf_recordings


TRANSFORMERS = [
    RecordingScaler(), BandPassFilter(low=0.5, high=2.0, sample_dt=100.0),
    FunctionalConnectivity(), FCDFeatures(window_size=3, step_size=1),
    be.GenerativeEmbedding(be.HopfRegressor(max_iter=2)),
]


@parametrize_with_checks(TRANSFORMERS)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", TRANSFORMERS, ids=lambda e: type(e).__name__)
def test_parameters_are_validated_by_sklearn(estimator):
    # parametrize_with_checks skips FCDFeatures (3-D input only) and runs
    # check_param_validation only where it can: run it on every transformer.
    check_param_validation(type(estimator).__name__, estimator)


@pytest.mark.parametrize("transformer", [RecordingScaler(with_mean="yes"),
                                         FunctionalConnectivity(fisher_z=1),
                                         FCDFeatures(window_size=1)])
def test_transform_without_fit_validates_the_parameters(transformer):
    # requires_fit=False: transform alone must not run on invalid settings.
    with pytest.raises(InvalidParameterError):
        transformer.transform(np.random.default_rng(0).normal(size=(2, 40, 3)))


def test_scaler_standardises_each_region_of_each_recording():
    X = np.random.default_rng(0).normal(5.0, 3.0, size=(3, 50, 4))
    Z = RecordingScaler().fit_transform(X)
    np.testing.assert_allclose(Z.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=1), 1, atol=1e-12)
    assert RecordingScaler().fit_transform(X[:, :, 0]).shape == (3, 50)


def test_band_pass_keeps_the_band_and_removes_the_rest():
    t = np.arange(2000) * 0.72
    slow, fast = np.sin(2 * np.pi * 0.05 * t), np.sin(2 * np.pi * 0.4 * t)
    Y = BandPassFilter(0.01, 0.1, sample_dt=720.0).fit_transform((slow + fast)[None, :, None])
    mid = slice(200, -200)
    assert np.corrcoef(Y[0, mid, 0], slow[mid])[0, 1] > 0.99


@pytest.mark.parametrize("kw,msg", [(dict(low=0.2, high=0.1), "must be <"),
                                    (dict(low=0.01, high=5.0), "Nyquist"),
                                    (dict(low=None, high=None), "Give low")])
def test_band_pass_rejects_bad_cutoffs(kw, msg):
    with pytest.raises(ValueError, match=msg):
        BandPassFilter(sample_dt=720.0, **kw).fit(np.zeros((1, 100, 2)))


def test_fc_features_match_numpy():
    X = np.random.default_rng(1).normal(size=(2, 300, 4))
    F = FunctionalConnectivity(vectorize=False).fit_transform(X)
    np.testing.assert_allclose(F[1], np.corrcoef(X[1].T), atol=1e-5)
    assert FunctionalConnectivity().fit_transform(X).shape == (2, 6)


def test_fc_features_do_not_depend_on_the_units_of_the_recordings():
    # braintools' FC overflowed float32 at 1e30 and returned zeros.
    X = np.random.default_rng(1).normal(size=(2, 300, 4))
    np.testing.assert_allclose(FunctionalConnectivity().fit_transform(1e30 * X),
                               FunctionalConnectivity().fit_transform(X), atol=1e-6)


def test_fcd_features():
    X = np.random.default_rng(2).normal(size=(2, 100, 5))
    H = FCDFeatures(window_size=20, step_size=10, n_bins=8).fit_transform(X)
    assert H.shape == (2, 8) and np.all(H >= 0)
    M = FCDFeatures(window_size=20, step_size=10, output="matrix").fit_transform(X)
    assert M.shape[1] == M.shape[2]
    for n_regions in (1, 2):  # 2 regions: one FC value per window, every FCD value equal
        with pytest.raises(ValueError, match="at least 3 regions"):
            FCDFeatures(window_size=20).fit_transform(X[:, :, :n_regions])


@pytest.mark.parametrize("window_size,step_size", [(100, 5), (60, 101), (91, 10)])
def test_fcd_histogram_of_a_single_window_is_refused(window_size, step_size):
    # One window has no FCD values: the histogram was NaN with a RuntimeWarning.
    X = np.random.default_rng(2).normal(size=(2, 100, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"makes 1 window\(s\).*needs 2.*smaller window"):
            FCDFeatures(window_size=window_size, step_size=step_size).fit_transform(X)
        M = FCDFeatures(window_size=window_size, step_size=step_size,
                        output="matrix").fit_transform(X)
    np.testing.assert_array_equal(M, np.ones((2, 1, 1)))


def test_fcd_features_are_finite_from_two_windows_and_refuse_longer_windows():
    X = np.random.default_rng(3).normal(size=(2, 100, 4))
    H = FCDFeatures(window_size=50, step_size=50, n_bins=4).fit_transform(X)
    assert np.all(np.isfinite(H)) and H.shape == (2, 4)
    with pytest.raises(ValueError, match="makes 0 window"):
        FCDFeatures(window_size=101, output="matrix").fit_transform(X)


def test_pipeline_with_scaler_and_grid_search_over_model_parameters():
    # 3 regions: the FC correlation of 2 regions cannot move (one FC value)
    X = hopf_recordings(a=0.8, n_samples=4, n_time=100, n_regions=3, noise=0.05)
    pipe = Pipeline([("z", RecordingScaler()),
                     ("model", be.HopfRegressor(w=0.3, initial_state={"x": 0.5}, noise_sigma=0.05,
                                                bounds={"a": (0.2, 1.5)}, max_iter=2,
                                                objective="fc_corr", random_state=0))])
    pipe.fit(X)
    assert pipe.predict(X).shape == X.shape
    gs = GridSearchCV(pipe, {"model__w": [0.25, 0.3]}, cv=KFold(2),
                      scoring=be.get_scorer("fc_corr")).fit(X)
    best = gs.cv_results_["params"][int(np.argmax(gs.cv_results_["mean_test_score"]))]
    assert gs.best_params_ == best and gs.best_estimator_["model"].w == best["model__w"]
