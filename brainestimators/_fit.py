"""Run a backend on a plan: one loop for single fits and per-row (per-subject) fits."""

import warnings
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from ._backends import CONSTRAINT_TOL, Problem, StopFitting, Tracker
from ._layout import box_points
from ._cost import check_fit_cost
from ._stack import user_stacklevel

__all__ = ["FitResult", "RowFits", "run_fit", "restarts", "best_row", "warn_rows"]


@dataclass(frozen=True)
class FitResult:
    """The outcome of a stack of fits, one entry per row (numpy values)."""

    theta: np.ndarray  # (R, P) best points (the start where nothing finite was seen)
    loss: np.ndarray  # (R,) best losses (inf where every candidate diverged)
    history: list  # R lists of every evaluated loss
    n_iter: np.ndarray  # (R,)
    converged: np.ndarray  # (R,) the backend's own convergence test
    reason: list  # R stop reasons
    found: np.ndarray  # (R,) whether any finite loss was seen
    flat: np.ndarray  # (R,) whether every finite loss was the same value
    violation: np.ndarray  # (R,) constraint violation of theta (0: feasible or none)

    @property
    def infeasible(self):
        """Rows whose best point violates the constraints (none was feasible)."""
        return self.found & (self.violation > 0)


class RowFits:
    """Per-row fits returned by :meth:`BaseNeuralMassRegressor.fit_rows`.

    Attributes
    ----------
    names : list of str
        One name per column of ``theta`` (``'a'``, ``'a[0]'``, ...).
    theta : ndarray of shape (n_rows, n_params)
        Best parameters of each row.
    loss : ndarray of shape (n_rows,)
        Best loss of each row.
    params : list of dict
        ``best_params_`` of each row.
    converged : ndarray of shape (n_rows,)
        Each row's verdict, as ``converged_`` of a single fit: ``False`` where
        the search stopped on ``max_iter`` or the loss never moved.
    flat : ndarray of shape (n_rows,)
        Rows whose loss took one value at every evaluated point: their
        parameters are the start point, not a fit (a warning names them).
    stop_reason : list of str
        Each row's ``stop_reason_``.
    n_iter : ndarray of shape (n_rows,)
    history : list of list of float
    maps : dict
        ``{name: array (n_rows, n_maps, n_regions)}``: each row's maps of the
        map-based parameters (computed from that row where they come from
        recordings).
    """

    def __init__(self, names, theta, loss, params, converged, n_iter, history, maps=None,
                 flat=None, stop_reason=None):
        self.names, self.theta, self.loss, self.params = names, theta, loss, params
        self.converged, self.n_iter, self.history = converged, n_iter, history
        self.maps = maps or {}
        self.flat = np.zeros(len(theta), bool) if flat is None else np.asarray(flat, bool)
        self.stop_reason = list(stop_reason) if stop_reason is not None else ["max_iter"] * len(
            theta)


def run_fit(plan, target, drive, x0=None, *, row_fixed=None, seeds=None, keys=None,
            label=None):
    """Minimise the plan's loss for every row of ``target`` at once: the one way to run a fit.

    The plan carries the rest: the seed (of the noise key and the backend's
    sampling, alike for every row, so that a row's fit equals fitting that
    row alone), the start point and the stopping settings.

    Parameters
    ----------
    plan : FitPlan
    target : array of shape (R, ...)
        One target per row (for a plain fit, R = 1 and the row holds every
        recording, whose losses are averaged).
    drive : array of shape (R, ...) or None
    x0 : array of shape (R, P) or None
        Start of each row (default: the plan's start point for every row).
    keys : jax key array of shape (R,) or None
        One noise key per row instead of ``key(seed)`` for all (the refits of
        a parametric bootstrap, each replicating the fit's own noise draw).
    seeds : array of int of shape (R,) or None
        Per-row seeds of the backend's sampling instead of ``seed`` for all
        (restarts).
    row_fixed : dict or None
        Traced values that differ between rows, ``{name: array (R, ...)}``,
        overriding ``plan.fixed[name]`` row by row (a profile's fixed value,
        one map per row for a null model, one weighting per row for a Pareto
        sweep).
    label : str or None
        The progress bar's label (default: the plan's).
    """
    backend, settings, stop, seed = plan.backend, plan.settings, plan.stopping, plan.seed
    max_iter = stop.max_iter
    if x0 is None:
        x0 = np.tile(np.asarray(plan.x0, float), (target.shape[0], 1))
    # refuse or warn before anything is compiled: one evaluation simulates the
    # candidates of every row (driven fits: every sample)
    # (n_draws draws each; analytic moments simulate nothing)
    n_sims = target.shape[0] * (plan.config.n_draws if plan.config.mode == "target"
                                else target.shape[1])
    if plan.config.fc_from != "moments":
        check_fit_cost(plan.config.sim, plan.candidates, n_sims, plan.gradient, max_iter,
                       plan.fixed)
    row_fixed = {k: jnp.asarray(v, jnp.float32) for k, v in (row_fixed or {}).items()}
    for k, v in row_fixed.items():
        if k not in plan.fixed or v.shape != (len(x0),) + tuple(plan.fixed[k].shape):
            raise ValueError(
                f"row_fixed[{k!r}] must override a traced value of shape "
                f"{tuple(plan.fixed[k].shape) if k in plan.fixed else '?'} for each of "
                f"{len(x0)} rows, got shape {tuple(v.shape)}.")
    target = jnp.asarray(target, jnp.float32)
    if plan.evaluator.prepare_rows is not None:  # summarise the targets once, not every step
        target = plan.evaluator.prepare_rows(target)
    problem = Problem(
        plan.evaluator, plan.fixed, None if drive is None else jnp.asarray(drive, jnp.float32),
        target, jax.random.key(seed) if keys is None else keys,
        plan.layout.lo_flat, plan.layout.hi_flat, np.asarray(x0, dtype=float), plan.layout,
        plan.constraints, np.full(len(x0), int(seed)) if seeds is None else np.asarray(seeds),
        row_fixed)
    progress = None
    if stop.verbose:
        from tqdm.auto import tqdm

        progress = tqdm(total=max_iter, desc=label or stop.label)
    tracker = Tracker(problem, max_iter, stop.tol, stop.n_iter_no_change, stop.callback,
                      progress, backend.plateau_converges)
    try:
        backend.run(problem, settings, tracker)
    except StopFitting:
        tracker.stop_all("callback")
    except KeyboardInterrupt:
        tracker.stop_all("interrupted")
    finally:
        if progress is not None:
            progress.close()
    flat = np.array([_flat(h) for h in tracker.history])
    violation = np.where(tracker.found, tracker.best_violation, 0.0)
    converged = tracker.converged & ~flat & (violation == 0)
    return FitResult(tracker.best_theta, tracker.best_loss, tracker.history, tracker.n_iter,
                     converged, list(tracker.reason), tracker.found, flat, violation)


