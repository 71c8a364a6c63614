"""How well a fit determines its parameters: covariance, intervals, identifiability, profiles.

The estimator calls :func:`estimate` after a fit with ``uncertainty`` set.
Everything runs on the fit's own compiled evaluator:

- ``'sandwich'``: the M-estimation sandwich ``H^-1 V H^-1``. ``H`` is the
  JAX Hessian of the fit's loss (the mean over rows) at the optimum, with
  the fit's noise key. ``V`` is the variance of the loss gradient at the
  optimum: the covariance of the per-row gradients divided by ``n`` (rows
  are independent subjects or sessions; ``V = J / n``), plus the share of
  the model's own noise: the fit compares ONE simulated recording with the
  rows, so its noise draw moves the optimum too, by as much as one more
  subject would, whatever ``n`` is (simulated moments' variance factor
  ``1 + 1/S``, with one simulated recording per ``n`` rows: ``S = 1/n``).
  That share is the covariance of the gradient over replicate noise keys.
  With a single row, the row-to-row part comes from recordings simulated
  at the optimum. ``H`` and ``V`` both scale with the loss (as ``c`` and
  ``c**2``), so the covariance does not depend on whether the loss is a
  sum or a mean, nor on the objective's units.
- ``'bootstrap'``: a parametric bootstrap. Cohorts shaped like the data are
  simulated at the optimum and refitted as ONE batched per-row fit, each
  replicate with its own noise key (as the fit had its own). The refits
  start at the optimum, the truth of the simulated cohorts: they measure
  the sampling spread around it, not the optimiser's path from a distant
  start (multiple optima are what ``n_restarts`` looks for), and they
  converge in fewer iterations.

Derivatives are taken in box-scaled coordinates ``u = (theta - theta_hat) /
width``, which keeps float32 second derivatives well scaled and makes the
Hessian's eigenvalues comparable across parameters (:func:`identifiability`).
"""

import numbers
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from scipy.stats import norm
from sklearn.utils import Bunch

from ._cache import LRU
from ._derived import fitted_maps
from ._fit import run_fit
from ._predict import in_chunks
from ._predict import sample as _sample_rows

__all__ = ["UNCERTAINTY", "CONDITION_LIMIT", "FLAT_WIDTH", "FLAT_SNR", "estimate",
           "gradient_variance", "bootstrap", "identifiability", "intervals", "profile_loss",
           "profile_intervals", "criterion"]

#: Methods of the ``uncertainty`` constructor argument.
UNCERTAINTY = ("sandwich", "bootstrap")
#: A box-scaled Hessian with a larger condition number flags a sloppy fit.
CONDITION_LIMIT = 100.0
#: A 95 % interval wider than this fraction of the box, along any direction,
#: flags a flat one: the data cannot place the parameters within their box.
FLAT_WIDTH = 0.5
#: Along the sloppiest direction, a loss rising (quadratically) over one box
#: width by less than this many standard errors of the loss itself flags a
#: flat direction: the objective barely sees the parameter through its noise.
FLAT_SNR = 10.0

_PROGRAMS = LRU("uncertainty", 16)


def scales(layout, theta):
    """Box width of each coordinate (``|theta|``, else 1, where the box is open)."""
    width = layout.hi_flat - layout.lo_flat
    theta = np.asarray(theta, float)
    return np.where(np.isfinite(width), width, np.where(np.abs(theta) > 0, np.abs(theta), 1.0))


def _programs(ev, squared=False):
    """Compiled Hessian of the criterion and per-row gradients, in box-scaled coordinates.

    The criterion is the fit's loss, or with ``squared`` the mean of the
    rows' squared losses (see :func:`criterion`).
    """

    def build():
        def loss(u, theta, scale, fixed, drive, target, key):
            if squared:
                return jnp.mean(ev.row_losses_fn(theta + scale * u, fixed, drive, target,
                                                 key) ** 2)
            return ev.loss_fn(theta + scale * u, fixed, drive, target, key)

        def row_grads(u, theta, scale, fixed, drive, target, key):
            def rows(v):
                out = ev.row_losses_fn(theta + scale * v, fixed, drive, target, key)
                out = out ** 2 if squared else out
                return out, out

            jac, values = jax.jacfwd(rows, has_aux=True)(u)  # one forward pass, P tangents
            return jnp.concatenate([values[:, None], jac], axis=1)  # (n_rows, 1 + P)

        return (jax.jit(jax.hessian(loss)),
                jax.jit(jax.vmap(row_grads, in_axes=(None,) * 6 + (0,))))

    return _PROGRAMS.get((ev.cfg, squared), build)


