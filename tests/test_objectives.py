"""Objectives: the registry, what each needs, float32 scale safety, divergence, gradients."""

import brainmass.objectives as bm
import brainunit as u
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import brainestimators as be
from brainestimators._objectives import OBJECTIVES, Objective, resolve_objective

FAST = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Every registered objective is classified here, so a new one must declare
# which invariances it has (test_every_objective_is_classified).
SCALE_FREE = {"fc_corr", "fc_rmse", "fc_lag_corr", "cosine_sim", "fcd", "fcd_ks", "fcd_wasserstein",
              "psd_corr", "log_psd", "spectral_peak", "aperiodic_exponent",
              "envelope_fc"}        # invariant to a positive factor on each argument
# ... and on each region (log_psd and spectral_peak compare the channels' relative power)
PER_REGION_SCALE_FREE = SCALE_FREE - {"cosine_sim", "log_psd", "spectral_peak"}
# invariant to an offset per region (Welch and the envelopes demean)
SHIFT_FREE = PER_REGION_SCALE_FREE | {"std_rmse", "log_psd", "spectral_peak"}
IN_DATA_UNITS = {"timeseries_rmse", "mse", "std_rmse"}
SHAPE = (60, 4)  # enough for every registered objective


def _data(seed, shape=SHAPE):
    """Two related recordings: a shared slow component plus noise."""
    rng = np.random.default_rng(seed)
    common = np.cumsum(rng.normal(size=(shape[0], 1)), axis=0)
    mix = rng.uniform(-1, 1, size=(1, shape[1]))
    p = common * mix + rng.normal(size=shape)
    t = common * mix + rng.normal(size=shape)
    return p, t


def _f32(x):
    return jnp.asarray(x, jnp.float32)


_JITTED = {}


def _loss(name, p, t):
    # Compiled once per objective and shape: eager FCD losses take about a second.
    fn = _JITTED.setdefault(name, jax.jit(resolve_objective(name).loss))
    return float(fn(_f32(p), _f32(t)))


def test_every_objective_is_classified():
    assert set(OBJECTIVES) == SCALE_FREE | IN_DATA_UNITS | {"timeseries_rmse"}
    for name, obj in OBJECTIVES.items():
        assert isinstance(obj, Objective) and obj.name == name
        assert resolve_objective(name) is obj


def test_similarity_scores_are_one_minus_loss_and_distances_minus_loss():
    assert OBJECTIVES["fc_corr"].similarity and OBJECTIVES["fc_corr"].score(0.25) == 0.75
    assert not OBJECTIVES["fc_rmse"].similarity and OBJECTIVES["fc_rmse"].score(0.25) == -0.25


# -- D3: scale -----------------------------------------------------------------------------


def test_fc_corr_is_the_same_at_1e30_as_at_1():
    # float32 overflowed in the covariance: 0.61 on data, exactly 1.0 on data x 1e30.
    p, t = _data(0, (300, 3))
    ref = _loss("fc_corr", p, t)
    assert 0.0 < ref < 2.0 and ref != 1.0
    for scale in (1e-20, 1e30):
        assert _loss("fc_corr", scale * p, scale * t) == pytest.approx(ref, abs=1e-5)


@FAST
@given(name=st.sampled_from(sorted(SCALE_FREE)), seed=st.integers(0, 2**16),
       log_p=st.floats(-20, 30), log_t=st.floats(-20, 30))
def test_scale_free_objectives_ignore_the_scale_of_each_argument(name, seed, log_p, log_t):
    p, t = _data(seed)
    ref = _loss(name, p, t)
    got = _loss(name, 10.0**log_p * p, 10.0**log_t * t)
    assert np.isfinite(got) and got == pytest.approx(ref, abs=2e-5, rel=1e-4)


@FAST
@given(name=st.sampled_from(sorted(PER_REGION_SCALE_FREE)), seed=st.integers(0, 2**16),
       logs=st.lists(st.floats(-20, 30), min_size=SHAPE[1], max_size=SHAPE[1]))
