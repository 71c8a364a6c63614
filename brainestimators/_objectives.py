"""Objectives by name: brainmass's objective builders plus their score sign.

An objective is ``objective(prediction, target) -> scalar`` (the brainmass
contract). Internally every objective is a *loss* (minimised); its *score*
(greater is better, what ``score`` and the scorers return) follows from how
the loss was built: ``1 - loss`` for similarity objectives built with
``as_loss=True``, ``-loss`` for distances and for user callables.
"""

from dataclasses import dataclass
from functools import lru_cache

import braintools
import jax.numpy as jnp
from brainmass import objectives as _bm

__all__ = ["Objective", "OBJECTIVES", "resolve_objective", "mse", "psd_corr", "std_rmse"]


def mse():
    """Build a mean-squared-error loss ``mean((prediction - target) ** 2)``."""

    def loss(prediction, target):
        return jnp.mean((jnp.asarray(prediction) - jnp.asarray(target)) ** 2)

    return loss


def std_rmse():
    """Build an RMSE between the regions' temporal standard deviations.

    Matches the amplitude of each region, which correlation-based objectives
    (``fc_corr``, ``psd_corr``) ignore, and is insensitive to the phase of
    the noise, unlike ``timeseries_rmse``; combine it with those.

    Returns
    -------
    callable
        ``objective(prediction, target) -> scalar`` for ``(n_time, n_regions)``.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from brainestimators import std_rmse
    >>> x = jnp.arange(20.0).reshape(10, 2)
    >>> float(std_rmse()(2 * x, x)) == float(jnp.std(x[:, 0]))
    True
    """

    def objective(prediction, target):
        sp = jnp.std(_bm._mag(prediction), axis=0)
        st = jnp.std(_bm._mag(target), axis=0)
        return jnp.sqrt(jnp.mean((sp - st) ** 2))

    return objective


def psd_corr(nperseg=None, as_loss=False, eps=1e-12):
    """Build a spectral-shape similarity: correlation of log power spectra.

    Welch spectra (``braintools.metric.power_spectral_density``) of each
    region are log-transformed and correlated between prediction and target,
    then averaged over regions. Scale-free in time (the sampling interval
    cancels) and in amplitude (a correlation), so it matches the *shape* of
    the spectrum, e.g. the alpha peak, and leaves amplitude to other terms.

    Parameters
    ----------
    nperseg : int or None, default=None
        Welch segment length (``None``: braintools' default).
    as_loss : bool, default=False
        Return ``1 - corr`` (a loss) instead of ``corr``.
    eps : float, default=1e-12
        Floor inside the logarithm.

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
    >>> round(float(psd_corr(nperseg=64)(x, x)), 4)
    1.0
    """

    def objective(prediction, target):
        def logpsd(x):
            x = _bm._mag(x)
            x = x.reshape(x.shape[0], -1)
            _, p = braintools.metric.power_spectral_density(x, 1.0, nperseg=nperseg)
            lp = jnp.log(p + eps)
            return lp - lp.mean(axis=0)

        a, b = logpsd(prediction), logpsd(target)
        corr = jnp.sum(a * b, axis=0) / jnp.sqrt(jnp.sum(a**2, axis=0) * jnp.sum(b**2, axis=0) + eps)
        corr = jnp.mean(corr)
        return 1.0 - corr if as_loss else corr

    return objective


@dataclass(frozen=True, eq=False)
class Objective:
    """A loss plus the rule that turns it into a score.

    Parameters
    ----------
    loss : callable
        ``loss(prediction, target) -> scalar``, minimised by every backend.
    similarity : bool
        ``True`` if the loss is ``1 - similarity`` (score ``1 - loss``),
        ``False`` for a distance (score ``-loss``).
    name : str
        Display name.
    """

    loss: object
    similarity: bool = False
    name: str = "custom"

    def score(self, loss):
        """Turn a loss value into a score (greater is better)."""
        return 1.0 - loss if self.similarity else -loss


# name -> (builder returning a loss, similarity?)
OBJECTIVES = {
    "timeseries_rmse": (_bm.timeseries_rmse, False),
    "mse": (mse, False),
    "fc_corr": (lambda: _bm.fc_corr(as_loss=True), True),
    "fc_rmse": (_bm.fc_rmse, False),
    "cosine_sim": (lambda: _bm.cosine_sim(as_loss=True), True),
    "fcd": (lambda: _bm.fcd(as_loss=True), True),
    "fcd_ks": (_bm.fcd_ks, False),
    "fcd_wasserstein": (_bm.fcd_wasserstein, False),
    "psd_corr": (lambda: psd_corr(as_loss=True), True),
    "std_rmse": (std_rmse, False),
}


@lru_cache(maxsize=None)
def _named(name):
    builder, similarity = OBJECTIVES[name]
    return Objective(builder(), similarity, name)


def resolve_objective(objective):
    """Return the :class:`Objective` for a name, an Objective or a callable.

    Named objectives are built once per process, so estimators (and their
    clones) that name the same objective share one compiled evaluator.
    """
    if isinstance(objective, Objective):
        return objective
    if isinstance(objective, str):
        if objective not in OBJECTIVES:
            raise ValueError(
                f"Unknown objective {objective!r}; choose one of {sorted(OBJECTIVES)} "
                "or pass a callable objective(prediction, target) -> scalar."
            )
        return _named(objective)
    if callable(objective):
        return _callable(objective)
    raise TypeError(
        f"objective must be a name, an Objective or a callable, got {type(objective).__name__}."
    )


_CALLABLES = {}


def _callable(fn):
    # One Objective per callable, so its evaluator is cached by identity.
    obj = _CALLABLES.get(id(fn))
    if obj is None or obj.loss is not fn:
        obj = _CALLABLES[id(fn)] = Objective(fn, False, getattr(fn, "__name__", "custom"))
    return obj
