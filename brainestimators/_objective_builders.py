"""Objective builders: each returns ``objective(prediction, target) -> scalar``.

The brainmass contract: the returned callable is pure, jit / grad / vmap-safe
and unit-aware; a prediction and a target are ``(n_time, n_regions)``
recordings. The FC, FCD, cosine and spectral objectives are computed on
rescaled data (:mod:`._metrics`), so they are the same for data at 1e-20 and
at 1e30 in float32, and a NaN in the data gives a NaN loss (a diverged
candidate) rather than a finite one.

brainmass's ``timeseries_rmse``, ``fc_corr``, ``fc_rmse`` and ``cosine_sim`` are
rebuilt here (``fcd``, ``fcd_ks`` and ``fcd_wasserstein`` in
:mod:`._fcd_objectives`) on those metrics for measured reasons (brainmass
0.1.1, float32, 3 regions): ``fc_corr`` gives 0.61 on data and exactly 1.0
on the same data times 1e30; ``timeseries_rmse`` has a NaN gradient at a
perfect fit; ``fcd_ks`` gives NaN at 1e-20 and 1e20; ``cosine_sim`` gives NaN
at 1e-20; and a NaN in the prediction gives ``fc_corr`` a finite loss (1.51)
and a constant region a NaN gradient.

The helpers every builder shares live here too: :func:`preparable` (a
loss with its target summary), :func:`recording` and :func:`rms`.
"""

import braintools
import brainunit as u
import jax
import jax.numpy as jnp

try:  # braintools >= 0.4 (Python >= 3.12), which deprecates the braintools.metric name
    from braintools.analysis.spectral import power_spectral_density as _psd
except ImportError:  # braintools 0.3 (Python 3.11)
    _psd = braintools.metric.power_spectral_density

from ._metrics import (
    correlation,
    functional_connectivity,
    matrix_correlation,
    rescale,
    standardize,
    upper_triangle,
)

__all__ = ["timeseries_rmse", "mse", "std_rmse", "psd_corr", "fc_corr", "fc_rmse", "fc_lag_corr",
           "cosine_sim", "preparable", "recording", "rms"]


def preparable(loss, prepare, compare, match=None, from_moments=None):
    """Attach ``prepare`` / ``compare`` to ``loss``: ``loss(p, t) == compare(p, prepare(t))``.

    A fit compares one simulation with the same target recordings at every
    step; with these the target's summary (its FC edges, its FCD density) is
    computed once per fit instead of once per step (an FC + FCD KS gradient
    step on 6 HCP recordings spent most of its objective time on the
    targets' FCDs). The loss itself stays the plain brainmass-contract
    callable.

    ``match(summary, summary) -> loss`` compares two summaries, so a model's
    *expected* summary can stand for one draw's: the mean of several draws'
    summaries, or (``from_moments(moments) -> summary``) one computed from
    the analytic moments (:mod:`._moments`: ``'fc'``, ``'cov'`` and
    ``'lagged'``, the covariance one sample apart).
    """
    loss.prepare, loss.compare = prepare, compare
    loss.match, loss.from_moments = match, from_moments
    return loss


def recording(x):
    """Magnitude of a recording as ``(n_time, n_channels)`` (1-D: one channel)."""
    x = jnp.asarray(u.get_magnitude(x))
    return x.reshape(x.shape[0], -1)


def rms(v, axis=None):
    """Root mean square, without overflow and with a finite gradient at 0.

    The scale ``m`` cancels from the value (``m * sqrt(mean((v / m) ** 2))``),
    so it is held constant for the derivative: the derivative of a ``max``
    is not needed, and under ``jit(vmap(jvp))`` (the ``grad`` backend's
    forward mode over rows) JAX 0.10's is wrong (see :func:`ks_distance`).
    """
    v = jnp.asarray(v)
    m = jax.lax.stop_gradient(jnp.max(jnp.abs(v), axis=axis, keepdims=True))
    ms = jnp.mean((v / jnp.where(m > 0, m, 1.0)) ** 2, axis=axis)
    ok = ms != 0
    m = jnp.squeeze(m, axis) if axis is not None else jnp.reshape(m, ())
    return jnp.where(ok, m * jnp.sqrt(jnp.where(ok, ms, 1.0)), 0.0)


