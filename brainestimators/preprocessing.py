"""Transformers for stacks of recordings ``(n_samples, n_time, n_regions)``.

Each works row by row (a row is one recording), so it is stateless across
samples and safe inside cross-validation: standardisation, band-pass
filtering, and functional-connectivity (FC) / FC-dynamics (FCD) features.
"""

import numbers

import braintools
import jax
import jax.numpy as jnp
import numpy as np
import scipy.signal
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import validate_data

__all__ = ["RecordingScaler", "BandPassFilter", "FunctionalConnectivity", "FCDFeatures"]


class _RecordingTransformer(TransformerMixin, BaseEstimator):
    """Shared validation: 3-D recordings (2-D read as one region each)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.requires_fit = False
        return tags

    def _check(self, X, reset):
        """Validated recordings as 3-D, and whether X was 2-D (one region)."""
        X = validate_data(self, X, reset=reset, allow_nd=True, dtype=np.float64)
        flat = X.ndim == 2
        if flat:
            X = X[:, :, None]
        if X.ndim != 3:
            raise ValueError(
                f"X must be recordings (n_samples, n_time, n_regions); got shape {X.shape}."
            )
        return X, flat

    def fit(self, X, y=None):
        """Check X and remember its shape; no statistics are learned.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_time, n_regions) or (n_samples, n_time)
            Recordings.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._check(X, reset=True)
        self._validate_params()
        return self

    def _validate_params(self):
        pass


class RecordingScaler(_RecordingTransformer):
    """Standardise each region of each recording over time (z-score).

    Parameters
    ----------
    with_mean : bool, default=True
        Subtract each region's temporal mean.
    with_std : bool, default=True
        Divide by each region's temporal standard deviation (constant
        regions are left at zero).

    Examples
    --------
    >>> import numpy as np
    >>> from brainestimators.preprocessing import RecordingScaler
    >>> X = np.random.default_rng(0).normal(3.0, 2.0, size=(2, 100, 4))
    >>> Z = RecordingScaler().fit_transform(X)
    >>> bool(np.allclose(Z.mean(axis=1), 0) and np.allclose(Z.std(axis=1), 1))
    True
    """

    def __init__(self, with_mean=True, with_std=True):
        self.with_mean = with_mean
        self.with_std = with_std

    def transform(self, X):
        """Standardised recordings, same shape as X (2-D stays 2-D).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_time, n_regions) or (n_samples, n_time)

        Returns
        -------
        ndarray of float64
        """
        Xv, flat = self._check(X, reset=False)
        out = Xv.copy()
        if self.with_mean:
            out -= out.mean(axis=1, keepdims=True)
        if self.with_std:
            sd = out.std(axis=1, keepdims=True)
            out = np.divide(out, sd, out=np.zeros_like(out), where=sd > 0)
        return out[:, :, 0] if flat else out


class BandPassFilter(_RecordingTransformer):
    """Zero-phase Butterworth band-pass filter along time.

    Parameters
    ----------
    low : float, default=0.01
        Low cut-off in Hz (``None`` for a low-pass filter).
    high : float, default=0.1
        High cut-off in Hz (``None`` for a high-pass filter).
    sample_dt : float, default=720.0
        Sampling interval of the recordings in ms (e.g. a BOLD TR).
    order : int, default=2
        Filter order (applied forwards and backwards).

    Examples
    --------
    >>> import numpy as np
    >>> from brainestimators.preprocessing import BandPassFilter
    >>> t = np.arange(1200) * 0.72
    >>> X = (np.sin(2 * np.pi * 0.05 * t) + np.sin(2 * np.pi * 0.5 * t))[None, :, None]
    >>> Y = BandPassFilter(0.01, 0.1, sample_dt=720.0).fit_transform(X)
    >>> bool(np.std(Y) < np.std(X))
    True
    """

    def __init__(self, low=0.01, high=0.1, sample_dt=720.0, order=2):
        self.low = low
        self.high = high
        self.sample_dt = sample_dt
        self.order = order

    def _sos(self):
        if not isinstance(self.sample_dt, numbers.Real) or self.sample_dt <= 0:
            raise ValueError(f"sample_dt must be a positive number of ms, got {self.sample_dt!r}.")
        nyq = 0.5 * 1000.0 / self.sample_dt
        low, high = self.low, self.high
        for name, f in (("low", low), ("high", high)):
            if f is not None and not 0 < f < nyq:
                raise ValueError(f"{name}={f} Hz must lie in (0, {nyq:g}) (the Nyquist frequency).")
        if low is None and high is None:
            raise ValueError("Give low, high or both.")
        if low is not None and high is not None and not low < high:
            raise ValueError(f"low ({low}) must be < high ({high}).")
        if low is None:
            return scipy.signal.butter(self.order, high, "lowpass", fs=2 * nyq, output="sos")
        if high is None:
            return scipy.signal.butter(self.order, low, "highpass", fs=2 * nyq, output="sos")
        return scipy.signal.butter(self.order, [low, high], "bandpass", fs=2 * nyq, output="sos")

    def _validate_params(self):
        self._sos()

    def transform(self, X):
        """Filtered recordings, same shape as X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_time, n_regions) or (n_samples, n_time)

        Returns
        -------
        ndarray of float64
        """
        Xv, flat = self._check(X, reset=False)
        sos = self._sos()
        padlen = min(3 * (2 * len(sos) + 1), Xv.shape[1] - 1)
        out = scipy.signal.sosfiltfilt(sos, Xv, axis=1, padlen=max(padlen, 0))
        return out[:, :, 0] if flat else out


