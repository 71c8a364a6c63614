"""``backend='scipy'``: local methods with JAX gradients, or vectorised DE."""

import warnings
from numbers import Integral

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize
from sklearn.utils._param_validation import Interval

from ._backend import Backend, Settings
from ._tracker import population_converged

__all__ = ["Scipy", "ScipyBackend", "BACKEND"]

GRADIENT_METHODS = {"L-BFGS-B", "BFGS", "CG", "TNC", "SLSQP", "trust-constr", "Newton-CG"}
CONSTRAINED_METHODS = {"SLSQP", "trust-constr", "COBYLA", "COBYQA"}
DE_NAMES = {"differential_evolution", "DE"}
# minimize methods that take no bounds at all
_UNBOUNDED_METHODS = {"BFGS", "CG", "Newton-CG", "COBYLA"}


class Scipy(Settings):
    """Settings of the ``'scipy'`` backend.

    Parameters
    ----------
    method : str, default='L-BFGS-B'
        A ``scipy.optimize.minimize`` method (gradient methods get exact JAX
        gradients; derivative-free ones such as ``'Nelder-Mead'`` or
        ``'Powell'`` need none) or ``'differential_evolution'`` (the whole
        population is evaluated in one vmapped call per generation).
    popsize : int, default=15
        Population multiplier of differential evolution.
    options : dict or None, default=None
        ``options`` of ``minimize``, or extra keyword arguments of
        ``differential_evolution`` (``mutation``, ``recombination``, ...).

    Examples
    --------
    >>> from brainestimators import Scipy
    >>> Scipy('Nelder-Mead')
    Scipy(method='Nelder-Mead')
    """

    _parameter_constraints = {
        "method": [str],
        "popsize": [Interval(Integral, 1, None, closed="left")],
        "options": [dict, None],
    }

    def __init__(self, method="L-BFGS-B", popsize=15, options=None):
        self.method = method
        self.popsize = popsize
        self.options = options

    @property
    def is_de(self):
        return self.method in DE_NAMES


def _scipy_constraints(problem):
    """scipy constraint dicts on the flat vector (JAX Jacobians)."""
    out = []
    for c in problem.constraints:
        def fun(theta, f=c["fun"]):
            return jnp.atleast_1d(jnp.asarray(f(problem.layout.named(theta)), jnp.float32))

        f_jit, jac = jax.jit(fun), jax.jit(jax.jacfwd(fun))
        out.append({"type": c["type"],
                    "fun": lambda x, f=f_jit: np.asarray(f(jnp.asarray(x, jnp.float32)), float),
                    "jac": lambda x, j=jac: np.asarray(j(jnp.asarray(x, jnp.float32)), float)})
    return out


def _fit_de(problem, settings, tracker, r):
    one = problem.row(r)
    bounds = list(zip(problem.lo, problem.hi))

    def batch(x):  # x: (P, popsize) -> (popsize,)
        thetas = np.asarray(x).T[None]
        return tracker.record(thetas, one.losses(thetas), rows=r)[0]

    def callback(intermediate_result):
        tracker.end_iteration(rows=r, converged=population_converged(
            intermediate_result.population[None], intermediate_result.population_energies[None],
            problem.lo, problem.hi, tracker.tol))
        return not tracker.running(r)

    res = scipy.optimize.differential_evolution(
        batch, bounds, vectorized=True, updating="deferred", maxiter=tracker.max_iter,
        popsize=settings.popsize, tol=tracker.tol, x0=problem.x0[r],
        rng=np.random.default_rng(problem.seeds[r]), polish=False, callback=callback,
        **(settings.options or {}))
    tracker.finish(r, bool(res.success))


def _fit_local(problem, settings, tracker, r):
    one = problem.row(r)
    method = settings.method
    gradient = method in GRADIENT_METHODS
    bounds = None if method in _UNBOUNDED_METHODS else [
        (lo if np.isfinite(lo) else None, hi if np.isfinite(hi) else None)
        for lo, hi in zip(problem.lo, problem.hi)]
    rng = np.random.RandomState(problem.seeds[r])
    constraints = _scipy_constraints(problem) if problem.constraints else ()

    def value(theta):
        return float(tracker.record(theta[None, None], one.losses(theta[None, None]), rows=r)[0, 0])

    def value_and_grad(theta):
        v, g = one.value_and_grad(theta)
        tracker.record(theta[None, None], np.array([[v]]), rows=r)
        if not np.isfinite(v) or not np.all(np.isfinite(g)):
            return np.inf, np.zeros_like(g)
        return v, g

    success = []
    while tracker.running(r):
        start = problem.x0[r] if tracker.n_iter[r] == 0 else problem.random_points(rng, 1)[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = scipy.optimize.minimize(
                value_and_grad if gradient else value, start, jac=gradient, method=method,
                bounds=bounds, constraints=constraints, tol=tracker.tol, options=settings.options)
        success.append((float(res.fun), bool(res.success)))
        tracker.end_iteration(rows=r)
    tracker.finish(r, min(success)[1] if success else False)


class ScipyBackend(Backend):
    """``backend='scipy'``: ``minimize`` or ``differential_evolution``, row by row."""

    def gradient(self, settings):
        """For the gradient methods (``'L-BFGS-B'``, ``'BFGS'``, ``'SLSQP'``, ...)."""
        return settings.method in GRADIENT_METHODS

    def finite_bounds(self, settings):
        """For differential evolution only; local methods take open ends."""
        return settings.is_de

    def constraints(self, settings):
        """With ``'SLSQP'``, ``'trust-constr'``, ``'COBYLA'`` or ``'COBYQA'``."""
        return settings.method in CONSTRAINED_METHODS

    def candidates(self, settings, n_params):
        """Differential evolution's population, ``popsize * n_params``; else 1."""
        return settings.popsize * max(1, n_params) if settings.is_de else 1

    def run(self, problem, settings, tracker):
        """Fit the rows one after another (scipy has no ask/tell).

        A local method runs ``minimize`` from ``x0`` and then from random
        points of the box, one restart per iteration, every evaluation
        (with its JAX gradient for gradient methods) going to
        ``tracker.record``; ``tol`` is scipy's ``tol`` and the row is
        converged if its best restart's ``success`` holds. Differential
        evolution evaluates each generation's population in one call, passes
        ``max_iter`` and ``tol`` to scipy, and stops when the population
        collapses (:func:`~._tracker.population_converged`) or the tracker
        stops the row (``n_iter_no_change``, the callback).
        """
        fit = _fit_de if settings.is_de else _fit_local
        for r in range(problem.n_rows):  # scipy has no ask/tell: rows one after another
            fit(problem, settings, tracker, r)


BACKEND = ScipyBackend(
    name="scipy", settings=Scipy,
    summary="scipy.optimize: local methods with exact JAX gradients (or derivative-free), "
            "or differential evolution with the population in one vmapped call",
    max_iter="random restarts of a local method (the first from ``init``), or generations "
             "of differential evolution",
)