def criterion(plan):
    """What the sandwich differentiates: ``'loss'`` or ``'squared loss'``.

    A root-mean-square objective (``smoothness='root_mean_square'``:
    ``timeseries_rmse``, ``fc_rmse``, ``std_rmse``) is V-shaped where its
    mean of squares reaches 0, e.g. one region's ``std_rmse`` at a match,
    and its Hessian there means nothing (measured: eigenvalue -0.31 for a
    parameter the data fix to 1 %). Its square, the mean squared error, is
    smooth with the same minimiser for one row (for several, the minimiser
    of the rows' mean squared error, next to the fit's); its sandwich is
    taken instead. The squared loss needs the per-row losses, which a
    readout target (compared as a whole) does not have.
    """
    if plan.config.objective.smoothness == "root_mean_square" and plan.config.mode != "readout":
        return "squared loss"
    return "loss"


def _cov(x):
    """Covariance of the rows of ``x`` ``(m, P)`` (ddof 1; zeros for one row)."""
    x = np.asarray(x, float)
    if x.shape[0] < 2:
        return np.zeros((x.shape[1], x.shape[1]))
    return np.atleast_2d(np.cov(x, rowvar=False))


def _stand_in_rows(plan, theta, drive, key, m):
    """``m`` recordings simulated at ``theta`` in place of rows of data (and their drives)."""
    keys = jax.random.split(key, m)
    if plan.config.mode == "target":
        return _sample_rows(plan, theta, None, keys), None
    sims = _sample_rows(plan, theta, drive[:1], keys)[:, 0]
    return sims, jnp.repeat(drive[:1], m, axis=0)


class _At:
    """The fit's data and optimum as float32 arrays, in box-scaled coordinates."""

    def __init__(self, plan, theta, target, drive, seed):
        self.plan, self.fixed = plan, plan.fixed
        self.theta = jnp.asarray(theta, jnp.float32)
        self.scale = jnp.asarray(scales(plan.layout, theta), jnp.float32)
        self.u0 = jnp.zeros(len(theta), jnp.float32)
        self.target = jnp.asarray(target, jnp.float32)
        self.drive = None if drive is None else jnp.asarray(drive, jnp.float32)
        self.key = jax.random.key(seed)
        self.criterion = criterion(plan)
        self.hessian, self.row_grads = _programs(plan.evaluator,
                                                 self.criterion == "squared loss")

    def box_hessian(self):
        """Hessian of the fit's loss (its noise key) in box-scaled coordinates."""
        H = np.asarray(self.hessian(self.u0, self.theta, self.scale, self.fixed, self.drive,
                                    self.target, self.key), float)
        return 0.5 * (H + H.T)

    def grads(self, keys, target, drive):
        """``(K, n_rows, 1 + P)``: every row's loss and its gradient under every noise key."""
        return in_chunks(keys, lambda k: self.row_grads(self.u0, self.theta, self.scale,
                                                      self.fixed, drive, target, k))


def gradient_variance(at, n_keys):
    """Variance ``V`` of the box-scaled gradient of the fit's loss at the optimum.

    Rows (subjects) contribute ``cov(row gradients) / n``; the model's own
    noise draw contributes the covariance over ``n_keys`` replicate keys of
    the gradient of the mean loss (none for a model without noise).

    Returns ``(V, se)``: ``se`` is the standard error of the loss itself,
    from the same two sources (the first entry of ``1 + P``).
    """
    plan, P = at.plan, len(at.theta)
    noisy = plan.config.sim.noise
    keys = jax.random.split(jax.random.fold_in(at.key, 1), n_keys if noisy else 1)
    G = at.grads(keys, at.target, at.drive)
    n = at.target.shape[0]
    if n >= 2:
        V = _cov(G.mean(axis=0)) / n
    elif noisy:  # one recording: the model's own row-to-row spread at the optimum
        sims, d = _stand_in_rows(plan, at.theta, at.drive, jax.random.fold_in(at.key, 2),
                                 n_keys)
        V = _cov(at.grads(keys, jnp.asarray(sims, jnp.float32), d).mean(axis=0))
    else:
        V = np.full((P + 1, P + 1), np.nan)
    V = V + _cov(G.mean(axis=1))
    return V[1:, 1:], float(np.sqrt(V[0, 0]))


