"""Independent fits of every row (subject) at once, for GenerativeEmbedding.

The rows' problems are stacked on a leading axis of the compiled evaluator:
``grad`` runs one optimizer over the stacked parameters (Adam and friends are
elementwise, so this equals separate fits), ``nevergrad`` keeps one
optimizer per row and evaluates every row's candidates in one vmapped call.
``scipy`` has no ask/tell interface to run in lockstep, so its rows are
fitted one after another. The lockstep backends run all ``max_iter``
iterations: ``tol`` / ``n_iter_no_change`` stop only single fits and scipy.
"""

import jax.numpy as jnp
import numpy as np

from ._backends import (
    Problem, box_jit, compiled_update, make_nevergrad, optax_transform, run_backend, unbox_jit,
)

__all__ = ["fit_rows"]


def _grad(ev, args, lo, hi, x0, opt, max_iter):
    tx, tx_key = optax_transform(opt)
    update = compiled_update(tx, tx_key)
    fixed, target, key = args
    lo_j, hi_j = jnp.asarray(lo, jnp.float32), jnp.asarray(hi, jnp.float32)
    z = unbox_jit(jnp.asarray(x0, jnp.float32), lo_j, hi_j)
    state = tx.init(z)
    n = x0.shape[0]
    best = np.full(n, np.inf)
    best_theta = np.array(x0, float)
    history = []
    for _ in range(max_iter):
        theta = np.asarray(box_jit(z, lo_j, hi_j), float)
        v, g = ev.rows_value_and_grad_z(z, lo_j, hi_j, fixed, None, target, key)
        v, g_np = np.asarray(v, float), np.asarray(g)
        ok = np.isfinite(v) & np.all(np.isfinite(g_np), axis=1)
        v = np.where(ok, v, np.inf)
        history.append(v)
        better = v < best
        best[better], best_theta[better] = v[better], theta[better]
        if not ok.all():  # a diverged row takes no step
            g = jnp.where(jnp.asarray(ok)[:, None], g, 0.0)
        z, state = update(g, state, z)
    return best_theta, best, np.array(history).T


def _nevergrad(ev, args, lo, hi, x0, opt, max_iter, rng):
    import nevergrad as ng

    fixed, target, key = args
    optims = []
    for x in x0:
        param = ng.p.Array(init=np.clip(x, lo, hi), lower=lo, upper=hi)
        param.random_state.seed(int(rng.randint(2**31 - 1)))
        optims.append(make_nevergrad(opt, param, max_iter * opt.n_sample))
    n = len(x0)
    best = np.full(n, np.inf)
    best_theta = np.array(x0, float)
    history = []
    for _ in range(max_iter):
        cands = [[o.ask() for _ in range(opt.n_sample)] for o in optims]
        thetas = np.array([[c.value for c in row] for row in cands])  # (S, P, n)
        losses = np.asarray(ev.rows_batch_loss(jnp.asarray(thetas, jnp.float32), fixed, None,
                                               target, key), float)
        losses = np.where(np.isfinite(losses), losses, np.inf)
        history.append(losses)
        for s, (o, row) in enumerate(zip(optims, cands)):
            for c, v in zip(row, losses[s]):
                o.tell(c, float(v) if np.isfinite(v) else 1e300)
            i = int(np.argmin(losses[s]))
            if losses[s, i] < best[s]:
                best[s], best_theta[s] = losses[s, i], thetas[s, i]
    return best_theta, best, np.concatenate(history, axis=1)


def fit_rows(ev, fixed, target, key, lo, hi, x0, backend, opt, max_iter, tol, n_iter_no_change,
             rng):
    """Fit each row of ``target`` on its own; returns ``(thetas, losses, histories)``.

    ``target`` has shape ``(n_rows, n_time, n_regions)``; ``x0`` ``(n_rows, n_params)``.
    """
    rows_target = jnp.asarray(target, jnp.float32)[:, None]
    args = (fixed, rows_target, key)
    if backend == "grad":
        return _grad(ev, args, lo, hi, x0, opt, max_iter)
    if backend == "nevergrad":
        return _nevergrad(ev, args, lo, hi, x0, opt, max_iter, rng)
    thetas, losses, hist = [], [], []
    for s in range(target.shape[0]):
        p = Problem(ev, fixed, None, rows_target[s], key, lo, hi)
        run_backend("scipy", p, opt, x0[s], max_iter, tol, n_iter_no_change, rng)
        thetas.append(p.best_theta if p.best_theta is not None else x0[s])
        losses.append(p.best_loss)
        hist.append(np.array(p.history))
    width = max(len(h) for h in hist)
    hist = np.array([np.pad(h, (0, width - len(h)), constant_values=np.nan) for h in hist])
    return np.array(thetas), np.array(losses), hist


