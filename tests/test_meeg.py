"""EEG / MEG observations and the sensor-space objectives (no data files needed)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainestimators import (
    OBJECTIVES,
    HopfRegressor,
    aperiodic_exponent,
    envelope_fc_corr,
    get_scorers,
    log_psd_distance,
    spectral_peak,
)
from brainestimators._spectra import aperiodic_fit, log_psd, peak_frequency, welch

N, M = 5, 7  # regions, channels
SC = np.random.default_rng(1).uniform(0, 1, (N, N)) * (1 - np.eye(N))
LEAD = np.random.default_rng(2).normal(size=(M, N))


def _hopf(observation, **kw):
    return HopfRegressor(connectivity=SC, k=0.05, a=-0.05, w=0.0628, noise_sigma=0.05, dt=1.0,
                         sample_dt=5.0, observation=observation, random_state=0, **kw)


def test_eeg_is_the_lead_field_times_the_source_average_referenced():
    src = _hopf(None).simulate(n_samples=1, n_time=200, random_state=3)[0]
    eeg = _hopf("eeg", lead_field=LEAD).simulate(n_samples=1, n_time=200, random_state=3)[0]
    meg = _hopf("meg", lead_field=LEAD).simulate(n_samples=1, n_time=200, random_state=3)[0]
    assert eeg.shape == meg.shape == (200, M)
    np.testing.assert_allclose(meg, src @ LEAD.T, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(eeg, meg - meg.mean(axis=1, keepdims=True), atol=1e-5)
    np.testing.assert_allclose(eeg.sum(axis=1), 0, atol=1e-4)


def test_sensor_noise_is_added_at_the_kept_samples():
    clean = _hopf("meg", lead_field=LEAD).simulate(n_samples=1, n_time=300, random_state=0)[0]
    noisy = _hopf("meg", lead_field=LEAD, sensor_noise=0.5).simulate(
        n_samples=1, n_time=300, random_state=0)[0]
    assert np.std(noisy - clean) == pytest.approx(0.5, rel=0.15)


def test_a_sensor_observation_needs_a_matching_lead_field():
    with pytest.raises(ValueError, match="needs lead_field="):
        _hopf("eeg").simulate(n_samples=1, n_time=50)
    with pytest.raises(ValueError, match="lead_field has 4 regions"):
        _hopf("eeg", lead_field=LEAD[:, :4]).simulate(n_samples=1, n_time=50)
    X = np.zeros((2, 50, M + 1))
    with pytest.raises(ValueError, match=f"X has {M + 1} channels but lead_field has {M} rows"):
        _hopf("eeg", lead_field=LEAD, bounds={"k": (0, 1)}).fit(X)


def test_the_family_source_is_what_sensors_see():
    from brainestimators._specs import get_spec

    assert get_spec("JansenRit").sensor_source == "eeg"  # y1 - y2
    assert get_spec("MontbrioPazoRoxin").sensor_source == "v"
    assert get_spec("Hopf").sensor_source == "x"
    assert get_spec("WilsonCowan").sensor_source == "rE"


def test_fit_to_eeg_epochs_and_score_with_several_sensor_metrics():
    truth = _hopf("eeg", lead_field=LEAD)
    X = truth.simulate(n_samples=3, n_time=256, random_state=1)
    est = _hopf("eeg", lead_field=LEAD, bounds={"w": (0.03, 0.1)}, objective="log_psd",
                max_iter=15, backend="nevergrad", optimizer={"method": "DE", "n_sample": 8})
    est.fit(X)
    assert est.n_channels_ == M and est.n_regions_ == N
    assert abs(est.best_params_["w"] - 0.0628) < 0.012
    assert est.predict(X).shape == X.shape
    scores = get_scorers("log_psd", "spectral_peak", "aperiodic_exponent", "envelope_fc")
    values = {k: s(est, X) for k, s in scores.items()}
    assert all(np.isfinite(v) for v in values.values()), values


# -- spectra ----------------------------------------------------------------------------------

def test_welch_matches_scipy_with_odd_segments():
    from scipy.signal import welch as sp_welch

    x = np.random.default_rng(0).normal(size=(500, 3))
    f, p = welch(x, nperseg=99, sfreq=160.0)
    fs, ps = sp_welch(x, fs=160.0, nperseg=99, axis=0)
    np.testing.assert_allclose(f, fs, rtol=1e-6)
    np.testing.assert_allclose(p, ps, rtol=1e-4)


def test_peak_and_aperiodic_exponent_recover_known_values():
    rng = np.random.default_rng(0)
    t = np.arange(16000) / 160.0
    x = np.sin(2 * np.pi * 10.0 * t)[:, None] + 0.05 * rng.normal(size=(16000, 1))
    f, lp = log_psd(x, 320, 160.0, 7, 14)
    assert float(peak_frequency(f, 10 ** lp)[0]) == 10.0
    assert abs(float(peak_frequency(f, 10 ** lp, temperature=0.05)[0]) - 10.0) < 0.1
    freqs = np.linspace(1, 40, 80)
    _, exponent = aperiodic_fit(freqs, (1.0 - 1.7 * np.log10(freqs))[:, None])
    assert float(exponent[0]) == pytest.approx(1.7, rel=1e-4)


@pytest.mark.parametrize("build", [
    lambda: log_psd_distance(sfreq=160.0, fmin=1, fmax=40, nperseg=64),
    lambda: spectral_peak(sfreq=160.0, fmin=6, fmax=16, nperseg=64, temperature=0.1),
    lambda: aperiodic_exponent(sfreq=160.0, fmin=1, fmax=40, nperseg=64),
    lambda: envelope_fc_corr(sfreq=160.0, fmin=6, fmax=16),
], ids=["log_psd", "spectral_peak", "aperiodic_exponent", "envelope_fc"])
def test_sensor_objective_gradients_match_finite_differences(build):
    loss = build()
    rng = np.random.default_rng(0)
    p = jnp.asarray(rng.normal(size=(256, 4)), jnp.float32)
    t = jnp.asarray(rng.normal(size=(256, 4)), jnp.float32)
    v = jnp.asarray(rng.normal(size=p.shape), jnp.float32)
    g = jax.grad(loss)(p, t)
    analytic = float(jnp.sum(g * v))
    h = 1e-2
    numeric = (float(loss(p + h * v, t)) - float(loss(p - h * v, t))) / (2 * h)
    assert np.isfinite(analytic)
    assert analytic == pytest.approx(numeric, rel=0.05, abs=1e-3 * max(1.0, abs(numeric)))


def test_sensor_objectives_are_registered():
    for name in ("log_psd", "spectral_peak", "aperiodic_exponent", "envelope_fc"):
        assert name in OBJECTIVES
    assert OBJECTIVES["envelope_fc"].similarity and not OBJECTIVES["log_psd"].similarity