def bootstrap(plan, theta, target, drive, seed, n_cohorts, fit_kwargs):
    """Refits of ``n_cohorts`` cohorts simulated at ``theta``, as one batched fit.

    Returns
    -------
    ndarray of shape (n_found, P)
        The refitted parameters (replicates where every candidate diverged
        are left out).
    """
    th = jnp.asarray(theta, jnp.float32)
    n = target.shape[0]
    key = jax.random.key(seed)
    data_keys = jax.random.split(jax.random.fold_in(key, 3), n_cohorts * n)
    if plan.config.mode == "target":
        cohorts = _sample_rows(plan, th, None, data_keys).reshape(
            (n_cohorts, n) + target.shape[1:])
        drives = None
    else:  # every row of every cohort with its own noise, under its own drive
        d = jnp.asarray(drive, jnp.float32)
        cohorts = np.stack([_sample_rows(plan, th, d[i:i + 1], data_keys[i::n])[:, 0]
                            for i in range(n)], axis=1)
        drives = np.broadcast_to(np.asarray(drive)[None], (n_cohorts,) + drive.shape)
    res = run_fit(plan, cohorts, drives, seed, np.tile(theta, (n_cohorts, 1)),
                  keys=jax.random.split(jax.random.fold_in(key, 4), n_cohorts), **fit_kwargs)
    return np.asarray(res.theta, float)[res.found]


def _direction(v, names):
    v = v * np.sign(v[np.argmax(np.abs(v))])
    return {name: float(w) for name, w in zip(names, v)}


def identifiability(H, cov, names, loss_se):
    """Eigen-analysis of the box-scaled Hessian ``H`` (and covariance ``cov``).

    Parameters
    ----------
    H : ndarray of shape (P, P)
        Hessian of the loss in box-scaled coordinates.
    cov : ndarray of shape (P, P)
        Covariance of the estimate in box-scaled coordinates (may be NaN).
    names : list of str
        Flat parameter names.
    loss_se : float
        Standard error of the loss at the optimum (NaN if unknown).

    Returns
    -------
    dict
        ``condition_number``, ``eigenvalues`` (descending), ``stiffest`` and
        ``sloppiest`` (unit eigenvectors as ``{name: weight}``; weights of
        one sign move together), ``signal_to_noise`` (the quadratic rise of
        the loss one box width along the sloppiest direction, in standard
        errors of the loss; NaN where the Hessian is not positive
        definite), ``widest_interval`` (the 95 % interval
        along the covariance's widest direction, as a fraction of the box),
        ``flagged`` and ``reason``.
    """
    lam, vec = np.linalg.eigh(H)
    lam, vec = lam[::-1], vec[:, ::-1]
    cond = float(lam[0] / lam[-1]) if lam[-1] > 0 else np.inf
    # no rise along a direction without positive curvature: no ratio to report
    snr = np.nan if not lam[-1] > 0 else float(0.5 * lam[-1] / loss_se) if loss_se > 0 else np.inf
    widest = np.nan
    if np.all(np.isfinite(cov)):
        widest = float(2 * norm.ppf(0.975) * np.sqrt(max(np.linalg.eigvalsh(cov)[-1], 0.0)))
    reasons = []
    if lam[-1] <= 0:
        reasons.append(f"the Hessian is not positive definite (eigenvalue {lam[-1]:.3g}): "
                       "no curvature along the sloppiest direction")
    else:
        if cond > CONDITION_LIMIT:
            reasons.append(f"condition number {cond:.3g} > {CONDITION_LIMIT:g}")
        if snr < FLAT_SNR:
            reasons.append(f"one box width along the sloppiest direction the loss rises by "
                           f"{snr:.2g} standard errors of itself (< {FLAT_SNR:g})")
    if widest > FLAT_WIDTH:
        reasons.append(f"a 95 % interval spans {widest:.0%} of the box (> {FLAT_WIDTH:.0%})")
    return {
        "condition_number": cond,
        "eigenvalues": [float(x) for x in lam],
        "stiffest": _direction(vec[:, 0], names),
        "sloppiest": _direction(vec[:, -1], names),
        "signal_to_noise": snr,
        "widest_interval": widest,
        "flagged": bool(reasons),
        "reason": "; ".join(reasons) or "identified",
    }


