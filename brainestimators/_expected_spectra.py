"""The expected Welch spectrum of a stationary recording, from its autocovariance.

Welch's estimate (:func:`~._spectra.welch`: Hann windows, the mean of each
segment removed) is linear in the products ``x_t x_s`` of a segment, so its
expectation is linear in the autocovariance ``r[m] = E[x_(t+m) x_t]`` at lags
``0 .. nperseg - 1``: ``E[psd_k] = sum_m g_k[m] r[m]``, with ``g_k`` the
lag sums of the detrended, windowed Fourier vector of bin ``k`` (a static
kernel, computed once per segment length). Window leakage, detrending and
aliasing are in it exactly; nothing of a finite recording is: the limit of
the mean of many recordings' Welch spectra.
"""

import functools

import jax.numpy as jnp
import numpy as np

from ._spectra import band_mask

__all__ = ["welch_kernel", "expected_welch", "expected_log_psd"]


@functools.lru_cache(maxsize=16)
def welch_kernel(nperseg):
    """``(n_freqs, nperseg)`` kernel: one-sided density ``= kernel @ r / sfreq``."""
    n = int(nperseg)
    t = np.arange(n)
    win = 0.5 - 0.5 * np.cos(2 * np.pi * t / n)  # periodic Hann, as welch
    k = np.arange(n // 2 + 1)
    v = win[None, :] * np.exp(-2j * np.pi * k[:, None] * t[None, :] / n)
    v = v - v.mean(axis=1, keepdims=True)  # detrend='constant'
    g = np.stack([np.sum(v[:, m:] * np.conj(v[:, :n - m]), axis=1) for m in range(n)], axis=1)
    kernel = np.concatenate([g[:, :1].real, 2 * g[:, 1:].real], axis=1)  # r[-m] = r[m]
    scale = np.ones(k.size)
    scale[1:] = 2.0
    if n % 2 == 0:
        scale[-1] = 1.0
    return kernel * (scale / np.sum(win ** 2))[:, None]


def expected_welch(autocov, nperseg, sfreq=1.0):
    """Expected :func:`~._spectra.welch` of a stationary recording.

    Parameters
    ----------
    autocov : array of shape (n_lags, n_channels)
        ``r[m] = E[x_(t+m) x_t]`` per channel at lags of ``m`` samples,
        ``n_lags >= nperseg``.
    nperseg : int
    sfreq : float, default=1.0

    Returns
    -------
    freqs, psd
        As :func:`~._spectra.welch`.

    Examples
    --------
    >>> import numpy as np
    >>> r = np.zeros((64, 1)); r[0] = 1.0  # white noise of variance 1
    >>> f, p = expected_welch(r, 64, sfreq=100.0)
    >>> bool(np.allclose(p[2:-1], 2 / 100.0, rtol=1e-5))  # one-sided: 2 / sfreq
    True
    >>> [round(float(v) * 50, 4) for v in p[:2, 0]]  # removing each segment's mean
    [0.1667, 0.8333]
    """
    n = int(nperseg)
    r = jnp.asarray(autocov)[:n]
    if r.shape[0] < n:
        raise ValueError(f"the expected Welch spectrum needs {n} lags, got {r.shape[0]}.")
    psd = jnp.asarray(welch_kernel(n), r.dtype) @ r / sfreq
    return jnp.asarray(np.fft.rfftfreq(n, 1.0 / sfreq)), psd


def expected_log_psd(autocov, nperseg, sfreq=1.0, fmin=None, fmax=None, eps=1e-30):
    """``log10`` of :func:`expected_welch` in a band, as :func:`~._spectra.log_psd`.

    The autocovariance is divided by its largest variance first and the
    factor added back in log (float32 at any scale).
    """
    r = jnp.asarray(autocov)
    m = jnp.max(jnp.abs(r[0]))
    m = jnp.where(m > 0, m, 1.0)
    f, p = expected_welch(r / m, nperseg, sfreq)
    keep = np.flatnonzero(band_mask(np.fft.rfftfreq(int(nperseg), 1.0 / sfreq), fmin, fmax))
    return f[keep], jnp.log10(jnp.clip(p[keep], 0.0, None) + eps) + jnp.log10(m)
