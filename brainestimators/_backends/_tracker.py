"""The bookkeeping of a search: best points, stopping rules, the callback's view.

Backends hand every evaluated batch to a :class:`Tracker` and end each
iteration through it; it keeps the history and each row's best point (the
feasible one, with constraints), applies ``n_iter_no_change``, updates the
progress bar and asks the callback, so a stopped, interrupted or diverging
search still returns its best point.
"""

from dataclasses import dataclass, field

import numpy as np

from ._problem import Problem

__all__ = ["Tracker", "FitProgress", "StopFitting", "population_converged", "CONSTRAINT_TOL"]

#: A point satisfies the constraints when its total violation (the sum of
#: ``max(0, -fun)`` over inequalities and ``|fun|`` over equalities) is at
#: most this: SLSQP's own default accuracy.
CONSTRAINT_TOL = 1e-6


class StopFitting(Exception):
    """Raised by the tracker to stop the search (callback)."""


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
