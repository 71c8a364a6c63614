"""One compiled evaluator per static configuration.

The heart of the package: a pure ``loss(theta, fixed, drive, target, key)``
built once per :class:`EvalConfig` and compiled once per input shape. The
model is constructed inside it from traced values, so the same function is
vmapped over candidates (nevergrad, scipy's vectorised DE), differentiated
(grad, scipy's gradient methods) and used for prediction. Evaluators are
cached at module level by configuration, so clones, CV folds and grid-search
candidates that differ only in parameter *values* share one compilation.
"""

from collections import Counter
from dataclasses import dataclass

import jax
import jax.numpy as jnp

from ._simulation import SimConfig, simulate

__all__ = ["EvalConfig", "get_evaluator", "cache_info", "clear_cache"]

_TRACES = Counter()
_CACHE = {}


@dataclass(frozen=True)
class EvalConfig:
    """Static description of a fitting problem (hashable cache key).

    Parameters
    ----------
    sim : SimConfig
        The simulation.
    mode : {'target', 'readout', 'trajectory'}
        ``'target'``: ``fit(X)``, the undriven model's recording is compared
        with every row of X. ``'readout'``: ``fit(X, y)`` with a per-sample
        readout target. ``'trajectory'``: ``fit(X, y)`` with a trajectory
        target.
    objective : Objective
        The loss.
    fitted : tuple of (str, int)
        Fitted parameters and their sizes (1, or ``n_regions`` for a
        per-region parameter), in the order of ``theta``.
    n_outputs : int
        Output columns: ``n_regions`` (one per region) or 1 (region mean).
    readout : str or callable
        Readout of a driven trajectory (``'readout'`` mode).
    """

    sim: SimConfig
    mode: str
    objective: object
    fitted: tuple
    n_outputs: int = 1
    readout: object = "mean"


def _readout(kind, traj):
    if callable(kind):
        return jnp.reshape(kind(traj), (-1,))
    if kind == "mean":
        return jnp.mean(traj, axis=0)
    if kind == "std":
        return jnp.std(traj, axis=0)
    if kind == "amplitude":
        return jnp.sqrt(2.0 * jnp.mean(traj**2, axis=0))
    if kind == "last":
        return traj[-1]
    raise ValueError(f"Unknown readout {kind!r}.")


def _to_outputs(cfg, values):
    # values: (..., n_regions) -> (..., n_outputs)
    if values.shape[-1] == cfg.n_outputs:
        return values
    return jnp.mean(values, axis=-1, keepdims=True)


class Evaluator:
    """Compiled functions of one :class:`EvalConfig` (see module docstring)."""

    def __init__(self, cfg):
        self.cfg = cfg
        loss = self._loss
        self.loss = jax.jit(loss)
        self.batch_loss = jax.jit(jax.vmap(loss, in_axes=(0, None, None, None, None)))
        self.value_and_grad = jax.jit(jax.value_and_grad(loss))
        self.value_and_grad_z = jax.jit(jax.value_and_grad(self._loss_z))
        self.predict = jax.jit(self._predict)
        # one independent problem per row of the target (per-subject fits)
        self.rows_batch_loss = jax.jit(jax.vmap(
            jax.vmap(loss, in_axes=(0, None, None, None, None)), in_axes=(0, None, None, 0, None)))
        self.rows_value_and_grad_z = jax.jit(jax.vmap(
            jax.value_and_grad(self._loss_z), in_axes=(0, None, None, None, None, 0, None)))
        self.sample = jax.jit(jax.vmap(self._predict, in_axes=(None, None, None, 0)))

    # -- pure functions -------------------------------------------------
    def _params(self, theta, fixed):
        p, i = dict(fixed), 0
        for name, size in self.cfg.fitted:
            p[name] = theta[i] if size == 1 else theta[i:i + size]
            i += size
        return p

    def _predict(self, theta, fixed, drive, key):
        """Model counterpart of the target: one recording, or one row per drive."""
        _TRACES["predict"] += 1
        cfg = self.cfg
        p = self._params(theta, fixed)
        if cfg.mode == "target":
            return simulate(cfg.sim, p, None, key)

        def one(d):
            traj = simulate(cfg.sim, p, d, key)
            if cfg.mode == "readout":
                return _to_outputs(cfg, _readout(cfg.readout, traj))
            return _to_outputs(cfg, traj)

        return jax.vmap(one)(drive)

    def _loss(self, theta, fixed, drive, target, key):
        _TRACES["loss"] += 1
        cfg = self.cfg
        obj = cfg.objective.loss
        pred = self._predict(theta, fixed, drive, key)
        if cfg.mode == "target":
            per_row = jax.vmap(lambda t: obj(pred, t))(target)
            return jnp.mean(per_row)
        if cfg.mode == "readout":
            return jnp.asarray(obj(pred.reshape(target.shape), target)).reshape(())
        return jnp.mean(jax.vmap(obj)(pred, target))

    def _loss_z(self, z, lo, hi, fixed, drive, target, key):
        return self._loss(box(z, lo, hi), fixed, drive, target, key)


def box(z, lo, hi):
    """Map an unconstrained ``z`` into ``[lo, hi]`` with a sigmoid (identity where unbounded)."""
    finite = jnp.isfinite(lo) & jnp.isfinite(hi)
    width = jnp.where(finite, hi - lo, 1.0)
    base = jnp.where(finite, lo, 0.0)
    return jnp.where(finite, base + width * jax.nn.sigmoid(z), z)


def unbox(theta, lo, hi):
    """Inverse of :func:`box` (numpy-compatible)."""
    finite = jnp.isfinite(lo) & jnp.isfinite(hi)
    width = jnp.where(finite, hi - lo, 1.0)
    frac = jnp.clip((theta - jnp.where(finite, lo, 0.0)) / width, 1e-6, 1 - 1e-6)
    return jnp.where(finite, jnp.log(frac) - jnp.log1p(-frac), theta)


def get_evaluator(cfg):
    """Return the cached :class:`Evaluator` for ``cfg`` (built on first use)."""
    ev = _CACHE.get(cfg)
    if ev is None:
        ev = _CACHE[cfg] = Evaluator(cfg)
    return ev


def cache_info():
    """Evaluator cache statistics.

    Returns
    -------
    dict
        ``evaluators``: configurations built; ``traces``: how many times each
        kind of function was traced (a trace precedes every compilation).
    """
    return {"evaluators": len(_CACHE), "traces": dict(_TRACES)}


def clear_cache():
    """Drop every cached evaluator and reset the trace counters."""
    _CACHE.clear()
    _TRACES.clear()