def test_fc_type_objectives_ignore_the_scale_of_each_region(name, seed, logs):
    p, t = _data(seed)
    got = _loss(name, p * 10.0 ** np.asarray(logs), t)
    assert got == pytest.approx(_loss(name, p, t), abs=2e-5, rel=1e-4)


@FAST
@given(name=st.sampled_from(sorted(SHIFT_FREE)), seed=st.integers(0, 2**16),
       offsets=st.lists(st.floats(-20, 20), min_size=SHAPE[1], max_size=SHAPE[1]))
def test_shift_free_objectives_ignore_an_offset_per_region(name, seed, offsets):
    p, t = _data(seed)
    # The data's standard deviation is a few units, so 20 keeps float32's
    # resolution of the shifted data well below the signal.
    got = _loss(name, p + np.asarray(offsets), t - np.asarray(offsets)[::-1])
    assert got == pytest.approx(_loss(name, p, t), abs=1e-4, rel=1e-3)


@FAST
@given(seed=st.integers(0, 2**16), log_s=st.floats(-20, 30))
def test_std_rmse_scales_with_the_data(seed, log_s):
    p, t = _data(seed)
    s = 10.0**log_s
    assert _loss("std_rmse", s * p, s * t) == pytest.approx(s * _loss("std_rmse", p, t),
                                                            rel=1e-4)


@pytest.mark.parametrize("name", ["fc_corr", "fc_rmse", "cosine_sim", "fcd", "fcd_ks",
                                  "fcd_wasserstein", "timeseries_rmse"])
def test_same_values_as_brainmass_on_ordinary_data(name):
    reference = {"fc_corr": bm.fc_corr(as_loss=True), "fc_rmse": bm.fc_rmse(),
                 "cosine_sim": bm.cosine_sim(as_loss=True), "fcd": bm.fcd(as_loss=True),
                 "fcd_ks": bm.fcd_ks(), "fcd_wasserstein": bm.fcd_wasserstein(),
                 "timeseries_rmse": bm.timeseries_rmse()}[name]
    p, t = _data(3, (120, 5))
    want = float(jax.jit(reference)(_f32(p), _f32(t)))
    assert _loss(name, p, t) == pytest.approx(want, abs=1e-5)


def test_objectives_read_quantities_by_magnitude():
    p, t = _data(4)
    for name in SCALE_FREE:
        loss = jax.jit(resolve_objective(name).loss)
        assert float(loss(p * u.mV, t * u.volt)) == pytest.approx(_loss(name, p, t), abs=1e-5)
    rmse = resolve_objective("timeseries_rmse").loss
    assert float(rmse(p * u.mV, p * u.mV)) == 0.0
    with pytest.raises(Exception, match="(?i)unit|dimension"):
        rmse(p * u.mV, t * u.second)


@pytest.mark.parametrize("name", ["fcd_ks", "fcd_wasserstein"])
def test_fcd_distances_are_finite_for_a_stable_fc(name):
    # FCD values within 0.01 of 1: brainmass's KDE was 0 on its whole grid and
    # the loss NaN, so every candidate looked diverged.
    rng = np.random.default_rng(10)
    common = np.cumsum(rng.normal(size=(120, 1)), axis=0)
    p, t = (common * [1.0, -0.5, 0.8, 0.3] + 0.05 * rng.normal(size=(120, 4)) for _ in "pt")
    assert np.isfinite(_loss(name, p, t))
    assert _loss(name, p, p) == pytest.approx(0.0, abs=1e-6)


# -- divergence and gradients --------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(OBJECTIVES))
def test_a_nan_in_the_prediction_gives_a_nan_loss(name):
    # A diverged candidate must not look like a poor fit: fc_corr gave 1.51.
    p, t = _data(5)
    p[7, 1] = np.nan
    assert np.isnan(_loss(name, p, t))


