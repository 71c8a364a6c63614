"""Property-based checks over shapes and bounds (hypothesis)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import brainestimators as be
from brainestimators._evaluator import box, unbox

FAST = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(n_samples=st.integers(1, 3), n_time=st.integers(2, 12), n_regions=st.integers(1, 3),
       flat=st.booleans())
def test_predict_keeps_the_shape_of_any_recording_stack(n_samples, n_time, n_regions, flat):
    rng = np.random.default_rng(n_samples * 100 + n_time * 10 + n_regions)
    X = rng.normal(size=(n_samples, n_time) if flat else (n_samples, n_time, n_regions))
    est = be.LinearRegressor(bounds={"gamma": (-5.0, -0.5)}, max_iter=1).fit(X)
    assert est.predict(X).shape == X.shape and np.isfinite(est.best_loss_)


@FAST
@given(lo=st.floats(-100, 100, allow_nan=False), width=st.floats(1e-3, 100, allow_nan=False),
       frac=st.floats(0.01, 0.99))
def test_box_round_trip_stays_inside_any_bounds(lo, width, frac):
    import jax.numpy as jnp

    hi = lo + width
    theta = jnp.asarray([lo + frac * width], jnp.float32)
    back = box(unbox(theta, jnp.asarray([lo]), jnp.asarray([hi])), jnp.asarray([lo]),
               jnp.asarray([hi]))
    assert lo - 1e-3 * width <= float(back[0]) <= hi + 1e-3 * width
    assert float(back[0]) == pytest.approx(float(theta[0]), abs=1e-3 * width + 1e-4)


@FAST
@given(a=st.floats(-10, 10, allow_nan=False), b=st.floats(-10, 10, allow_nan=False))
def test_any_pair_of_bounds_is_accepted_or_rejected_clearly(a, b):
    est = be.LinearRegressor(bounds={"gamma": (a, b)}, backend="nevergrad", max_iter=1)
    X = np.zeros((1, 5, 1))
    if a < b:
        est.fit(X)
        assert a <= est.best_params_["gamma"] <= b
    else:
        with pytest.raises(ValueError, match="empty or inverted"):
            est.fit(X)


# -- the parameter space of the user probes (issue 12) ----------------------

def _finite_or_none(lo, hi):
    return st.one_of(st.none(), st.floats(lo, hi, allow_nan=False))


@FAST
@given(lo=_finite_or_none(-3, 0.4), hi=_finite_or_none(0.6, 3), start=st.floats(-0.9, 0.9))
def test_grad_stays_inside_any_box_open_or_not(lo, hi, start):
    X = np.exp(-0.5 * np.arange(20.0))[None, :, None]  # a decay at gamma = -5 (dt 0.1)
    inside = (lo is None or lo <= start) and (hi is None or start <= hi)
    est = be.LinearRegressor(initial_state={"x": 1.0}, bounds={"gamma": (lo, hi)},
                             init={"gamma": start}, max_iter=3,
                             optimizer=be.Optax("adam", learning_rate=2.0))
    if not inside:
        with pytest.raises(ValueError, match="outside bounds"):
            est.fit(X)
        return
    g = est.fit(X).best_params_["gamma"]
    assert (lo is None or g >= lo) and (hi is None or g <= hi)


BAD_VALUES = [np.nan, np.inf, -np.inf, -1.0, 0.0]
BAD = st.sampled_from(BAD_VALUES)


@pytest.mark.parametrize("value", BAD_VALUES)
@pytest.mark.parametrize("name", ["tol", "max_iter", "dt", "transient", "duration",
                                  "n_iter_no_change", "noise_sigma", "sample_dt", "speed"])
def test_nan_negative_or_infinite_settings_are_refused_or_valid(name, value):
    # every combination, not a sample: the probes found NaN accepted
    from sklearn.utils._param_validation import InvalidParameterError

    valid = {("tol", 0.0), ("transient", 0.0), ("noise_sigma", 0.0)}
    est = be.LinearRegressor(**{"bounds": {"gamma": (-5.0, -0.5)}, "max_iter": 1, name: value})
    X = np.zeros((1, 5, 1))
    if (name, value) in valid:
        est.fit(X)
        return
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        est.fit(X)


@FAST
@given(value=BAD, name=st.sampled_from(["learning_rate"]))
def test_optimizer_settings_refuse_bad_values(value, name):
    from sklearn.utils._param_validation import InvalidParameterError

    est = be.LinearRegressor(bounds={"gamma": (-5.0, -0.5)}, max_iter=1,
                             optimizer=be.Optax("adam", **{name: value}))
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of Optax"):
        est.fit(np.zeros((1, 5, 1)))


@FAST
@given(n_fit=st.integers(2, 12), n_pred=st.integers(1, 20), n_regions=st.integers(1, 3))
def test_a_fitx_model_predicts_and_scores_recordings_of_any_length(n_fit, n_pred, n_regions):
    rng = np.random.default_rng(n_fit * 100 + n_pred)
    est = be.LinearRegressor(bounds={"gamma": (-5.0, -0.5)}, max_iter=1).fit(
        rng.normal(size=(2, n_fit, n_regions)))
    Xp = rng.normal(size=(3, n_pred, n_regions))
    assert est.predict(Xp).shape == Xp.shape and np.isfinite(est.score(Xp))
    assert est.simulate(2, n_time=n_pred).shape == (2, n_pred, n_regions)


@FAST
@given(n_rows=st.integers(1, 11))
def test_driven_predictions_do_not_depend_on_the_batch(n_rows):
    rng = np.random.default_rng(0)
    drive = rng.uniform(-0.5, 0.5, size=(11, 2))
    est = be.LinearRegressor(bounds={"gamma": (-5.0, -0.5)}, duration=20.0, noise_sigma=0.1,
                             max_iter=1, random_state=0).fit(drive, rng.normal(size=11))
    full = est.predict(drive)
    np.testing.assert_array_equal(est.predict(drive[:n_rows]), full[:n_rows])  # bit-identical