def estimate(plan, theta, target, drive, seed, method, n_replicates, fit_kwargs):
    """Fitted attributes of ``uncertainty=method``: covariance, std, identifiability.

    ``target`` ``(n_rows, ...)`` and ``drive`` are the fit's, ``theta`` its optimum.
    """
    layout = plan.layout
    names = layout.flat_names
    theta = np.asarray(theta, float)
    s = scales(layout, theta)
    at = _At(plan, theta, target, drive, seed)
    H = at.box_hessian()
    V, loss_se = gradient_variance(at, n_replicates)
    out = {}
    if method == "sandwich":
        lam = np.linalg.eigvalsh(H)
        if lam[0] > 0 and np.all(np.isfinite(V)):
            Hinv = np.linalg.inv(H)
            cov_u = Hinv @ V @ Hinv
        else:
            cov_u = np.full_like(H, np.nan)
            why = ("the Hessian is not positive definite: the fit is not at an interior "
                   "minimum" if lam[0] <= 0 else "one deterministic recording has no "
                   "sampling noise to estimate (give several rows, or model noise)")
            warnings.warn(f"uncertainty='sandwich': {why}; param_cov_ is NaN. Try "
                          "conf_int(method='profile', X=X) or uncertainty='bootstrap'.",
                          RuntimeWarning)
        if plan.config.objective.smoothness == "kinked":
            warnings.warn(f"uncertainty='sandwich': the objective "
                          f"{plan.config.objective.name!r} has kinks (a supremum), so its "
                          "Hessian at the optimum may describe one side of one; "
                          "conf_int(method='profile', X=X) does not need it.", RuntimeWarning)
        cov = cov_u * np.outer(s, s)
    else:
        if not plan.config.sim.noise:
            warnings.warn("uncertainty='bootstrap' simulates cohorts from the fitted model, "
                          "which has no noise (noise_sigma=0): every cohort is the same and "
                          "the intervals say nothing about sampling noise; param_cov_ is NaN.",
                          RuntimeWarning)
            reps = np.full((0, len(theta)), np.nan)
        else:
            reps = bootstrap(plan, theta, target, drive, seed, n_replicates, fit_kwargs)
        cov = _cov(reps) if len(reps) >= 2 else np.full((len(theta),) * 2, np.nan)
        cov_u = cov / np.outer(s, s)
        out["bootstrap_params_"] = reps
    std = np.sqrt(np.clip(np.diag(cov), 0, None))
    ident = identifiability(H, cov_u, names, loss_se)
    ident["criterion"] = at.criterion
    out.update(param_cov_=cov, param_std_=layout.unflatten(std), identifiability_=ident)
    return out


def intervals(layout, best_params, param_std, alpha):
    """Normal intervals ``best +- z std``, clipped to the box: ``{name: (low, high)}``.

    A warning names the intervals that reach a bound.
    """
    if not (isinstance(alpha, numbers.Real) and 0 < alpha < 1):
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}.")
    z = norm.ppf(1 - alpha / 2)
    best, std = layout.flatten(best_params), layout.flatten(param_std)
    lo, hi = layout.lo_flat, layout.hi_flat
    low, high = best - z * std, best + z * std
    clipped = (low < lo) | (high > hi)
    if np.any(clipped):
        hit = [n for n, c in zip(layout.flat_names, clipped) if c]
        warnings.warn(
            f"The {1 - alpha:.0%} intervals of {hit} reach the bounds of their box and are "
            "clipped there: the data do not bound them inside the box, and the normal "
            "approximation does not hold at a bound. Widen the bounds, or use "
            "conf_int(alpha, method='profile', X=X), which holds there.", UserWarning,
            stacklevel=3)
    low, high = layout.unflatten(np.clip(low, lo, hi)), layout.unflatten(np.clip(high, lo, hi))
    return {name: (low[name], high[name]) for name in low}


