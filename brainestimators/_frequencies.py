"""Frequencies read off recordings: each region's spectral peak in a band.

NumPy / SciPy on the host: these are values computed once from training
recordings (``w='peak_frequency'``), not traced.
"""

import numpy as np
import scipy.signal

__all__ = ["peak_frequencies"]


def peak_frequencies(X, sample_dt, band=(0.008, 0.08), nperseg=256):
    """Each region's peak frequency (Hz) in a band, from Welch spectra averaged over rows.

    Sets the intrinsic frequencies of a Hopf model from the data
    (``w = 2 * pi * f / 1000`` per ms).

    Parameters
    ----------
    X : array of shape (n_samples, n_time, n_regions)
        Recordings.
    sample_dt : float
        Sampling interval in ms.
    band : (float, float), default=(0.008, 0.08)
        Frequency band searched, in Hz.
    nperseg : int, default=256
        Welch segment length (capped at ``n_time``).

    Returns
    -------
    ndarray of shape (n_regions,)

    Examples
    --------
    >>> import numpy as np
    >>> from brainestimators.datasets import peak_frequencies
    >>> t = np.arange(1200) * 0.72
    >>> X = np.sin(2 * np.pi * 0.05 * t)[None, :, None]
    >>> float(np.round(peak_frequencies(X, 720.0)[0], 2))
    0.05
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 3:
        raise ValueError(f"X must be (n_samples, n_time, n_regions), got shape {X.shape}.")
    fs = 1000.0 / sample_dt
    f, P = scipy.signal.welch(X - X.mean(axis=1, keepdims=True), fs=fs, axis=1,
                              nperseg=min(nperseg, X.shape[1]))
    sel = (f >= band[0]) & (f <= band[1])
    if not sel.any():
        raise ValueError(f"No frequency of the spectrum lies in band {band} Hz.")
    return f[sel][np.argmax(P[:, sel, :].mean(axis=0), axis=0)]
