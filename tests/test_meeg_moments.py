"""Expected sensor spectra (``fc_from='moments'`` with spectrum objectives).

The linearised model's autocovariance through the lead field
(:mod:`brainestimators._sensor_moments`) and Welch's expectation
(:mod:`brainestimators._expected_spectra`) must be what the mean Welch
spectrum of many simulations converges to, and be differentiable.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainestimators import (
    HopfRegressor,
    LinearRegressor,
    aperiodic_exponent,
    log_psd_distance,
    spectral_peak,
)
from brainestimators._evaluator import Evaluator, unbox
from brainestimators._expected_spectra import expected_welch
from brainestimators._layout import expand
from brainestimators._border import model_of, setup
from brainestimators._plan import make_plan
from brainestimators._sensor_moments import autocovariance
from brainestimators._spectra import log_psd, welch

N, M = 4, 6  # regions, channels
SC = np.random.default_rng(1).uniform(0, 1, (N, N)) * (1 - np.eye(N))
LEAD = np.random.default_rng(2).normal(size=(M, N))
NPERSEG, N_TIME = 64, 640


def test_expected_welch_of_an_ar1_process():
    """x_t = phi x_(t-1) + e_t: r[m] = phi^m / (1 - phi^2); the mean Welch spectrum of
    2000 numpy draws is within 2 % of the expectation at every frequency."""
    phi, n = 0.8, 512
    r = (phi ** np.arange(NPERSEG) / (1 - phi ** 2))[:, None]
    f, expected = expected_welch(r, NPERSEG, sfreq=100.0)
    rng = np.random.default_rng(0)
    e = rng.normal(size=(2000, n + 200))
    x = np.zeros_like(e)
    for t in range(1, e.shape[1]):
        x[:, t] = phi * x[:, t - 1] + e[:, t]
    import scipy.signal

    _, ps = scipy.signal.welch(x[:, 200:], fs=100.0, nperseg=NPERSEG, axis=1)
    rel = np.abs(ps.mean(0) / np.asarray(expected)[:, 0] - 1)
    assert rel[1:].max() < 0.02, rel.max()


def _est(family, observation, **kw):
    common = dict(connectivity=SC, k=0.01, observation=observation, lead_field=LEAD,
                  transient=500.0, random_state=0)
    if family == "Linear":
        return LinearRegressor(**{**common, "gamma": -0.1, "noise_sigma": 0.1, "dt": 1.0,
                                  "sample_dt": 5.0, **kw})
    # Hopf with little noise: its cubic term is 1e-3 of the damping (the linear regime)
    return HopfRegressor(**{**common, "a": -0.02, "w": 2 * np.pi * 10 / 1000,
                            "noise_sigma": 1e-4, "dt": 2.5, "sample_dt": 5.0, **kw})


@pytest.mark.parametrize("family,observation,sensor_noise", [
    ("Linear", "eeg", 0.05), ("Hopf", "eeg", 0.0), ("Hopf", "meg", 1e-4), ("Linear", None, 0.0)])
def test_analytic_sensor_psd_is_the_mean_of_simulations(family, observation, sensor_noise):
    """The error of the mean of n simulations' Welch spectra shrinks like 1 / sqrt(n):
    16x more simulations, 4x smaller. Measured mean relative error over frequencies and
    channels, 16 / 256 runs: Linear EEG 0.048 / 0.011, Hopf EEG 0.049 / 0.011, Hopf MEG
    0.049 / 0.011, Linear regions (no observation) 0.049 / 0.013."""
    est = _est(family, observation, sensor_noise=sensor_noise)
    n_cols = N if observation is None else M  # the regions themselves, or channels
    plan = make_plan(model_of(est, fitting=False), "target", N_TIME, n_cols, fitting=False)
    p = expand(plan.config.fitted, jnp.zeros(0), plan.fixed)
    _, expected = expected_welch(autocovariance(plan.config.sim, p, NPERSEG), NPERSEG, 200.0)
    expected = np.asarray(expected)[1:]
    runs = est.simulate(256, n_time=N_TIME, random_state=1)
    psd = np.stack([np.asarray(welch(x, NPERSEG, 200.0)[1])[1:] for x in runs])
    groups = psd.reshape(16, 16, *psd.shape[1:])  # 16 groups of 16 simulations
    err16 = np.mean([np.mean(np.abs(g.mean(0) / expected - 1)) for g in groups])
    err256 = np.mean(np.abs(psd.mean(0) / expected - 1))
    print(f"\n{family} {observation}: mean relative error, 16 runs {err16:.4f}, "
          f"256 runs {err256:.4f}")
    assert err256 < err16 / 3, (err16, err256)
    assert err256 < 0.02, err256


@pytest.mark.parametrize("build", [log_psd_distance, spectral_peak, aperiodic_exponent])
def test_expected_spectrum_loss_gradient_forward_and_reverse(build, monkeypatch):
    """The backend's forward- and reverse-mode programs (one and two rows) equal finite
    differences of the loss through the analytic spectrum."""
    from brainestimators import _evaluator

    X = _est("Hopf", "eeg").simulate(2, n_time=N_TIME, random_state=3)
    est = _est("Hopf", "eeg", fc_from="moments",
               objective=build(sfreq=200.0, fmin=2, fmax=40, nperseg=NPERSEG),
               bounds={"a": (-0.05, -0.005), "w": (2 * np.pi * 5 / 1000, 2 * np.pi * 15 / 1000)})
    plan, _, target, _ = setup(est, model_of(est), X, None, reset=True)
    lo, hi = (jnp.asarray(v, jnp.float32) for v in (plan.layout.lo_flat, plan.layout.hi_flat))
    z0 = unbox(jnp.asarray(plan.x0, jnp.float32), lo, hi)
    target = jnp.asarray(target, jnp.float32)
    key = jax.random.key(0)
    f = jax.jit(lambda z: plan.evaluator.loss_z_fn(z, lo, hi, plan.fixed, None, target, key))
    rows = jnp.stack([z0 + 0.3, z0 + jnp.asarray([-0.4, 0.5])])
    h = 1e-2
    fd = np.array([[(f(z + h * e) - f(z - h * e)) / (2 * h) for e in jnp.eye(2)] for z in rows])
    scale = np.abs(fd).max()
    assert scale > 1e-3
    for forward_max in (4, 0):
        monkeypatch.setattr(_evaluator, "_FORWARD_MAX", forward_max)
        ev = Evaluator(plan.evaluator.cfg)
        for n_rows in (1, 2):
            tg = ev.prepare_rows(jnp.broadcast_to(target[None], (n_rows,) + target.shape))
            values, grads = ev.rows_value_and_grad_z(rows[:n_rows], lo, hi, plan.fixed, None,
                                                     tg, key, {})
            np.testing.assert_allclose(values, [f(z) for z in rows[:n_rows]], rtol=1e-4)
            np.testing.assert_allclose(grads, fd[:n_rows], rtol=0.05, atol=0.02 * scale)


def test_fit_to_the_expected_spectrum_recovers_the_frequency_and_damping():
    """Two 6.4 s EEG epochs; the fit sees the analytic spectrum (no noise draw)."""
    truth = {"a": -0.02, "w": 2 * np.pi * 10 / 1000}
    X = _est("Hopf", "eeg").simulate(2, n_time=1280, random_state=3)
    est = _est("Hopf", "eeg", fc_from="moments", a=-0.04, w=2 * np.pi * 8 / 1000,
               objective=log_psd_distance(sfreq=200.0, fmin=2, fmax=40, nperseg=128),
               bounds={"a": (-0.06, -0.005), "w": (2 * np.pi * 5 / 1000, 2 * np.pi * 15 / 1000)},
               optimizer={"learning_rate": 0.1}, max_iter=60).fit(X)
    err = {k: est.best_params_[k] / v - 1 for k, v in truth.items()}
    assert abs(err["w"]) < 0.05 and abs(err["a"]) < 0.25, err  # measured: w -0.027, a -0.106
    # score compares the same expected spectrum (no noise key in it) that
    # expected_spectrum returns
    assert np.isclose(est.score(X), est.set_params(random_state=9).score(X), atol=1e-6)
    f, model = est.expected_spectrum(128, sfreq=200.0, fmin=2, fmax=40)
    data = [np.asarray(log_psd(x, 128, 200.0, 2, 40)[1]) for x in X]
    assert model.shape == data[0].shape == (f.size, M)
    losses = [np.sqrt(np.mean((model - d - np.mean(model - d)) ** 2)) for d in data]
    assert np.isclose(est.score(X), -np.mean(losses), atol=1e-4)


def test_expected_spectra_refuse_what_they_cannot_model():
    X = np.zeros((2, 200, M))
    with pytest.raises(ValueError, match="needs simulated recordings"):
        _est("Hopf", "eeg", fc_from="moments", objective="envelope_fc").fit(X)
    with pytest.raises(ValueError, match="sensors see"):
        _est("Hopf", "eeg", fc_from="moments", objective="fc_corr").fit(X)
    with pytest.raises(ValueError, match="observation='bold'"):
        HopfRegressor(connectivity=SC, observation="bold", noise_sigma=0.01, fc_from="moments",
                      objective="log_psd").fit(np.zeros((2, 200, N)))
    with pytest.raises(ValueError, match="whole number of steps"):
        _est("Hopf", "eeg", fc_from="moments", objective="log_psd", dt=2.0).fit(X)
