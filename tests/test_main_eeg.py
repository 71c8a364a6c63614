"""The EEG main job's measures (the full job takes minutes: run it by hand)."""

import numpy as np
import pytest

pytest.importorskip("mne")
pytest.importorskip("fooof")

from brainestimators._main_eeg import alpha_peak, alpha_topography, baselines, log_spectra  # noqa: E402


def _epochs(freq, n=2, seed=0):
    t = np.arange(640) / 160.0
    rng = np.random.default_rng(seed)
    x = np.sin(2 * np.pi * freq * t)[None, :, None] * np.ones((n, 1, 3))
    return x + 0.3 * rng.normal(size=(n, 640, 3)) + 0.1 * np.cumsum(rng.normal(size=(n, 640, 3)), 1)


def test_alpha_peak_between_bins():
    X = _epochs(10.3)
    assert abs(alpha_peak(X, ["O1", "Oz", "Fz"]) - 10.3) < 0.2


def test_baselines_fit_the_training_spectrum():
    freqs, lp = log_spectra(_epochs(10.0, n=4))
    aperiodic, peaks = baselines(freqs, lp.mean(axis=0))
    assert aperiodic.shape == peaks.shape == lp.shape[1:]
    mean = lp.mean(axis=0)
    # fooof's peaks fit the alpha line better than a line alone
    assert np.sqrt(np.mean((peaks - mean) ** 2)) < np.sqrt(np.mean((aperiodic - mean) ** 2))
    topo = alpha_topography(freqs, mean)
    assert topo.shape == (3,) and np.isfinite(topo).all()
