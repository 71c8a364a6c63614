"""Spectral signal helpers for sensor-space objectives: Welch, peaks, 1/f, envelopes.

Pure JAX (jit-, grad- and vmap-safe), time-first like every recording here:
``x`` is ``(n_time, n_channels)``. Frequencies are in cycles per sample unless
``sfreq`` (Hz) is given. The same functions serve the objectives, the
baselines and the reports of the EEG main job, so a fitted spectrum and a
scored one are the same numbers.
"""

import brainunit as u
import jax.numpy as jnp
import numpy as np

from ._metrics import functional_connectivity, rescale

__all__ = ["default_nperseg", "welch", "band_mask", "log_psd", "peak_frequency", "aperiodic_fit",
           "band_envelope", "envelope_fc"]


def _as_2d(x):
    x = jnp.asarray(u.get_magnitude(x))
    return x.reshape(x.shape[0], -1)


def default_nperseg(n_time):
    """Welch's default segment: a quarter of the recording (7 half-overlapping
    segments), at least 16 and at most 256 samples; the whole of a recording
    shorter than 16."""
    return n_time if n_time < 16 else min(256, max(16, n_time // 4))


def welch(x, nperseg=None, sfreq=1.0):
    """Welch power spectral density: Hann windows, 50 % overlap, mean of segments.

    Parameters
    ----------
    x : array of shape (n_time, n_channels) or (n_time,)
        A recording (a Quantity is read as its magnitude).
    nperseg : int or None, default=None
        Segment length; ``None``: :func:`default_nperseg`.
    sfreq : float, default=1.0
        Sampling rate (Hz); frequencies and density follow it.

    Returns
    -------
    freqs : jax.Array of shape (nperseg // 2 + 1,)
    psd : jax.Array of shape (nperseg // 2 + 1, n_channels)
        One-sided density (``scipy.signal.welch``'s ``scaling='density'``,
        ``detrend='constant'``).

    Examples
    --------
    >>> import numpy as np, scipy.signal
    >>> x = np.random.default_rng(0).normal(size=(1000, 2))
    >>> f, p = welch(x, nperseg=128, sfreq=100.0)
    >>> fs, ps = scipy.signal.welch(x, fs=100.0, nperseg=128, axis=0)
    >>> bool(np.allclose(p, ps, rtol=1e-4))
    True
    """
    x = _as_2d(x)
    n = x.shape[0]
    nperseg = default_nperseg(n) if nperseg is None else int(nperseg)
    if not 2 <= nperseg <= n:
        raise ValueError(f"nperseg must be between 2 and n_time={n}, got {nperseg}.")
    step = nperseg - nperseg // 2  # scipy: noverlap = nperseg // 2
    starts = jnp.arange(0, n - nperseg + 1, step)
    seg = x[starts[:, None] + jnp.arange(nperseg)[None, :]]  # (n_seg, nperseg, n_ch)
    seg = seg - seg.mean(axis=1, keepdims=True)
    win = 0.5 - 0.5 * jnp.cos(2 * jnp.pi * jnp.arange(nperseg) / nperseg)  # periodic Hann
    spec = jnp.fft.rfft(seg * win[None, :, None], axis=1)
    psd = jnp.mean(jnp.abs(spec) ** 2, axis=0) / (sfreq * jnp.sum(win ** 2))
    scale = jnp.ones(psd.shape[0]).at[1:].set(2.0)
    if nperseg % 2 == 0:
        scale = scale.at[-1].set(1.0)
    return jnp.asarray(np.fft.rfftfreq(nperseg, 1.0 / sfreq)), psd * scale[:, None]


def band_mask(freqs, fmin=None, fmax=None):
    """Boolean mask of ``fmin <= f <= fmax`` (``None``: no limit; DC always dropped)."""
    freqs = np.asarray(freqs)  # static: frequencies follow from shapes
    keep = freqs > 0
    if fmin is not None:
        keep = keep & (freqs >= fmin)
    if fmax is not None:
        keep = keep & (freqs <= fmax)
    return keep


def log_psd(x, nperseg=None, sfreq=1.0, fmin=None, fmax=None, eps=1e-30, per_channel=False):
    """``log10`` of the Welch PSD in a band: ``(freqs, (n_freqs, n_channels))``.

    The band is static (from the shapes), so the result can be jitted. The
    recording is divided by its largest magnitude (per channel with
    ``per_channel``) before squaring and the factor added back in log, so
    data at 1e-20 or 1e20 neither under- nor overflows float32.
    """
    x = _as_2d(x)
    m = jnp.max(jnp.abs(x), axis=0 if per_channel else None, keepdims=True)
    m = jnp.where(m > 0, m, 1.0)
    f, p = welch(x / m, nperseg, sfreq)
    freqs = np.fft.rfftfreq(default_nperseg(x.shape[0]) if nperseg is None else int(nperseg),
                            1.0 / sfreq)
    keep = np.flatnonzero(band_mask(freqs, fmin, fmax))
    return f[keep], jnp.log10(p[keep] + eps) + 2 * jnp.log10(m).reshape(1, -1)


def peak_frequency(freqs, psd, temperature=None):
    """Frequency of the spectral peak of each channel.

    Parameters
    ----------
    freqs : array of shape (n_freqs,)
    psd : array of shape (n_freqs, n_channels)
        Power (not log) in the search band.
    temperature : float or None, default=None
        ``None``: the arg-max (exact, not differentiable). A value: a
        soft-argmax over ``log10 psd / temperature`` (differentiable; tends
        to the arg-max as it goes to 0).

    Returns
    -------
    jax.Array of shape (n_channels,)
    """
    freqs, psd = jnp.asarray(freqs), jnp.asarray(psd)
    if temperature is None:
        return freqs[jnp.argmax(psd, axis=0)]
    logp = jnp.log10(psd + 1e-30)
    w = jnp.exp((logp - logp.max(axis=0)) / temperature)
    return jnp.sum(freqs[:, None] * w, axis=0) / jnp.sum(w, axis=0)


def aperiodic_fit(freqs, log10_psd, exclude=None):
    """Least-squares line ``log10 P = offset - exponent * log10 f`` per channel.

    Parameters
    ----------
    freqs : array of shape (n_freqs,)
        Positive frequencies.
    log10_psd : array of shape (n_freqs, n_channels)
    exclude : tuple (fmin, fmax) or None
        A band left out of the fit (e.g. alpha, whose peak would bias the slope).

    Returns
    -------
    offset, exponent : jax.Array of shape (n_channels,)
    """
    lf = jnp.log10(jnp.asarray(freqs))
    w = jnp.ones_like(lf)
    if exclude is not None:
        w = jnp.where((freqs >= exclude[0]) & (freqs <= exclude[1]), 0.0, 1.0)
    mx = jnp.sum(w * lf) / jnp.sum(w)
    dx = (lf - mx) * w
    my = jnp.sum(w[:, None] * log10_psd, axis=0) / jnp.sum(w)
    slope = jnp.sum(dx[:, None] * (log10_psd - my), axis=0) / jnp.sum(dx * (lf - mx))
    return my - slope * mx, -slope


def band_envelope(x, fmin, fmax, sfreq=1.0):
    """Amplitude envelope of ``x`` band-passed to ``[fmin, fmax]``.

    An ideal (FFT) band-pass and the analytic signal in one step: positive
    frequencies in the band doubled, everything else zeroed, inverse FFT,
    modulus. ``(n_time, n_channels)``.
    """
    x = rescale(_as_2d(x), axis=0)  # envelope correlations ignore each channel's scale
    n = x.shape[0]
    f = np.fft.fftfreq(n, 1.0 / sfreq)
    h = jnp.asarray(np.where((f >= fmin) & (f <= fmax), 2.0, 0.0))
    analytic = jnp.fft.ifft(jnp.fft.fft(x - x.mean(axis=0), axis=0) * h[:, None], axis=0)
    return jnp.sqrt(jnp.real(analytic) ** 2 + jnp.imag(analytic) ** 2 + 1e-30)


def envelope_fc(x, fmin, fmax, sfreq=1.0):
    """Band-limited amplitude-envelope correlation between channels ``(n, n)``.

    Envelope fluctuations below 1e-5 of the mean envelope are float32
    rounding (one frequency in the band has a constant envelope) and are
    zeroed, so they do not correlate as if they were signal.
    """
    env = band_envelope(x, fmin, fmax, sfreq)
    mean = env.mean(axis=0)
    dev = env - mean
    return functional_connectivity(jnp.where(jnp.abs(dev) <= 1e-5 * mean, 0.0, dev))
