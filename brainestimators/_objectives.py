"""Objectives by name: brainmass's objective builders plus their score sign.

An objective is ``objective(prediction, target) -> scalar`` (the brainmass
contract). Internally every objective is a *loss* (minimised); its *score*
(greater is better, what ``score`` and the scorers return) follows from how
the loss was built: ``1 - loss`` for similarity objectives built with
``as_loss=True``, ``-loss`` for distances and for user callables.
"""

from dataclasses import dataclass
from functools import lru_cache

import jax.numpy as jnp
from brainmass import objectives as _bm

__all__ = ["Objective", "OBJECTIVES", "resolve_objective", "mse"]


def mse():
    """Build a mean-squared-error loss ``mean((prediction - target) ** 2)``."""

    def loss(prediction, target):
        return jnp.mean((jnp.asarray(prediction) - jnp.asarray(target)) ** 2)

    return loss


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
