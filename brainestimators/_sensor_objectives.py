"""Sensor-space objective builders: spectra, spectral peaks, 1/f exponent, envelope FC.

Each builder returns ``objective(prediction, target) -> scalar`` (the
brainmass contract) for ``(n_time, n_channels)`` EEG or MEG epochs, built on
:mod:`._spectra`. Frequencies are in Hz with ``sfreq`` (Hz) given, else in
cycles per sample: the registered names (``'log_psd'``, ``'spectral_peak'``,
``'aperiodic_exponent'``, ``'envelope_fc'``) use cycles per sample and the
whole spectrum; build your own band with e.g. ``log_psd_distance(sfreq=160,
fmin=1, fmax=40)`` and pass it as ``objective=``.

A model's source signal has no known dipole moment, so the sensor scale is
relative: the spectral distances profile out one global gain (a constant
in log power, the same for every channel and frequency) unless told not to.

The spectral objectives (not ``envelope_fc``) can also compare the data
with the model's *expected* Welch spectrum (``fc_from='moments'``): their
``from_moments`` turns the linearised model's autocovariance
(:mod:`._sensor_moments`) into the same summary through
:func:`~._expected_spectra.expected_log_psd`, and ``match`` compares two
summaries.
"""

import jax.numpy as jnp

from ._expected_spectra import expected_log_psd
from ._metrics import correlation, upper_triangle
from ._objective_builders import preparable, rms
from ._spectra import aperiodic_fit, default_nperseg, envelope_fc, log_psd

__all__ = ["log_psd_distance", "spectral_peak", "aperiodic_exponent", "envelope_fc_corr"]


def _from_autocovariance(summarise, nperseg, sfreq, fmin, fmax):
    """``from_moments``: the summary of the expected log spectrum in the band.

    It reads ``m['autocov']`` (``(n_lags, n_channels)``, lags in samples)
    and ``m['n_time']`` (for the default segment); ``spectral_lags(n_time)``
    says how many lags it needs.
    """

    def segment(n_time):
        return default_nperseg(n_time) if nperseg is None else int(nperseg)

    def from_moments(m):
        return summarise(*expected_log_psd(m["autocov"], segment(m["n_time"]), sfreq, fmin,
                                           fmax))

    from_moments.spectral_lags = segment
    from_moments.region = False  # reads no region covariance
    return from_moments


def log_psd_distance(sfreq=1.0, fmin=None, fmax=None, nperseg=None, gain="profile"):
    """Build the RMS distance between log10 Welch spectra over a band, all channels.

    Parameters
    ----------
    sfreq : float, default=1.0
        Sampling rate (Hz); 1 reads ``fmin`` / ``fmax`` in cycles per sample.
    fmin, fmax : float or None
        The band (``None``: from the lowest non-zero frequency / to Nyquist).
    nperseg : int or None
        Welch segment length (``None``: a quarter of ``n_time``, 16 to 256).
    gain : {'profile', None}, default='profile'
        ``'profile'``: subtract the mean log-power difference first (the
        best global gain, in closed form); ``None``: absolute log power.

    Returns
    -------
    callable
        ``objective(prediction, target) -> scalar`` (log10 units: 1 is a
        factor 10 in power), smooth in the prediction.

    Examples
    --------
    >>> import numpy as np
    >>> from brainestimators import log_psd_distance
    >>> x = np.random.default_rng(0).normal(size=(640, 4))
    >>> d = log_psd_distance(sfreq=160.0, fmin=1, fmax=40, nperseg=160)
    >>> round(float(d(3 * x, x)), 6)  # a gain is profiled out
    0.0
    """

    def prepare(target):
        return log_psd(target, nperseg, sfreq, fmin, fmax)[1]

    def match(lp, lt):
        diff = lp - lt
        if gain == "profile":
            diff = diff - jnp.mean(diff)
        return rms(diff)

    def compare(prediction, lt):
        return match(prepare(prediction), lt)

    def loss(prediction, target):
        return compare(prediction, prepare(target))

    return preparable(loss, prepare, compare, match,
                       _from_autocovariance(lambda f, lp: lp, nperseg, sfreq, fmin, fmax))


