"""What every backend shares: the problem, the bookkeeping, the registry entry.

A backend is one module declaring a settings class (a small estimator, so
``optimizer__*`` is grid-searchable), a ``run(problem, settings, tracker)``
function and a :class:`Backend` entry. ``run`` minimises a stack of
independent problems (rows) at once; a plain fit is one row. Every loss it
evaluates goes through the :class:`Tracker`, which keeps the history, the
best point of each row, ``n_iter_no_change`` and the callback, so a stopped,
interrupted or diverging search still returns its best point.
"""

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.base import BaseEstimator

__all__ = ["Backend", "Settings", "Problem", "Tracker", "FitProgress", "StopFitting",
           "population_converged", "box_points", "CONSTRAINT_TOL"]

#: A point satisfies the constraints when its total violation (the sum of
#: ``max(0, -fun)`` over inequalities and ``|fun|`` over equalities) is at
#: most this: SLSQP's own default accuracy.
CONSTRAINT_TOL = 1e-6


class StopFitting(Exception):
    """Raised by the tracker to stop the search (callback)."""


class Settings(BaseEstimator):
    """Base of the backend settings classes (validated like estimators)."""

    #: the constructor argument a bare string sets (``'DE'`` -> method='DE')
    PRIMARY = "method"

    def validated(self):
        """Check the parameters against ``_parameter_constraints``; return self."""
        self._validate_params()
        return self


@dataclass(frozen=True)
class Backend:
    """Registry entry of one backend.

    Parameters
    ----------
    name : str
        The ``backend=`` value.
    settings : type
        Its :class:`Settings` class (the ``optimizer=`` object).
    run : callable
        ``run(problem, settings, tracker)``.
    summary : str
        One line for the docs.
    max_iter : str
        What ``max_iter`` counts, for the docs.
    gradient : callable
        ``settings -> bool``: does it differentiate the loss?
    finite_bounds : callable
        ``settings -> bool``: must both ends of every box be finite?
    constraints : callable
        ``settings -> bool``: does it honour ``constraints``?
    coerce : callable or None
        ``optimizer -> settings or None`` for extra accepted forms.
    extra : str or None
        The pip extra it needs (``pip install "brainestimators[extra]"``).
    plateau_converges : bool
        Whether a ``n_iter_no_change`` stop is the backend's own convergence
        test (a loss plateau for gradient descent).
    candidates : callable
        ``(settings, n_params) -> int``: parameter sets evaluated in one call
        (for the cost guard).
    """

    name: str
    settings: type
    run: object
    summary: str
    max_iter: str
    gradient: object = lambda s: False
    finite_bounds: object = lambda s: True
    constraints: object = lambda s: False
    coerce: object = None
    extra: str = None
    plateau_converges: bool = False
    candidates: object = lambda settings, n_params: 1

    def resolve(self, optimizer):
        """The validated settings object for an ``optimizer=`` value."""
        if self.coerce is not None:
            out = self.coerce(optimizer)
            if out is not None:
                return out
        if optimizer is None:
            return self.settings().validated()
        if isinstance(optimizer, self.settings):
            return optimizer.validated()
        if isinstance(optimizer, Settings):
            raise TypeError(
                f"optimizer {type(optimizer).__name__} does not fit backend={self.name!r}; "
                f"use {self.settings.__name__}(...), a method name or a dict of its parameters.")
        if isinstance(optimizer, str):
            return self.settings(**{self.settings.PRIMARY: optimizer}).validated()
        if isinstance(optimizer, dict):
            names = set(self.settings().get_params())
            given = dict(optimizer)
            if "method" in given and "method" not in names:
                given[self.settings.PRIMARY] = given.pop("method")
            known = {k: v for k, v in given.items() if k in names}
            extra = {k: v for k, v in given.items() if k not in names}
            if extra:
                if "options" not in names:
                    raise ValueError(f"{self.settings.__name__} has no parameters {sorted(extra)}.")
                known["options"] = {**(known.get("options") or {}), **extra}
            return self.settings(**known).validated()
        raise TypeError(
            f"backend={self.name!r} takes {self.settings.__name__}(...), a method name or a "
            f"dict of its parameters, got {type(optimizer).__name__}.")