def profile_loss(estimator, X, name, values, y=None):
    """Profile of the loss: fix ``name`` at each value and refit the other parameters.

    All values are refitted at once, as one batched per-row fit (the rows
    are the profile values) with the estimator's backend and settings. The
    profiled parameter leaves the fitted layout and enters each row as a
    per-row fixed value; a degenerate box (``low == high``) instead would
    divide by zero in the derivative-free backends' box normalisation.
    A fitted estimator starts every row at its ``best_params_`` and uses its
    fit's noise key, so the profile is a section of the loss it minimised.
    With nothing else fitted, the profile is the loss at each value.

    Parameters
    ----------
    estimator : BaseNeuralMassRegressor
        Fitted or not; its ``bounds`` name the parameters. It is not modified.
    X : array-like
        The fit's data (recordings for ``fit(X)``, else the drive).
    name : str
        A fitted parameter with one value (not per region, not a map
        coefficient).
    values : array-like of shape (n_values,)
        Values at which to fix it.
    y : array-like, optional
        Target of a driven fit.

    Returns
    -------
    profile : :class:`~sklearn.utils.Bunch`
        ``name``, ``grid`` (the values), ``loss`` (best loss at each value), ``params``
        (the other parameters at each value, one dict each), ``converged``
        and ``best`` (the value of least loss).

    Examples
    --------
    >>> import numpy as np
    >>> from brainestimators import HopfRegressor, profile_loss
    >>> from brainestimators.datasets import make_recordings
    >>> truth = HopfRegressor(a=0.8, w=0.3, initial_state={'x': 0.5})
    >>> X = make_recordings(truth, n_samples=1, n_time=100)
    >>> est = HopfRegressor(w=0.3, initial_state={'x': 0.5}, bounds={'a': (0.1, 2.0),
    ...                     'w': (0.1, 0.5)}, max_iter=30)
    >>> prof = profile_loss(est, X, 'a', [0.4, 0.8, 1.6])
    >>> float(prof.best)
    0.8
    """
    from sklearn.utils import check_random_state

    from ._plan import Model, start_point

    estimator._validate_params()
    model = estimator._model()
    values = np.asarray(values, dtype=float).ravel()
    if values.size < 1 or not np.all(np.isfinite(values)):
        raise ValueError(f"values must be a non-empty array of finite numbers, got {values!r}.")
    fitted = getattr(estimator, "best_params_", None)
    # The section of the loss the fit minimised: a fitted estimator's own maps and values
    # computed from recordings, else those of X (as fit(X) would compute them).
    maps = None if fitted is None else fitted_maps(model, getattr(estimator, "maps_", None))
    from_data = fitted is None
    full, drive, target, _ = estimator._plan(model, X, y, reset=False, maps=maps,
                                             from_data=from_data)
    entry = {e.name: e for e in full.layout.entries}.get(name)
    per_region = model.params["per_region"] or ()
    if entry is None or entry.size != 1 or entry.map_index is not None or (
            name in (per_region if not isinstance(per_region, str) else (per_region,))):
        scalars = [e.name for e in full.layout.entries if e.size == 1 and e.map_index is None]
        raise ValueError(f"profile_loss profiles a fitted parameter with one value; {name!r} "
                         f"is not one. Such parameters here: {scalars}.")
    seed = getattr(estimator, "noise_seed_", None) if fitted is not None else None
    if seed is None:
        seed = int(check_random_state(estimator.random_state).randint(np.iinfo(np.int32).max))
    bounds = {k: v for k, v in (model.params["bounds"] or model.spec.bounds).items() if k != name}
    if not bounds:  # nothing else to refit: the profile is the loss itself
        ev = full.evaluator
        loss = np.asarray(ev.rows_loss(
            jnp.asarray(values[None, :, None], jnp.float32), full.fixed,
            None if drive is None else jnp.asarray(drive[None], jnp.float32),
            jnp.asarray(target[None], jnp.float32), jax.random.key(seed)), float)[0]
        loss = np.where(np.isfinite(loss), loss, np.inf)
        return Bunch(name=name, grid=values, loss=loss, params=[{} for _ in values],
                     converged=np.ones(values.size, bool), best=values[int(np.argmin(loss))])
    params = {**model.params, "bounds": bounds,
              "init": {k: v for k, v in (model.params["init"] or {}).items() if k != name}}
    if name == "noise_sigma":  # switch the noise on
        params["noise_sigma"] = float(np.max(np.abs(values)))
    reduced = Model(model.key, model.spec, model.values, params)
    plan, drive, target, _ = estimator._plan(reduced, X, y, reset=False, maps=maps,
                                             from_data=from_data)
    x0 = start_point(reduced, plan, fitted)
    R = values.size
    res = run_fit(plan, np.broadcast_to(target[None], (R,) + target.shape),
                  None if drive is None else np.broadcast_to(drive[None], (R,) + drive.shape),
                  seed, np.tile(x0, (R, 1)), max_iter=estimator.max_iter, tol=estimator.tol,
                  n_iter_no_change=estimator.n_iter_no_change,
                  label=f"profile of {name}", verbose=estimator.verbose,
                  row_fixed={entry.target: values})
    loss = np.where(res.found, res.loss, np.inf)
    return Bunch(name=name, grid=values, loss=loss,
                 params=[plan.layout.unflatten(t) for t in res.theta],
                 converged=np.asarray(res.converged), best=values[int(np.argmin(loss))])


