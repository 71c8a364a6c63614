"""Bad input raises a clear error naming the problem; divergence is a bad loss."""

import brainunit as u
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

import brainestimators as be

from _data import hopf_recordings

X = hopf_recordings(n_samples=2, n_time=30, n_regions=2)


def _est(**kw):
    kw.setdefault("bounds", {"a": (0.2, 1.5)})
    kw.setdefault("max_iter", 2)
    return be.HopfRegressor(w=0.3, initial_state={"x": 0.5}, random_state=0, **kw)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_recordings(bad):
    Xb = X.copy()
    Xb[0, 3, 1] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        _est().fit(Xb)


def test_non_finite_target_y():
    y = np.array([1.0, np.nan])
    with pytest.raises(ValueError, match="NaN"):
        _est().fit(np.ones((2, 2)), y)


def test_single_recording_needs_a_sample_axis():
    with pytest.raises(ValueError, match=r"X\[None\]"):
        _est().fit(X[0, :, 0])  # 1-D: time only
    with pytest.raises(ValueError, match=r"stack of recordings"):
        _est().fit(X[..., None])  # 4-D


def test_mismatched_sample_counts():
    with pytest.raises(ValueError, match="inconsistent numbers of samples|different numbers"):
        _est().fit(np.ones((3, 2)), np.ones(2))


def test_empty_data():
    with pytest.raises(ValueError, match="0 sample"):
        _est().fit(np.ones((0, 10, 2)))


def test_unknown_parameter_in_bounds():
    with pytest.raises(ValueError, match="unknown parameter 'alpha'"):
        _est(bounds={"alpha": (0, 1)}).fit(X)


@pytest.mark.parametrize("box", [(1.5, 0.2), (0.5, 0.5)])
def test_inverted_or_empty_bounds(box):
    with pytest.raises(ValueError, match="empty or inverted"):
        _est(bounds={"a": box}).fit(X)


@pytest.mark.parametrize("backend,optimizer", [("nevergrad", None), ("evosax", None),
                                               ("scipy", "differential_evolution")])
@pytest.mark.parametrize("box", [(None, None), (0.2, None)])
def test_open_box_with_a_backend_that_searches_a_box(backend, optimizer, box):
    # the message names the open end, not "no finite bounds"
    with pytest.raises(ValueError, match=r"is open at one end or both.*backend='grad'"):
        _est(bounds={"a": box}, backend=backend, optimizer=optimizer).fit(X)


@pytest.mark.parametrize("box", [(0.2, None), (None, 1.5)])
def test_half_open_box_with_scipy_local_methods_stays_inside(box):
    est = _est(bounds={"a": box}, backend="scipy", optimizer="L-BFGS-B", max_iter=2).fit(X)
    lo, hi = (-np.inf if box[0] is None else box[0]), (np.inf if box[1] is None else box[1])
    assert lo <= est.best_params_["a"] <= hi


def test_unbounded_parameter_is_fine_for_grad():
    est = _est(bounds={"a": (None, None)}, init={"a": 0.6}).fit(X)
    assert np.isfinite(est.best_loss_)


def test_target_units_of_wrong_dimension():
    est = be.MontbrioPazoRoxinRegressor(max_iter=1)
    with pytest.raises(ValueError, match="units mV.*Hz"):
        est.fit(np.ones((1, 20, 1)) * u.mV)


def test_target_units_are_converted():
    est = be.MontbrioPazoRoxinRegressor(max_iter=1, random_state=0)
    a = est.fit(np.full((1, 20, 1), 2.0) * u.Hz).best_loss_
    b = be.MontbrioPazoRoxinRegressor(max_iter=1, random_state=0).fit(
        np.full((1, 20, 1), 0.002) * u.kHz).best_loss_
    assert a == pytest.approx(b, rel=1e-5)


def test_bounds_as_quantities_and_wrong_units():
    est = be.WilsonCowanRegressor(bounds={"tau_E": (0.5 * u.ms, 2.0 * u.ms)}, max_iter=1)
    est.fit(np.ones((1, 20, 1)) * 0.1)
    assert 0.5 <= est.best_params_["tau_E"] <= 2.0
    with pytest.raises(ValueError, match="bounds\\['tau_E'\\] has units mV"):
        be.WilsonCowanRegressor(bounds={"tau_E": (0.5 * u.mV, 2.0 * u.mV)}).fit(np.ones((1, 20, 1)))