@dataclass(frozen=True)
class Problem:
    """The compiled evaluator bound to a stack of independent problems (rows).

    ``drive`` and ``target`` carry a leading rows axis; ``x0`` is ``(R, P)``.
    The noise ``key`` is one key shared by all rows and candidates (a fit, its
    restarts, per-subject fits, a profile), or ``R`` keys, one per row (the
    refits of a parametric bootstrap, each on its own simulated cohort).
    ``target`` may be the objective's summaries of the recordings
    (:class:`~.._evaluator.Prepared`), computed once per fit.
    ``row_fixed`` holds traced values that differ between rows (leading axis
    ``R``), overriding ``fixed`` row by row: a profile's fixed value, a null
    model's map, a Pareto sweep's weighting. ``seeds`` seed each row's search
    (``R`` ints; alike unless the rows are restarts).
    """

    evaluator: object
    fixed: dict
    drive: object
    target: object
    key: object
    lo: np.ndarray
    hi: np.ndarray
    x0: np.ndarray
    layout: object
    constraints: tuple = ()
    seeds: np.ndarray = None
    row_fixed: dict = field(default_factory=dict)

    def __post_init__(self):
        seeds = np.zeros(self.n_rows, int) if self.seeds is None else self.seeds
        object.__setattr__(self, "seeds", np.broadcast_to(np.asarray(seeds, int), (self.n_rows,)))

    @property
    def n_rows(self):
        return self.x0.shape[0]

    @property
    def n_params(self):
        return self.x0.shape[1]

    @property
    def keyed(self):
        """One noise key per row (else one shared key)."""
        return self.key.ndim > 0

    def row(self, r):
        """The one-row problem of row ``r``."""
        return Problem(self.evaluator, self.fixed,
                       None if self.drive is None else self.drive[r:r + 1],
                       jax.tree_util.tree_map(lambda v: v[r:r + 1], self.target),
                       self.key[r:r + 1] if self.keyed else self.key,
                       self.lo, self.hi, self.x0[r:r + 1], self.layout, self.constraints,
                       self.seeds[r:r + 1], {k: v[r:r + 1] for k, v in self.row_fixed.items()})

    def fixed_of_row(self, r):
        """``fixed`` as row ``r`` sees it (its ``row_fixed`` entries applied)."""
        return {**self.fixed, **{k: v[r] for k, v in self.row_fixed.items()}}

    def losses(self, thetas):
        """Losses of ``thetas`` ``(R, C, P)`` as float64 ``(R, C)``; NaN/inf become inf."""
        out = self.evaluator.rows_loss(jnp.asarray(thetas, jnp.float32), self.fixed, self.drive,
                                       self.target, self.key, self.row_fixed)
        out = np.asarray(out, dtype=float)
        return np.where(np.isfinite(out), out, np.inf)

    def value_and_grad_z(self, z):
        """Loss and gradient in the unconstrained space, ``z`` ``(R, P)``."""
        v, g = self.evaluator.rows_value_and_grad_z(
            z, jnp.asarray(self.lo, jnp.float32), jnp.asarray(self.hi, jnp.float32),
            self.fixed, self.drive, self.target, self.key, self.row_fixed)
        return np.asarray(v, dtype=float), g

    def value_and_grad(self, theta):
        """Loss and gradient of a one-row problem at ``theta`` ``(P,)`` (the box's own space)."""
        v, g = self.evaluator.value_and_grad(
            jnp.asarray(theta, jnp.float32), self.fixed_of_row(0),
            None if self.drive is None else self.drive[0],
            jax.tree_util.tree_map(lambda v: v[0], self.target),
            self.key[0] if self.keyed else self.key)
        return float(v), np.asarray(g, dtype=float)

    def violation(self, thetas):
        """Constraint violation of ``thetas`` ``(..., P)`` (zeros without constraints).

        The sum of ``max(0, -fun)`` over the inequalities and ``|fun|`` over
        the equalities; ``fun`` gets the JAX values the loss was evaluated at
        (float32), one point at a time, as the constrained backends evaluate
        them; ``inf`` where it is not finite.
        """
        thetas = np.asarray(thetas, dtype=float)
        out = np.zeros(thetas.shape[:-1])
        if not self.constraints:
            return out
        flat = out.reshape(-1)
        for k, theta in enumerate(thetas.reshape(-1, thetas.shape[-1])):
            named = self.layout.named(jnp.asarray(theta, jnp.float32))
            for c in self.constraints:
                g = np.asarray(c["fun"](named), dtype=float).ravel()
                flat[k] += np.sum(np.maximum(0.0, -g) if c["type"] == "ineq" else np.abs(g))
        return np.where(np.isfinite(out), out, np.inf)

    def random_points(self, rng, n):
        """``n`` points drawn uniformly in the box (see :func:`box_points`)."""
        return box_points(self.lo, self.hi, rng, n)


