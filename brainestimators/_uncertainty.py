"""How well a fit determines its parameters: covariance, intervals, identifiability.

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
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
from scipy.stats import norm

from ._bootstrap import bootstrap
from ._cache import LRU
from ._registry import lookup
from ._predict import in_chunks
from ._predict import sample as _sample_rows

__all__ = ["UNCERTAINTY", "UncertaintyMethod", "get_uncertainty", "CONDITION_LIMIT", "FLAT_WIDTH", "FLAT_SNR", "estimate",
           "gradient_variance", "identifiability", "intervals", "criterion", "stand_in_rows",
           "sample_cov"]

@dataclass(frozen=True)
class UncertaintyMethod:
    """Registry entry of an ``uncertainty=`` method (computed by :func:`estimate`)."""

    name: str
    summary: str


#: Methods of the ``uncertainty`` constructor argument.
UNCERTAINTY = {m.name: m for m in (
    UncertaintyMethod("sandwich", "the M-estimation sandwich H^-1 V H^-1 at the optimum"),
    UncertaintyMethod("bootstrap", "a parametric bootstrap: cohorts simulated at the optimum, "
                      "refitted as one batched fit"),
)}


def get_uncertainty(name):
    """The :class:`UncertaintyMethod` registered as ``name``."""
    return lookup(UNCERTAINTY, name, "uncertainty")
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


def sample_cov(x):
    """Covariance of the rows of ``x`` ``(m, P)`` (ddof 1; zeros for one row)."""
    x = np.asarray(x, float)
    if x.shape[0] < 2:
        return np.zeros((x.shape[1], x.shape[1]))
    return np.atleast_2d(np.cov(x, rowvar=False))


def stand_in_rows(plan, theta, drive, key, m):
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
        V = sample_cov(G.mean(axis=0)) / n
    elif noisy:  # one recording: the model's own row-to-row spread at the optimum
        sims, d = stand_in_rows(plan, at.theta, at.drive, jax.random.fold_in(at.key, 2),
                                 n_keys)
        V = sample_cov(at.grads(keys, jnp.asarray(sims, jnp.float32), d).mean(axis=0))
    else:
        V = np.full((P + 1, P + 1), np.nan)
    V = V + sample_cov(G.mean(axis=1))
    return V[1:, 1:], float(np.sqrt(V[0, 0]))


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


def estimate(plan, theta, target, drive, method, n_replicates):
    """Fitted attributes of ``uncertainty=method``: covariance, std, identifiability.

    ``target`` ``(n_rows, ...)`` and ``drive`` are the fit's, ``theta`` its
    optimum; the fit's seed is the plan's.
    """
    seed = plan.seed
    layout = plan.layout
    names = layout.flat_names
    theta = np.asarray(theta, float)
    s = scales(layout, theta)
    at = _At(plan, theta, target, drive, seed)
    H = at.box_hessian()
    V, loss_se = gradient_variance(at, n_replicates)
    out = {}
    if get_uncertainty(method).name == "sandwich":
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
            reps = bootstrap(plan, theta, target, drive, n_replicates)
        cov = sample_cov(reps) if len(reps) >= 2 else np.full((len(theta),) * 2, np.nan)
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


