"""Regression tests of the defects found by probing the package as a user (issue 12).

Each test fails on the code before the fix; the objective-side defects (D2,
D3, D13, D14, D17) are in ``test_objectives.py`` and ``test_preprocessing.py``.
"""

import brainunit as u
import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

import brainestimators as be
from brainestimators.datasets import make_recordings

TRUTH = be.HopfRegressor(a=1.0, w=0.3, initial_state={"x": 0.5})


@pytest.fixture(scope="module")
def X():
    return make_recordings(TRUTH, n_samples=2, n_time=50, n_regions=2, random_state=0)


def _est(**kw):
    kw.setdefault("bounds", {"a": (0.2, 1.5)})
    kw.setdefault("max_iter", 3)
    return be.HopfRegressor(w=0.3, initial_state={"x": 0.5}, random_state=0, **kw)


@pytest.mark.parametrize("box,inside", [((0.5, None), lambda a: a >= 0.5),
                                        ((None, -0.7), lambda a: a <= -0.7)])
def test_d1_grad_honours_one_sided_bounds(box, inside):
    Xd = make_recordings(be.HopfRegressor(a=-0.5, w=0.3, initial_state={"x": 0.5}), 1, 100, 1,
                         random_state=0)
    init = 1.0 if box[0] is not None else -1.0
    est = be.HopfRegressor(bounds={"a": box}, init={"a": init}, initial_state={"x": 0.5},
                           w=0.3, max_iter=200, optimizer=be.Optax("adam", learning_rate=0.2)
                           ).fit(Xd)
    assert inside(est.best_params_["a"]), est.best_params_
    # the truth (-0.5) is outside the box: the best point sits at the open box's edge
    edge = box[0] if box[0] is not None else box[1]
    assert est.best_params_["a"] == pytest.approx(edge, abs=0.05)


def test_d4_predict_score_and_simulate_take_any_length(X):
    est = _est(objective="timeseries_rmse").fit(X)
    short = X[:, :30]
    assert est.predict(short).shape == short.shape
    assert np.isfinite(est.score(short))
    assert est.simulate(2, X=short).shape == (2, 30, 2)
    assert est.simulate(2, n_time=70).shape == (2, 70, 2)
    assert est.n_features_in_ == X.shape[1]
    with pytest.raises(ValueError, match="3 regions; the model was fitted with 2"):
        est.predict(np.zeros((1, 30, 3)))


def test_d5_per_region_init_of_wrong_length_is_an_error(X):
    with pytest.raises(ValueError, match=r"init\['a'\] has 3 values; give one, or 2"):
        _est(per_region=["a"], init={"a": [0.3, 0.4, 0.5]}).fit(X)
    est = _est(per_region=["a"], init={"a": [0.3, 0.4]}, max_iter=1,
               optimizer=be.Optax("sgd", learning_rate=1e-9)).fit(X)
    np.testing.assert_allclose(est.best_params_["a"], [0.3, 0.4], rtol=1e-4)


def test_d6_noise_level_cannot_be_fitted_negative(X):
    with pytest.raises(ValueError, match="noise_sigma.*below 0.*a noise level"):
        _est(bounds={"a": (0, 2), "noise_sigma": (-1, -0.5)}).fit(X)


@pytest.mark.parametrize("make", [
    lambda: _est(optimizer=be.Optax("adam", learning_rate=np.nan)),
    lambda: _est(tol=np.nan, n_iter_no_change=1),
    lambda: _est(transient=np.nan),
    lambda: _est(dt=np.nan),
    lambda: _est(backend="nevergrad", optimizer=be.Nevergrad("DE", n_sample=0)),
    lambda: _est(backend="nevergrad", optimizer={"method": "DE", "n_sample": 0}),
])
def test_d7_d8_d15_nan_and_empty_settings_are_refused(X, make):
    with pytest.raises(InvalidParameterError, match="parameter of .* must be"):
        make().fit(X)