def box_points(lo, hi, rng, n):
    """``n`` points drawn uniformly in the box ``[lo, hi]`` (half-open: a unit-scale span)."""
    lo = np.where(np.isfinite(lo), lo, np.where(np.isfinite(hi), hi - 1, -1))
    hi = np.where(np.isfinite(hi), hi, lo + np.maximum(1.0, np.abs(lo)))
    return rng.uniform(lo, hi, size=(n, len(lo)))


@dataclass(frozen=True)
class FitProgress:
    """Read-only state of a running fit, passed to ``callback``.

    Attributes
    ----------
    n_iter : int
        Iterations completed.
    best_loss : float or ndarray
        Best loss so far (one per row in per-subject fits).
    best_params : dict or list of dict
        Parameters at ``best_loss`` (one dict per row in per-subject fits).
    history : tuple
        Every evaluated loss so far (a tuple per row in per-subject fits).
    """

    n_iter: int
    best_loss: object
    best_params: object
    history: tuple


def population_converged(thetas, losses, lo, hi, tol):
    """Has each row's generation collapsed? Per row, over its candidates.

    Either the candidates agree in loss, ``std <= tol * |mean|`` (scipy's
    differential-evolution test), or they lie within ``tol`` of each other in
    box-scaled coordinates (their standard deviation over each parameter's box
    width), the test that still holds when the losses approach zero. Rows with
    a diverged candidate, and populations of one, are not converged.
    """
    thetas, losses = np.asarray(thetas, float), np.asarray(losses, float)
    if losses.shape[-1] < 2:
        return np.zeros(losses.shape[:-1], bool)
    finite = np.all(np.isfinite(losses), axis=-1)
    width = np.where(np.isfinite(hi - lo), hi - lo, np.maximum(1.0, np.abs(lo) + np.abs(hi)))
    width = np.where(np.isfinite(width), width, 1.0)
    with np.errstate(invalid="ignore"):
        agree = np.std(losses, axis=-1) <= tol * np.abs(np.mean(losses, axis=-1))
        spread = np.max(np.std(thetas, axis=-2) / width, axis=-1) <= tol
    return finite & (agree | spread)


