"""Transformers for stacks of recordings ``(n_samples, n_time, n_regions)``.

Each works row by row (a row is one recording), so it is stateless across
samples and safe inside cross-validation: standardisation, band-pass
filtering, and functional-connectivity (FC) / FC-dynamics (FCD) features.
Parameters are validated by scikit-learn (``_parameter_constraints``), in
``fit`` and, since fitting is optional, in ``transform``.
"""

from functools import partial
from numbers import Integral, Real

import jax
import jax.numpy as jnp
import numpy as np
import scipy.signal
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import validate_data

from ._metrics import fcd_matrix, functional_connectivity, n_windows, upper_triangle

__all__ = ["RecordingScaler", "BandPassFilter", "FunctionalConnectivity", "FCDFeatures"]


class _RecordingTransformer(TransformerMixin, BaseEstimator):
    """Shared validation: 3-D recordings (2-D read as one region each)."""

    _parameter_constraints: dict = {}

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

    def _check_transform(self, X):
        # ``transform`` works without ``fit`` (requires_fit=False), so it
        # validates the parameters too.
        self._validate_params()
        return self._check(X, reset=False)

    @_fit_context(prefer_skip_nested_validation=True)
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
        self._check_settings()
        return self

    def _check_settings(self):
        """Checks across parameters (each parameter alone is validated by sklearn)."""


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

    _parameter_constraints: dict = {"with_mean": ["boolean"], "with_std": ["boolean"]}

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
        Xv, flat = self._check_transform(X)
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

    _parameter_constraints: dict = {
        "low": [Interval(Real, 0, None, closed="neither"), None],
        "high": [Interval(Real, 0, None, closed="neither"), None],
        "sample_dt": [Interval(Real, 0, None, closed="neither")],
        "order": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, low=0.01, high=0.1, sample_dt=720.0, order=2):
        self.low = low
        self.high = high
        self.sample_dt = sample_dt
        self.order = order

    def _sos(self):
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

    def _check_settings(self):
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
        Xv, flat = self._check_transform(X)
        sos = self._sos()
        padlen = min(3 * (2 * len(sos) + 1), Xv.shape[1] - 1)
        out = scipy.signal.sosfiltfilt(sos, Xv, axis=1, padlen=max(padlen, 0))
        return out[:, :, 0] if flat else out


class FunctionalConnectivity(_RecordingTransformer):
    """Functional connectivity (Pearson correlation between regions) per recording.

    A constant region has zero correlation with every other region (and 1 on
    the diagonal).

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

    _parameter_constraints: dict = {"vectorize": ["boolean"], "fisher_z": ["boolean"]}

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
        Xv, _ = self._check_transform(X)
        fc = np.asarray(functional_connectivity(jnp.asarray(Xv, jnp.float32)), dtype=np.float64)
        if self.fisher_z:
            fc = np.arctanh(np.clip(fc, -0.999999, 0.999999))
        return np.asarray(upper_triangle(fc)) if self.vectorize else fc


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

    _parameter_constraints: dict = {
        "window_size": [Interval(Integral, 2, None, closed="left")],
        "step_size": [Interval(Integral, 1, None, closed="left")],
        "output": [StrOptions({"histogram", "matrix"})],
        "n_bins": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, window_size=30, step_size=5, output="histogram", n_bins=20):
        self.window_size = window_size
        self.step_size = step_size
        self.output = output
        self.n_bins = n_bins

    def transform(self, X):
        """FCD features of each recording.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_time, n_regions)

        Returns
        -------
        ndarray of float64
            ``(n_samples, n_bins)`` histograms or ``(n_samples, n_windows,
            n_windows)`` matrices.

        Raises
        ------
        ValueError
            With fewer than 3 regions (the windows' FCs then have fewer than
            3 values, and every FCD value is the same), or with fewer windows
            than the output needs: 1 for ``'matrix'``, 2 for ``'histogram'``
            (the distribution of no values is undefined).
        """
        Xv, _ = self._check_transform(X)
        n_time, n_regions = Xv.shape[1:]
        if n_regions < 3:
            raise ValueError(
                "FCD needs at least 3 regions: the FC of fewer has fewer than 3 "
                f"off-diagonal values to correlate between windows; got {n_regions}."
            )
        need = 2 if self.output == "histogram" else 1
        count = n_windows(n_time, self.window_size, self.step_size)
        if count < need:
            fewest = self.window_size + (need - 1) * self.step_size
            raise ValueError(
                f"FCDFeatures(window_size={self.window_size}, step_size={self.step_size}) "
                f"makes {count} window(s) of a {n_time}-sample recording; output="
                f"{self.output!r} needs {need} ({fewest} samples). Use a smaller window_size "
                "or step_size" + (", or output='matrix'" if need == 2 else "") + "."
            )
        fcd = jax.vmap(partial(fcd_matrix, window_size=self.window_size,
                               step_size=self.step_size))(jnp.asarray(Xv, jnp.float32))
        fcd = np.asarray(fcd, dtype=np.float64)
        if self.output == "matrix":
            return fcd
        edges = np.linspace(-1.0, 1.0, self.n_bins + 1)
        values = np.clip(np.asarray(upper_triangle(fcd)), -1.0, 1.0)
        return np.stack([np.histogram(v, bins=edges, density=True)[0] for v in values])