def timeseries_rmse():
    """Build the root-mean-square error ``sqrt(mean((prediction - target) ** 2))``.

    brainmass's, with a finite gradient at a perfect fit (where ``sqrt``'s is
    NaN) and without overflow for errors up to float32's range. The
    subtraction is unit-checked: incompatible units raise.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> float(timeseries_rmse()(jnp.full((10, 3), 2.0), jnp.zeros((10, 3))))
    2.0
    """

    def loss(prediction, target):
        return rms(u.get_magnitude(prediction - target))

    return loss


def mse():
    """Build a mean-squared-error loss ``mean((prediction - target) ** 2)``."""

    def loss(prediction, target):
        return jnp.mean((jnp.asarray(prediction) - jnp.asarray(target)) ** 2)

    return loss


def std_rmse():
    """Build an RMSE between the regions' temporal standard deviations.

    Matches the amplitude of each region, which correlation-based objectives
    (``fc_corr``, ``psd_corr``) ignore, and is insensitive to the phase of
    the noise, unlike ``timeseries_rmse``; combine it with those. It is in
    the data's units: scaling both recordings by ``s`` scales it by ``s``.

    Returns
    -------
    callable
        ``objective(prediction, target) -> scalar`` for ``(n_time, n_regions)``.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from brainestimators import std_rmse
    >>> x = jnp.arange(20.0).reshape(10, 2)
    >>> bool(jnp.isclose(std_rmse()(2 * x, x), jnp.std(x[:, 0])))
    True
    """

    def objective(prediction, target):
        def std(x):
            x = recording(x)
            return rms(x - jnp.mean(x, axis=0), axis=0)

        return rms(std(prediction) - std(target))

    return objective


def psd_corr(nperseg=None, as_loss=False, eps=1e-12):
    """Build a spectral-shape similarity: correlation of log power spectra.

    Welch spectra (braintools' ``power_spectral_density``) of each
    standardised region are log-transformed and correlated between prediction
    and target, then averaged over regions. Scale-free in time (the sampling
    interval cancels), in amplitude and in offset (each region is z-scored
    first), so it matches the *shape* of the spectrum, e.g. the alpha peak,
    and leaves amplitude to other terms.

    Parameters
    ----------
    nperseg : int or None, default=None
        Welch segment length (``None``: braintools' default, ``n_time // 8``;
        a spectrum needs ``nperseg >= 4``, i.e. 3 frequencies, to have a shape).
    as_loss : bool, default=False
        Return ``1 - corr`` (a loss) instead of ``corr``.
    eps : float, default=1e-12
        Floor inside the logarithm, relative to each region's variance.

    Returns
    -------
    callable
        ``objective(prediction, target) -> scalar`` for ``(n_time, n_regions)``.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from brainestimators import psd_corr
    >>> t = jnp.arange(256.0)[:, None]
    >>> x = jnp.sin(0.3 * t) + 0.1 * jnp.cos(1.1 * t)
    >>> round(float(psd_corr(nperseg=64)(x, 1e25 * x + 3e25)), 4)
    1.0
    """

    def objective(prediction, target):
        def logpsd(x):
            _, p = _psd(
                standardize(recording(x), axis=0), 1.0, nperseg=nperseg)
            return jnp.log(p + eps)

        corr = jnp.mean(correlation(logpsd(prediction), logpsd(target), axis=0))
        return 1.0 - corr if as_loss else corr

    return objective