@dataclass
class Tracker:
    """History, best point, stopping rules and callback of a stack of rows.

    Backends call :meth:`record` with every evaluated batch and
    :meth:`end_iteration` after each iteration (all active rows at once, or
    one row for backends that fit rows one after another), and loop while
    :meth:`running`.
    """

    problem: Problem
    max_iter: int
    tol: float = 0.0
    n_iter_no_change: int = None
    callback: object = None
    progress: object = None
    plateau_converges: bool = False  # a loss plateau is the backend's own convergence test
    best_loss: np.ndarray = field(init=False)
    best_theta: np.ndarray = field(init=False)
    n_iter: np.ndarray = field(init=False)
    active: np.ndarray = field(init=False)
    converged: np.ndarray = field(init=False)
    reason: list = field(init=False)
    history: list = field(init=False)

    def __post_init__(self):
        R = self.problem.n_rows
        self.best_loss = np.full(R, np.inf)
        self.best_theta = np.array(self.problem.x0, dtype=float)
        self.best_violation = np.full(R, np.inf)
        self.found = np.zeros(R, bool)
        self.n_iter = np.zeros(R, int)
        self.active = np.ones(R, bool)
        self.converged = np.zeros(R, bool)
        self.reason = ["max_iter"] * R
        self.history = [[] for _ in range(R)]
        self._ref = np.full(R, np.inf)  # best loss at the last improvement by tol
        self._stall = np.zeros(R, int)

    def running(self, r=None):
        """Is any row (or row ``r``) still to be iterated?"""
        if r is not None:
            return bool(self.active[r] and self.n_iter[r] < self.max_iter)
        return bool(np.any(self.active & (self.n_iter < self.max_iter)))

    def record(self, thetas, losses, rows=None):
        """Keep the losses of the active rows and their best points.

        ``thetas`` ``(R', C, P)``, ``losses`` ``(R', C)`` for ``rows`` (all by default).
        With constraints the best point is the feasible one of least loss
        (violation at most :data:`CONSTRAINT_TOL`); until one is seen, the
        one that violates them least.
        """
        rows = np.arange(self.problem.n_rows) if rows is None else np.atleast_1d(rows)
        losses = np.where(np.isfinite(losses), losses, np.inf)
        for j, r in enumerate(rows):
            if not self.active[r]:
                continue
            self.history[r].extend(float(v) for v in losses[j])
            finite = np.isfinite(losses[j])
            if not np.any(finite):
                continue
            # feasible points rank by loss; infeasible ones by violation, then loss
            v = self.problem.violation(np.asarray(thetas[j])[finite])
            v = np.where(v <= CONSTRAINT_TOL, 0.0, v)
            cand = np.flatnonzero(finite)
            k = np.lexsort((losses[j][cand], v))[0]
            i = cand[k]
            if (v[k], losses[j, i]) < (self.best_violation[r], self.best_loss[r]):
                self.best_loss[r] = float(losses[j, i])
                self.best_theta[r] = np.asarray(thetas[j][i], dtype=float)
                self.best_violation[r] = float(v[k])
                self.found[r] = True
        return losses

    def end_iteration(self, rows=None, converged=None):
        """Count an iteration of ``rows`` (all active ones by default).

        ``converged`` (per row) is the backend's own convergence test; such
        rows stop. Applies ``n_iter_no_change``, updates the progress bar and
        asks the callback, which stops the fit by returning a true value.
        """
        rows = np.flatnonzero(self.active) if rows is None else np.atleast_1d(rows)
        conv = np.zeros(len(rows), bool) if converged is None else np.broadcast_to(
            np.asarray(converged, bool), (len(rows),))
        for r, c in zip(rows, conv):
            if not self.active[r]:
                continue
            self.n_iter[r] += 1
            if self.best_loss[r] < self._ref[r] - self.tol:
                self._ref[r], self._stall[r] = self.best_loss[r], 0
            else:
                self._stall[r] += 1
            if c:
                self.active[r], self.converged[r], self.reason[r] = False, True, "converged"
            elif self.n_iter_no_change is not None and self._stall[r] >= self.n_iter_no_change:
                self.active[r], self.reason[r] = False, "no_change"
                self.converged[r] = self.plateau_converges
        if self.progress is not None:
            self.progress.update(1)
            self.progress.set_postfix(best_loss=f"{np.min(self.best_loss):.4g}")
        if self.callback is not None:
            stop = self.callback(self.snapshot())
            if stop is not None and bool(stop):
                raise StopFitting("callback")

    def finish(self, r, converged):
        """Row ``r``'s search ended on its own; ``converged`` is its backend's verdict."""
        if self.active[r] or self.reason[r] == "max_iter":
            self.converged[r] = bool(converged)
            self.reason[r] = "converged" if converged else "max_iter"
            self.active[r] = False

    def stop_all(self, reason):
        for r in np.flatnonzero(self.active):
            self.reason[r] = reason
        self.active[:] = False

    def snapshot(self):
        """The read-only :class:`FitProgress` handed to callbacks."""
        layout = self.problem.layout
        params = [layout.unflatten(t) for t in self.best_theta]
        if self.problem.n_rows == 1:
            return FitProgress(int(self.n_iter[0]), float(self.best_loss[0]), params[0],
                               tuple(self.history[0]))
        return FitProgress(int(self.n_iter.max()), self.best_loss.copy(), params,
                           tuple(tuple(h) for h in self.history))