def test_optimizer_that_does_not_fit_the_backend():
    with pytest.raises(TypeError, match="does not fit backend='grad'"):
        _est(optimizer=be.Nevergrad()).fit(X)
    with pytest.raises(TypeError, match="'optimizer' parameter of HopfRegressor must be"):
        _est(backend="nevergrad", optimizer=3.0).fit(X)


def test_unknown_backend_objective_and_method():
    with pytest.raises(ValueError, match="'backend' parameter of HopfRegressor must be a str"):
        _est(backend="adam").fit(X)
    with pytest.raises(ValueError, match="'objective' parameter .* Got 'fc_cor'"):
        _est(objective="fc_cor").fit(X)
    with pytest.raises(ValueError, match="nevergrad has no optimizer named 'Nope'"):
        _est(backend="nevergrad", optimizer="Nope").fit(X)


def test_unknown_model_and_model_params():
    with pytest.raises(ValueError, match="Unknown model 'Hopff'"):
        be.NeuralMassRegressor("Hopff").fit(X)
    with pytest.raises(ValueError, match="unknown parameters \\['aa'\\]"):
        be.NeuralMassRegressor("Hopf", model_params={"aa": 1.0}).fit(X)


def test_init_outside_bounds_or_not_fitted():
    with pytest.raises(ValueError, match="outside bounds"):
        _est(init={"a": 3.0}).fit(X)
    with pytest.raises(ValueError, match="not fitted"):
        _est(init={"w": 0.3}).fit(X)


def test_predict_before_fit():
    with pytest.raises(NotFittedError):
        _est().predict(X)


def test_region_mismatch_at_predict():
    est = _est().fit(X)
    with pytest.raises(ValueError, match="features|regions"):
        est.predict(np.ones((2, 30, 3)))


def test_connectivity_shape_and_coupling_without_connectivity():
    with pytest.raises(ValueError, match="square"):
        _est(connectivity=np.ones((2, 3))).fit(X)
    with pytest.raises(ValueError, match="no connectivity"):
        _est(bounds={"k": (0.0, 1.0)}).fit(X)


def test_diverging_candidates_are_bad_losses_and_the_fit_continues():
    # A linear node grows without bound for gamma > 0: half the box overflows.
    est = be.LinearRegressor(bounds={"gamma": (-20.0, 20.0)}, initial_state={"x": 1.0},
                             backend="nevergrad", max_iter=4, dt=1.0, random_state=0)
    est.fit(np.zeros((1, 300, 1)))
    assert np.isinf(est.history_).any() and np.isfinite(est.best_loss_)


def test_every_candidate_diverging_is_an_error():
    est = be.LinearRegressor(bounds={"gamma": (1e3, 1e4)}, initial_state={"x": 1.0},
                             backend="nevergrad", max_iter=2, dt=1.0)
    with pytest.raises(ValueError, match="Every evaluated candidate diverged"):
        est.fit(np.zeros((1, 300, 1)))


def test_unknown_parameter_in_grid_search():
    from sklearn.model_selection import GridSearchCV

    with pytest.raises(ValueError, match="Invalid parameter 'aa'"):
        GridSearchCV(_est(), {"aa": [1.0, 2.0]}, cv=2).fit(hopf_recordings(n_samples=4, n_time=20))


def test_keyboard_interrupt_keeps_the_best_parameters():
    def interrupt(state):
        if state.n_iter == 3:
            raise KeyboardInterrupt

    est = _est(max_iter=50, callback=interrupt, backend="nevergrad")
    with pytest.warns(RuntimeWarning, match="stopped early \\(interrupted\\)"):
        est.fit(X)
    assert est.stop_reason_ == "interrupted" and est.n_iter_ == 3
    assert est.best_loss_ == min(est.history_) and 0.2 <= est.best_params_["a"] <= 1.5


def test_callback_must_be_callable():
    with pytest.raises(TypeError, match="'callback' parameter of HopfRegressor must be a callable"):
        _est(callback=3).fit(X)