def _row_loss_program(ev):
    """Compiled per-row losses of candidates, one noise key each: ``(C, n_rows)``."""
    return _PROGRAMS.get((ev.cfg, "row losses"), lambda: jax.jit(jax.vmap(
        ev.row_losses_fn, in_axes=(0, None, None, None, 0))))


def _rise(plan, thetas, theta_hat, target, drive, seed, n_keys):
    """Mean rise of the loss from ``theta_hat`` to each of ``thetas`` and its standard error.

    The rise under the fit's noise key (the profile's own section); its
    standard error from the same two sources as :func:`gradient_variance`:
    the rows' spread of their paired differences, and the model's noise
    over ``n_keys`` replicate keys (with one row, recordings simulated at
    ``theta_hat`` stand in for the rows' spread).
    """
    ev, fixed = plan.evaluator, plan.fixed
    prog = _row_loss_program(ev)
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
        sims, d = _stand_in_rows(plan, jnp.asarray(theta_hat, jnp.float32), d,
                                 jax.random.fold_in(key, 2), n_keys)
        t, n = jnp.asarray(sims, jnp.float32), n_keys
    D = rows_losses(t, d, keys)
    D = D[:, 1:] - D[:, :1]  # (K, G, n): paired differences
    var = D.mean(axis=0).var(axis=1, ddof=1) / n if n >= 2 else np.zeros(D.shape[1])
    if len(keys) >= 2:
        var = var + D.mean(axis=2).var(axis=0, ddof=1)
    return rise, np.sqrt(var)


def _crossing(grid, excess, center):
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