def fc_corr(as_loss=False):
    """Build a functional-connectivity similarity: correlation of the two FCs.

    The Pearson correlation between the upper triangles of the prediction's
    and the target's FC (:func:`~brainestimators._metrics.functional_connectivity`).
    Needs 3 regions: the FC of 2 regions has one off-diagonal value.

    Parameters
    ----------
    as_loss : bool, default=False
        Return ``1 - corr`` (a loss) instead of ``corr``.

    Returns
    -------
    callable
        ``objective(prediction, target) -> scalar`` for ``(n_time, n_regions)``.
    """

    def objective(prediction, target):
        corr = matrix_correlation(functional_connectivity(recording(prediction)),
                                  functional_connectivity(recording(target)))
        return 1.0 - corr if as_loss else corr

    def prepare(target):
        return upper_triangle(functional_connectivity(recording(target)))

    def match(edges, target_edges):
        corr = correlation(edges, target_edges)
        return 1.0 - corr if as_loss else corr

    def compare(prediction, edges):
        return match(prepare(prediction), edges)

    return preparable(objective, prepare, compare, match, lambda m: upper_triangle(m["fc"]))


def fc_rmse():
    """Build the RMSE between the prediction's and the target's FC matrices."""

    def prepare(x):
        return functional_connectivity(recording(x))

    def match(fc, target_fc):
        return rms(fc - target_fc)

    def compare(prediction, target_fc):
        return match(prepare(prediction), target_fc)

    def loss(prediction, target):
        return compare(prediction, prepare(target))

    return preparable(loss, prepare, compare, match, lambda m: m["fc"])


def _lag_correlation(x):
    """Lag-1 correlation matrix ``E[z(t) z(t + 1)^T]`` of a standardised recording."""
    z = standardize(recording(x), axis=0)
    return z[:-1].T @ z[1:] / (z.shape[0] - 1)


def fc_lag_corr(as_loss=False):
    """Build an FC plus lag-1 similarity: the mean of the FC and the lag-1 correlations' agreement.

    ``(corr(FC_p, FC_t) + corr(L_p, L_t)) / 2``, ``L = E[z(t) z(t + 1)^T]`` the
    correlation of each region with each region one sample later (all
    entries: the diagonal holds each region's own time scale, the rest the
    direction of the interactions). With ``fc_from='moments'`` the model's
    ``L`` is its analytic lag-one-sample covariance, normalised (Gilson et
    al.'s MOU-EC matches the same pair of statistics). As a loss:
    ``1 - (mean)``.

    Parameters
    ----------
    as_loss : bool, default=False

    Returns
    -------
    callable
        ``objective(prediction, target) -> scalar`` for ``(n_time, n_regions)``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(200, 3)).cumsum(axis=0)
    >>> round(float(fc_lag_corr()(x, x)), 4)
    1.0
    """

    def prepare(x):
        return upper_triangle(functional_connectivity(recording(x))), _lag_correlation(x).ravel()

    def match(s, t):
        mean = 0.5 * (correlation(s[0], t[0]) + correlation(s[1], t[1]))
        return 1.0 - mean if as_loss else mean

    def compare(prediction, features):
        return match(prepare(prediction), features)

    def objective(prediction, target):
        return compare(prediction, prepare(target))

    def from_moments(m):
        d = jnp.sqrt(jnp.clip(jnp.diagonal(m["cov"]), 1e-30, None))
        return upper_triangle(m["fc"]), (m["lagged"][0] / d[:, None] / d[None, :]).ravel()

    from_moments.lagged = True
    return preparable(objective, prepare, compare, match, from_moments)


def cosine_sim(as_loss=False):
    """Build the cosine similarity of the two recordings, flattened.

    Parameters
    ----------
    as_loss : bool, default=False
        Return ``1 - cos`` (a loss) instead of ``cos``.
    """

    def objective(prediction, target):
        # Rescaled, a non-zero vector has a norm >= 1, so braintools' epsilon
        # floor only acts on an all-zero recording (cosine 0, finite gradient).
        cos = braintools.metric.cosine_similarity(
            rescale(recording(prediction).reshape(-1)),
            rescale(recording(target).reshape(-1)), epsilon=1e-8)
        return 1.0 - cos if as_loss else cos

    return objective