def _upper(M):
    iu = np.triu_indices(M.shape[-1], 1)
    return M[..., iu[0], iu[1]]


class FunctionalConnectivity(_RecordingTransformer):
    """Functional connectivity (Pearson correlation between regions) per recording.

    Parameters
    ----------
    vectorize : bool, default=True
        Return the upper triangle ``(n_samples, n_regions * (n_regions - 1) / 2)``
        (features for a classifier) instead of ``(n_samples, n_regions, n_regions)``.
    fisher_z : bool, default=False
        Apply ``arctanh`` to the correlations (clipped below 1).

    Examples
    --------
    >>> import numpy as np
    >>> from brainestimators.preprocessing import FunctionalConnectivity
    >>> X = np.random.default_rng(0).normal(size=(3, 200, 5))
    >>> FunctionalConnectivity().fit_transform(X).shape
    (3, 10)
    """

    def __init__(self, vectorize=True, fisher_z=False):
        self.vectorize = vectorize
        self.fisher_z = fisher_z

    def transform(self, X):
        """FC of each recording.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_time, n_regions)

        Returns
        -------
        ndarray of float64
        """
        Xv, _ = self._check(X, reset=False)
        fc = np.asarray(jax.vmap(braintools.metric.functional_connectivity)(jnp.asarray(Xv)),
                        dtype=np.float64)
        fc = np.nan_to_num(fc)
        if self.fisher_z:
            fc = np.arctanh(np.clip(fc, -0.999999, 0.999999))
        return _upper(fc) if self.vectorize else fc


class FCDFeatures(_RecordingTransformer):
    """Functional-connectivity dynamics: correlations between sliding-window FCs.

    Parameters
    ----------
    window_size : int, default=30
        Window length in samples.
    step_size : int, default=5
        Window step in samples.
    output : {'histogram', 'matrix'}, default='histogram'
        ``'histogram'``: the distribution of the FCD values (upper triangle)
        in ``n_bins`` bins on [-1, 1], a fixed-length feature vector;
        ``'matrix'``: the FCD matrices ``(n_samples, n_windows, n_windows)``.
    n_bins : int, default=20
        Histogram bins.

    Examples
    --------
    >>> import numpy as np
    >>> from brainestimators.preprocessing import FCDFeatures
    >>> X = np.random.default_rng(0).normal(size=(2, 120, 4))
    >>> FCDFeatures(window_size=30, step_size=10).fit_transform(X).shape
    (2, 20)
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # FCD correlates windowed FCs between regions: a 2-D X (one region
        # per row under the data contract) has none, so only 3-D input is valid.
        tags.input_tags.two_d_array = False
        return tags

    def __init__(self, window_size=30, step_size=5, output="histogram", n_bins=20):
        self.window_size = window_size
        self.step_size = step_size
        self.output = output
        self.n_bins = n_bins

    def _validate_params(self):
        if self.output not in ("histogram", "matrix"):
            raise ValueError(f"output must be 'histogram' or 'matrix', got {self.output!r}.")

    def transform(self, X):
        """FCD features of each recording.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_time, n_regions)

        Returns
        -------
        ndarray of float64
        """
        self._validate_params()
        Xv, _ = self._check(X, reset=False)
        if Xv.shape[2] < 2:
            raise ValueError(f"FCD needs at least 2 regions, got {Xv.shape[2]}.")
        if Xv.shape[1] < self.window_size:
            raise ValueError(f"recordings have {Xv.shape[1]} samples, fewer than window_size={self.window_size}.")
        fcd = np.stack([np.asarray(braintools.metric.functional_connectivity_dynamics(
            jnp.asarray(x), self.window_size, self.step_size)) for x in Xv]).astype(np.float64)
        fcd = np.nan_to_num(fcd)
        if self.output == "matrix":
            return fcd
        edges = np.linspace(-1.0, 1.0, self.n_bins + 1)
        return np.stack([np.histogram(_upper(m), bins=edges, density=True)[0] for m in fcd])