def test_d9_a_numpy_true_from_the_callback_stops(X):
    est = _est(max_iter=50, callback=lambda s: np.float64(s.n_iter) >= 2.0)
    with pytest.warns(RuntimeWarning, match="stopped early"):
        est.fit(X)
    assert est.n_iter_ == 2 and est.stop_reason_ == "callback"


def test_d10_embedding_raises_for_a_row_that_diverges_everywhere(X):
    Xb = X.copy()
    Xb[1] *= 1e30
    emb = be.GenerativeEmbedding(_est(objective="mse"))  # squares of 1e30 overflow float32
    with pytest.raises(ValueError, match=r"diverged .* for rows \[1\]"):
        emb.fit_transform(Xb)


def test_d11_embedding_refuses_other_region_counts(X):
    emb = be.GenerativeEmbedding(_est(per_region=["a"], max_iter=1)).fit(X)
    assert list(emb.get_feature_names_out()) == ["a[0]", "a[1]"]
    X3 = make_recordings(TRUTH, 2, 50, 3, random_state=0)
    with pytest.raises(ValueError, match="X has 3 regions.*fitted on 2"):
        emb.transform(X3)


def test_d12_trajectory_target_longer_than_the_drive_is_an_error():
    rng = np.random.default_rng(0)
    est = be.LinearRegressor(bounds={"gamma": (-5.0, -0.5)}, max_iter=1)
    with pytest.raises(ValueError, match="trajectory target y of 40 samples needs"):
        est.fit(rng.normal(size=(3, 20, 1)), rng.normal(size=(3, 40, 1)))


def test_d16_per_region_as_a_string_is_one_name(X):
    est = _est(bounds={"a": (0.2, 1.5), "noise_sigma": (0.0, 0.1)}, per_region="noise_sigma",
               max_iter=1).fit(X)
    assert isinstance(est.best_params_["noise_sigma"], list)
    assert len(est.best_params_["noise_sigma"]) == 2 and isinstance(est.best_params_["a"], float)


def test_time_parameters_take_quantities(X):
    a = _est(transient=1 * u.ms, dt=0.1 * u.ms, max_iter=1).fit(X)
    b = _est(transient=1.0, dt=0.1, max_iter=1).fit(X)
    assert a.best_loss_ == b.best_loss_
    with pytest.raises(ValueError, match="transient has units mV"):
        _est(transient=1 * u.mV).fit(X)


def test_constraints_are_honoured_by_scipy_slsqp():
    """Seed 002: scipy constraints on the fitted parameters, by name."""
    Xc = make_recordings(be.HopfRegressor(a=0.8, w=0.3, initial_state={"x": 0.5}), 1, 150, 1)
    ratio = {"type": "eq", "fun": lambda p: p["w"] - 0.5 * p["a"]}  # w = a / 2
    est = be.HopfRegressor(initial_state={"x": 0.5}, bounds={"a": (0.2, 1.5), "w": (0.1, 1.0)},
                           init={"a": 0.6, "w": 0.3}, backend="scipy", optimizer="SLSQP",
                           constraints=[ratio], max_iter=1).fit(Xc)
    p = est.best_params_
    assert p["w"] == pytest.approx(0.5 * p["a"], abs=1e-4)
    free = be.HopfRegressor(initial_state={"x": 0.5}, bounds={"a": (0.2, 1.5), "w": (0.1, 1.0)},
                            init={"a": 0.6, "w": 0.3}, backend="scipy", optimizer="SLSQP",
                            max_iter=1).fit(Xc)
    assert free.best_params_["w"] == pytest.approx(0.3, abs=0.01)  # unconstrained: the truth
    for backend, optimizer in (("grad", None), ("nevergrad", None), ("scipy", "L-BFGS-B")):
        with pytest.raises(ValueError, match="constraints are honoured by backend='scipy'"):
            be.HopfRegressor(bounds={"a": (0.2, 1.5), "w": (0.1, 1.0)}, backend=backend,
                             optimizer=optimizer, constraints=[ratio]).fit(Xc)
