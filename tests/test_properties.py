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
