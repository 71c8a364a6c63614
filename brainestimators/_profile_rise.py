"""Profile intervals' arithmetic: the rise of the loss along a profile and its crossing.

:func:`rise` re-evaluates the fit's per-row losses at profile points under
replicate noise keys (the standard error of the rise, as in the sandwich);
:func:`crossing` finds where the rise leaves the interval.
"""

import jax
import jax.numpy as jnp
import numpy as np

from ._cache import LRU
from ._predict import in_chunks
from ._uncertainty import stand_in_rows

__all__ = ["row_loss_program", "rise", "crossing"]

_PROGRAMS = LRU("profile rise", 16)


def row_loss_program(ev):
    """Compiled per-row losses of candidates, one noise key each: ``(C, n_rows)``."""
    return _PROGRAMS.get((ev.cfg, "row losses"), lambda: jax.jit(jax.vmap(
        ev.row_losses_fn, in_axes=(0, None, None, None, 0))))


def rise(plan, thetas, theta_hat, target, drive, seed, n_keys):
    """Mean rise of the loss from ``theta_hat`` to each of ``thetas`` and its standard error.

    The rise under the fit's noise key (the profile's own section); its
    standard error from the same two sources as :func:`gradient_variance`:
    the rows' spread of their paired differences, and the model's noise
    over ``n_keys`` replicate keys (with one row, recordings simulated at
    ``theta_hat`` stand in for the rows' spread).
    """
    ev, fixed = plan.evaluator, plan.fixed
    prog = row_loss_program(ev)
    cand = jnp.asarray(np.vstack([theta_hat[None], thetas]), jnp.float32)
    d = None if drive is None else jnp.asarray(drive, jnp.float32)
    key = jax.random.key(seed)

    def rows_losses(tg, dv, keys):  # (K, C, n_rows)
        pairs = np.stack(np.meshgrid(np.arange(len(keys)), np.arange(len(cand)),
                                     indexing="ij"), -1).reshape(-1, 2)
        out = in_chunks(jnp.asarray(pairs), lambda p: prog(cand[p[:, 1]], fixed, dv, tg,
                                                         keys[p[:, 0]]))
        return out.reshape(len(keys), len(cand), -1)

    t = jnp.asarray(target, jnp.float32)
    own = rows_losses(t, d, key[None])[0]
    rise = own[1:].mean(axis=1) - own[0].mean()
    noisy = plan.config.sim.noise
    keys = jax.random.split(jax.random.fold_in(key, 1), n_keys if noisy else 1)
    n = t.shape[0]
    if n < 2 and noisy:
        sims, d = stand_in_rows(plan, jnp.asarray(theta_hat, jnp.float32), d,
                                 jax.random.fold_in(key, 2), n_keys)
        t, n = jnp.asarray(sims, jnp.float32), n_keys
    D = rows_losses(t, d, keys)
    D = D[:, 1:] - D[:, :1]  # (K, G, n): paired differences
    var = D.mean(axis=0).var(axis=1, ddof=1) / n if n >= 2 else np.zeros(D.shape[1])
    if len(keys) >= 2:
        var = var + D.mean(axis=2).var(axis=0, ddof=1)
    return rise, np.sqrt(var)


def crossing(grid, excess, center):
    """Where ``excess`` (<= 0 inside) first turns positive, going out from ``center``
    on each side: ``(low, high)``, each with whether the grid ran out (None) or the
    bracketing pair."""
    out = []
    for side in (-1, 1):
        idx = [i for i in np.argsort(grid * side) if (grid[i] - center) * side > 0]
        last, bracket = center, None
        for i in idx:
            if excess[i] > 0:
                bracket = (last, grid[i])
                break
            last = grid[i]
        out.append((last, bracket))
    return out