def spectral_peak(sfreq=1.0, fmin=None, fmax=None, nperseg=None, temperature=0.02):
    """Build a distance between the spectral peaks: frequency and power topography.

    The peak frequency of each channel (a soft arg-max of the log spectrum
    in the band, differentiable) and its log10 power; the loss is the RMS
    frequency difference over channels, divided by the band's width, plus
    the RMS difference of the peak log power across channels after
    removing the mean (the topography; the global gain is not known).

    Parameters
    ----------
    sfreq, fmin, fmax, nperseg
        As in :func:`log_psd_distance`; the band is the peak's search band
        (e.g. 7-14 Hz for alpha).
    temperature : float, default=0.02
        Softness of the arg-max in log10 power (0.02: power within a
        factor 1.05 of the maximum weighs ``1/e`` or more).

    Examples
    --------
    >>> import numpy as np
    >>> from brainestimators import spectral_peak
    >>> t = np.arange(1600)[:, None] / 160.0
    >>> x = np.sin(2 * np.pi * 10 * t) + 0.1 * np.random.default_rng(0).normal(size=(1600, 3))
    >>> loss = spectral_peak(sfreq=160.0, fmin=7, fmax=14, nperseg=320)
    >>> float(loss(x, x)) == 0.0
    True
    """

    def features(f, lp):
        # peak_frequency's soft arg-max, from the log power (1e38 W overflows float32)
        w = jnp.exp((lp - lp.max(axis=0)) / temperature)
        w = w / jnp.sum(w, axis=0)
        peak = jnp.sum(f[:, None] * w, axis=0)
        power = jnp.sum(lp * w, axis=0)
        return peak, power, jnp.asarray((f[-1] - f[0]) if f.shape[0] > 1 else 1.0)

    def prepare(target):
        return features(*log_psd(target, nperseg, sfreq, fmin, fmax))

    def match(model, data):
        dp = model[1] - data[1]
        return rms((model[0] - data[0]) / data[2]) + rms(dp - jnp.mean(dp))

    def compare(prediction, data):
        return match(prepare(prediction), data)

    def loss(prediction, target):
        return compare(prediction, prepare(target))

    return preparable(loss, prepare, compare, match,
                       _from_autocovariance(features, nperseg, sfreq, fmin, fmax))


def aperiodic_exponent(sfreq=1.0, fmin=None, fmax=None, nperseg=None, exclude=None):
    """Build the RMS difference of the aperiodic (1/f) exponents over channels.

    The exponent is the negative slope of a least-squares line of log10
    power on log10 frequency in the band, per channel (specparam's
    'fixed' aperiodic mode without its peaks; ``exclude`` leaves a peak's
    band out of the line).

    Examples
    --------
    >>> import numpy as np
    >>> from brainestimators import aperiodic_exponent
    >>> x = np.cumsum(np.random.default_rng(0).normal(size=(1024, 2)), axis=0)
    >>> float(aperiodic_exponent(nperseg=256)(x, x))
    0.0
    """

    def exponent(f, lp):
        return aperiodic_fit(f, lp, exclude)[1]

    def prepare(target):
        return exponent(*log_psd(target, nperseg, sfreq, fmin, fmax, per_channel=True))

    def match(model, data):
        return rms(model - data)

    def compare(prediction, data):
        return match(prepare(prediction), data)

    def loss(prediction, target):
        return compare(prediction, prepare(target))

    return preparable(loss, prepare, compare, match,
                       _from_autocovariance(exponent, nperseg, sfreq, fmin, fmax))


def envelope_fc_corr(sfreq=1.0, fmin=0.04, fmax=0.1, as_loss=False):
    """Build a band-limited sensor FC similarity: correlation of envelope FCs.

    Each channel is band-passed to ``[fmin, fmax]``, its amplitude envelope
    taken (analytic signal) and the channels' envelope correlations (the
    amplitude-envelope FC) compared between prediction and target by the
    correlation of their upper triangles.

    Parameters
    ----------
    sfreq : float, default=1.0
    fmin, fmax : float, default=0.04, 0.1
        The band (cycles per sample with ``sfreq=1``: 6.4-16 Hz at 160 Hz).
    as_loss : bool, default=False
        Return ``1 - corr``.

    Examples
    --------
    >>> import numpy as np
    >>> from brainestimators import envelope_fc_corr
    >>> x = np.random.default_rng(0).normal(size=(400, 5))
    >>> round(float(envelope_fc_corr()(x, x)), 4)
    1.0
    """

    def prepare(target):
        return upper_triangle(envelope_fc(target, fmin, fmax, sfreq))

    def compare(prediction, edges):
        corr = correlation(prepare(prediction), edges)
        return 1.0 - corr if as_loss else corr

    def objective(prediction, target):
        return compare(prediction, prepare(target))

    return preparable(objective, prepare, compare)