def _flat(history):
    """Did the search see one loss value only (nothing it did changed the loss)?"""
    finite = np.asarray([v for v in history if np.isfinite(v)])
    return finite.size > 1 and bool(np.all(finite == finite[0]))


def restarts(x0, layout, n, seed):
    """Starts and sampling seeds of ``n`` restarts: ``x0`` and ``seed`` first, then draws.

    The other starts are uniform in the box and the other seeds random, so
    that population methods (whose first generation follows the seed, not
    the start) restart too.
    """
    rng = np.random.RandomState(seed)
    starts = np.vstack([x0[None], box_points(layout.lo_flat, layout.hi_flat, rng, n - 1)])
    seeds = np.concatenate([[seed], rng.randint(np.iinfo(np.int32).max, size=n - 1)])
    return starts, seeds


def best_row(res, objective="the objective"):
    """Index of the row of least loss; warns of an early stop or a flat loss there.

    Raises if every candidate of every row diverged.
    """
    if not np.any(res.found):
        raise ValueError(
            "Every evaluated candidate diverged (NaN/inf loss): narrow the bounds, "
            "lower dt or the noise, or check the target's units and scale.")
    # a feasible row (violation 0) of least loss; else the least violation
    i = int(np.lexsort((res.loss, np.where(res.found, res.violation, np.inf)))[0])
    if res.infeasible[i]:
        warnings.warn(
            f"No evaluated point satisfied the constraints (to within {CONSTRAINT_TOL:g}); "
            f"the fitted values are the point that violates them least (by "
            f"{res.violation[i]:.3g}, constraint_violation_) and converged_ is False. Start "
            "from a feasible init, widen the bounds or raise max_iter.", RuntimeWarning,
            stacklevel=user_stacklevel())
    if res.reason[i] in ("callback", "interrupted"):
        warnings.warn(
            f"Fitting stopped early ({res.reason[i]}) after {res.n_iter[i]} iterations; "
            "keeping the best parameters found so far.", RuntimeWarning,
            stacklevel=user_stacklevel())
    if res.flat[i]:
        warnings.warn(
            f"The loss took one value ({res.loss[i]:.6g}) at all {len(res.history[i])} "
            f"evaluated points: the objective {objective!r} cannot tell these parameters "
            "apart on this data, so the fitted values are the start point. Use an objective "
            "the data can move, more samples or regions, or other bounds.", RuntimeWarning,
            stacklevel=user_stacklevel())
    return i


def warn_rows(res, objective="the objective", rows="rows", offset=0):
    """Warn once about the rows of a per-row fit that did not fit, naming them.

    A row whose loss took one value at every evaluated point returns its
    start point (its ``converged`` is False), one whose every candidate
    diverged its start point with an infinite loss, one stopped by the
    callback its best point so far: the per-row counterparts of the single
    fit's warnings. ``rows`` names what the rows are (``'rows'``,
    ``'folds'``, ...); ``offset`` numbers them from there (a batch of a
    longer stack).
    """
    flat = (offset + np.flatnonzero(res.flat & res.found)).tolist()
    diverged = (offset + np.flatnonzero(~res.found)).tolist()
    stopped = [offset + i for i, r in enumerate(res.reason) if r in ("callback", "interrupted")]
    infeasible = (offset + np.flatnonzero(res.infeasible)).tolist()
    parts = []
    if infeasible:
        parts.append(f"no evaluated point satisfied the constraints for {rows} {infeasible}: "
                     "their fitted values violate them least (converged is False)")
    if flat:
        parts.append(
            f"the loss took one value at every evaluated point for {rows} {flat}: the "
            f"objective {objective!r} cannot tell these parameters apart on their data, so "
            "their fitted values are the start point (converged is False)")
    if diverged:
        parts.append(f"every evaluated candidate diverged (NaN/inf loss) for {rows} {diverged}: "
                     "their fitted values are the start point")
    if stopped:
        parts.append(f"fitting stopped early ({res.reason[stopped[0] - offset]}) for {rows} "
                     f"{stopped}: their fitted values are the best found so far")
    if parts:
        text = "; ".join(parts)
        warnings.warn(
            text[0].upper() + text[1:] + ". Check those recordings' units and scale, or use "
            "an objective the data can move, more samples or other bounds.", RuntimeWarning,
            stacklevel=user_stacklevel())