def profile_intervals(estimator, X, y=None, alpha=0.05, names=None, n_points=6, n_keys=None):
    """Profile intervals: the values the data cannot tell from the fitted one.

    Each parameter is fixed at values around its estimate and the others are
    refitted (:func:`profile_loss`, one batched fit per pass). A value ``v``
    is inside the ``1 - alpha`` interval while the rise of the loss from the
    fit to ``v``, ``D(v)``, stays within ``z(1 - alpha/2) / 2`` of its own
    standard error (the rows' paired differences and the model's noise, as
    in the sandwich). Where the loss is quadratic this is the sandwich's
    interval (``D = h d**2 / 2`` and ``se(D) = s |d|``, with ``s / h`` the
    sandwich's standard error); unlike it, it needs no Hessian, so it serves
    a kinked loss (``fcd_ks``, one region's ``std_rmse``) and a parameter at
    a bound of its box, and it follows an asymmetric profile. Values are
    first spaced geometrically out to the box, then ``n_points`` more fill
    each bracketing pair; the ends are interpolated linearly there.

    Parameters
    ----------
    estimator : BaseNeuralMassRegressor
        Fitted. Not modified.
    X, y : array-like
        The fit's data.
    alpha : float, default=0.05
        ``1 - alpha`` is the coverage.
    names : list of str or None, default=None
        Parameters with one value (default: all of them).
    n_points : int, default=6
        Values added inside each bracket in the second pass.
    n_keys : int or None, default=None
        Replicate noise keys for the standard error of the rise (default:
        the estimator's ``n_replicates``).

    Returns
    -------
    dict
        ``{name: (low, high)}``. A warning names the intervals that reach a
        bound of the box (the data do not bound them inside it).
    """
    if not (isinstance(alpha, numbers.Real) and 0 < alpha < 1):
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}.")
    best = getattr(estimator, "best_params_", None)
    if best is None:
        raise ValueError("profile intervals need a fitted estimator: call fit first.")
    model = estimator._model()
    maps = fitted_maps(model, getattr(estimator, "maps_", None))
    plan, drive, target, _ = estimator._plan(model, X, y, reset=False, maps=maps)
    if plan.config.mode == "readout":
        raise ValueError("profile intervals compare the rows' losses; a readout target is "
                         "compared as a whole. Use uncertainty='bootstrap'.")
    layout = plan.layout
    scalars = [e.name for e in layout.entries if e.size == 1 and e.map_index is None]
    per_region = model.params["per_region"] or ()
    per_region = (per_region,) if isinstance(per_region, str) else tuple(per_region)
    scalars = [n for n in scalars if n not in per_region]
    names = scalars if names is None else list(names)
    theta_hat = layout.flatten(best)
    flat = {n: i for i, n in enumerate(layout.flat_names)}
    z = norm.ppf(1 - alpha / 2)
    seed = estimator.noise_seed_
    out, at_bound = {}, []
    for name in names:
        if name not in scalars:
            raise ValueError(f"profile intervals need a fitted parameter with one value; "
                             f"{name!r} is not one. Such parameters here: {scalars}.")
        j = flat[name]
        lo, hi, c = layout.lo_flat[j], layout.hi_flat[j], theta_hat[j]
        width = hi - lo
        steps = width * np.array([0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0])
        grid = np.unique(np.clip(np.concatenate([c - steps, c + steps]), lo, hi))
        grid = grid[grid != c]

        def excess_at(values):
            prof = profile_loss(estimator, X, name, values, y)
            thetas = np.array([layout.flatten({**p, name: v})
                               for p, v in zip(prof.params, values)])
            rise, se = _rise(plan, thetas, theta_hat, target, drive, seed,
                             n_keys or estimator.n_replicates)
            return np.where(np.isfinite(rise), rise - 0.5 * z * se, np.inf)

        excess = excess_at(grid)
        ends = _crossing(grid, excess, c)
        fill = [np.linspace(a, b, n_points + 2)[1:-1] for _, br in ends if br is not None
                for a, b in [br]]
        if fill:  # second pass: fill the brackets
            more = np.concatenate(fill)
            grid, excess = np.concatenate([grid, more]), np.concatenate([excess,
                                                                         excess_at(more)])
            order = np.argsort(grid)
            grid, excess = grid[order], excess[order]
            ends = _crossing(grid, excess, c)
        bounds = []
        for (last, br), edge in zip(ends, (lo, hi)):
            if br is None:
                bounds.append(last)
                if np.isclose(last, edge):
                    at_bound.append(name)
                continue
            a, b = br
            ea = 0.0 if a == c else float(excess[np.flatnonzero(grid == a)[0]])
            eb = float(excess[np.flatnonzero(grid == b)[0]])
            bounds.append(a + (b - a) * (-ea) / (eb - ea) if np.isfinite(eb) and eb > ea
                          else a)
        out[name] = (float(bounds[0]), float(bounds[1]))
    if at_bound:
        warnings.warn(
            f"The {1 - alpha:.0%} profile intervals of {sorted(set(at_bound))} reach the "
            "bounds of their box: the data do not bound them inside it. Widen the bounds "
            "to see where the data do.", UserWarning, stacklevel=2)
    return out