@pytest.mark.parametrize("name", sorted(OBJECTIVES))
def test_gradient_is_finite_with_a_constant_region_and_at_a_perfect_fit(name):
    # fc_corr / fc_rmse / fcd* had a NaN gradient with a constant region,
    # timeseries_rmse at prediction == target.
    p, t = _data(6)
    loss = jax.jit(resolve_objective(name).loss)
    grad = jax.jit(jax.grad(resolve_objective(name).loss))
    p_const = _f32(p).at[:, 2].set(0.3)
    for pred, target in ((p_const, _f32(t)), (_f32(t), _f32(t))):
        assert np.isfinite(float(loss(pred, target)))
        assert np.all(np.isfinite(np.asarray(grad(pred, target))))


@pytest.mark.parametrize("name", sorted(OBJECTIVES))
def test_objectives_jit_and_vmap(name):
    p, t = _data(7)
    P, T = _f32(np.stack([p, 2 * p])), _f32(np.stack([t, t]))
    out = jax.jit(jax.vmap(resolve_objective(name).loss))(P, T)
    assert out.shape == (2,)
    assert float(out[0]) == pytest.approx(_loss(name, p, t), abs=1e-4, rel=1e-4)


# -- D2, D13: what each objective needs ---------------------------------------------------


def _below(obj):
    """Shapes just under the objective's minimum, with the other axis generous."""
    wide, long = max(obj.min_regions, 4), max(obj.min_time, 60)
    shapes = []
    if obj.min_regions > 1:
        shapes.append((long, obj.min_regions - 1))
    if obj.min_time > 1:
        shapes.append((obj.min_time - 1, wide))
    if obj.min_size > 1:
        shapes.append((1, obj.min_size - 1))
    return shapes


def _minimum(obj):
    n_time = max(obj.min_time, -(-obj.min_size // obj.min_regions))
    return n_time, obj.min_regions


def _values(obj, shape, n=8):
    """Loss of n random predictions against one target (None where it cannot be computed)."""
    rng = np.random.default_rng(0)
    target = _f32(rng.normal(size=shape))
    loss = jax.jit(obj.loss)
    out = []
    for _ in range(n):
        try:
            out.append(float(loss(_f32(rng.normal(size=shape)), target)))
        except Exception:
            return None
    return out


@pytest.mark.parametrize("name", sorted(OBJECTIVES))
def test_the_minimum_shape_of_each_objective_is_exactly_where_the_data_move_it(name):
    obj = OBJECTIVES[name]
    at_min = _minimum(obj)
    obj.validate(at_min, at_min)
    values = _values(obj, at_min)
    # Mostly distinct: fcd_ks saturates at 1 where the two FCD values are far apart.
    assert values is not None and len(set(np.round(values, 6))) >= 5, values
    for shape in _below(obj):
        with pytest.raises(ValueError, match=rf"{name}.*needs at least .*{shape}"):
            obj.validate(shape, shape)
        # Below it the loss is undefined, or takes a few discrete values at most
        # (e.g. fc_corr on 2 regions: 1.0 for every candidate).
        values = _values(obj, shape)
        assert values is None or np.isnan(values).all() or len(set(np.round(values, 6))) <= 3, (
            shape, values)


def test_fc_corr_on_two_regions_is_refused_and_names_the_fix():
    with pytest.raises(ValueError, match=r"'fc_corr' needs at least 3 regions.*\(300, 2\)"
                                         r".*'fc_rmse'"):
        OBJECTIVES["fc_corr"].validate((300, 2), (300, 2))


@pytest.mark.parametrize("name,fewest", [("fcd", 40), ("fcd_ks", 35), ("fcd_wasserstein", 35)])
def test_fcd_objectives_refuse_recordings_with_too_few_windows(name, fewest):
    # 30-sample windows 5 apart: fcd correlates FCD matrices (3 windows),
    # fcd_ks / fcd_wasserstein compare FCD values (2 windows). Below that fcd
    # was silently 1.0, fcd_ks failed with "`dataset` input should have
    # multiple elements".
    for n_time in (20, fewest - 1):
        with pytest.raises(ValueError, match=rf"'{name}' needs at least {fewest} time points"):
            OBJECTIVES[name].validate((n_time, 4), (n_time, 4))
    OBJECTIVES[name].validate((fewest, 4), (fewest, 4))


@FAST
@given(name=st.sampled_from(sorted(OBJECTIVES)), n_time=st.integers(1, 80),
       n_regions=st.integers(1, 6))
def test_validate_accepts_exactly_the_shapes_that_meet_the_requirements(name, n_time, n_regions):
    obj = OBJECTIVES[name]
    ok = (n_time >= obj.min_time and n_regions >= obj.min_regions
          and n_time * n_regions >= obj.min_size)
    if ok:
        assert obj.validate((n_time, n_regions), (n_time, n_regions)).shape == ()
    else:
        with pytest.raises(ValueError, match="needs at least"):
            obj.validate((n_time, n_regions), (n_time, n_regions))


def test_fc_losses_on_one_region_are_constant_not_a_crash():
    # validate() refuses them; called directly (e.g. by a scorer) they must
    # still return the constant they are, as before.
    p, t = _data(11, (50, 1))
    assert _loss("fc_corr", p, t) == 1.0 and _loss("fc_rmse", p, t) == 0.0


# -- D17: callables ------------------------------------------------------------------------


def test_validate_refuses_a_vector_valued_callable_without_simulating():
    def squared_error(p, t):
        return (p - t) ** 2

    with pytest.raises(ValueError, match=r"'squared_error' must return one scalar.*"
                                         r"shape \(50, 2\).*jnp.mean"):
        resolve_objective(squared_error).validate((50, 2), (50, 2))
    with pytest.raises(ValueError, match="must return one scalar"):
        resolve_objective(lambda p, t: (p.sum(), t.sum())).validate((50, 2), (50, 2))
    out = resolve_objective(lambda p, t: jnp.mean((p - t) ** 2)).validate((50, 2), (50, 2))
    assert out.shape == ()


def test_validate_names_the_objective_when_tracing_fails():
    with pytest.raises(TypeError) as info:
        resolve_objective(lambda p, t: p @ t).validate((50, 2), (50, 2))
    assert any("while tracing objective '<lambda>'" in n for n in info.value.__notes__)


def test_validate_takes_arrays_and_quantities():
    x = np.zeros((50, 3))
    assert OBJECTIVES["fc_corr"].validate(x * u.mV, x * u.mV).shape == ()
    assert OBJECTIVES["timeseries_rmse"].validate(jax.ShapeDtypeStruct((50, 3), jnp.float32),
                                                  x).shape == ()


# -- the one FC computation ----------------------------------------------------------------


def test_functional_connectivity_matches_numpy_and_handles_constant_regions():
    from brainestimators._metrics import functional_connectivity

    x = np.random.default_rng(8).normal(size=(2, 200, 4))
    np.testing.assert_allclose(functional_connectivity(x)[1], np.corrcoef(x[1].T), atol=1e-5)
    x[0, :, 2] = 5.0
    fc = np.asarray(functional_connectivity(1e30 * x[0]))
    assert np.all(fc[2, [0, 1, 3]] == 0) and np.all(np.diag(fc) == 1)
    np.testing.assert_allclose(fc, np.asarray(functional_connectivity(x[0])), atol=1e-6)


def test_fcd_matrix_matches_braintools_and_refuses_a_recording_shorter_than_a_window():
    import braintools

    from brainestimators._metrics import fcd_matrix

    x = np.random.default_rng(9).normal(size=(100, 5)).astype(np.float32)
    ref = braintools.metric.functional_connectivity_dynamics(jnp.asarray(x), 30, 10)
    np.testing.assert_allclose(fcd_matrix(x, 30, 10), ref, atol=1e-5)
    with pytest.raises(ValueError, match="shorter than one FCD window"):
        fcd_matrix(x[:20], 30, 10)


def test_public_builders_still_work():
    t = jnp.arange(256.0)[:, None]
    x = jnp.sin(0.3 * t) + 0.1 * jnp.cos(1.1 * t)
    assert float(be.psd_corr(nperseg=64)(x, x)) == pytest.approx(1.0, abs=1e-5)
    assert float(be.mse()(x + 1.0, x)) == pytest.approx(1.0)
    assert float(be.std_rmse()(2 * x, x)) == pytest.approx(float(jnp.std(x)), rel=1e-5)
