"""``backend='evosax'``: JAX evolution strategies with the generation loop compiled.

Ask, evaluate and tell run inside one ``lax.scan`` (vmapped over rows), so
the host sees a chunk of generations at a time instead of one round-trip per
candidate. The search runs in box-normalised coordinates (each parameter's
box mapped to [0, 1]); candidates leaving the box are mirrored back in.
Needs the optional extra: ``pip install "brainestimators[evosax]"``.
"""

import dataclasses
from numbers import Integral, Real

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.utils._param_validation import Interval

from .._cache import LRU
from ._backend import Backend, Settings
from ._tracker import population_converged

__all__ = ["Evosax", "EvosaxBackend", "BACKEND"]

_PROGRAMS = LRU("evosax_programs", 16)
_CHUNK = 8  # generations per host round-trip when a callback, bar or patience needs them
_DIVERGED = 1e30  # the fitness a diverged candidate is told


def _algorithms():
    try:
        import evosax.algorithms
    except ImportError as e:
        raise ImportError(
            'backend="evosax" needs evosax: pip install "brainestimators[evosax]"') from e
    return evosax.algorithms


class Evosax(Settings):
    """Settings of the ``'evosax'`` backend.

    Parameters
    ----------
    method : str, default='CMA_ES'
        An evosax algorithm (``'CMA_ES'``, ``'Sep_CMA_ES'``,
        ``'DifferentialEvolution'``, ``'PSO'``, ``'Open_ES'``, ``'SNES'``, ...).
    popsize : int, default=16
        Candidates per generation, all evaluated in one vmapped call.
    sigma : float, default=0.2
        Initial search width of distribution-based algorithms, as a fraction
        of each parameter's box (their ``std_init``).
    options : dict or None, default=None
        Values of the algorithm's own parameters (its ``default_params``
        fields, e.g. ``{'crossover_rate': 0.7}`` for DE).

    Examples
    --------
    >>> from brainestimators import Evosax
    >>> Evosax('CMA_ES', popsize=8)
    Evosax(popsize=8)
    """

    _parameter_constraints = {
        "method": [str],
        "popsize": [Interval(Integral, 2, None, closed="left")],
        "sigma": [Interval(Real, 0, None, closed="neither")],
        "options": [dict, None],
    }

    def __init__(self, method="CMA_ES", popsize=16, sigma=0.2, options=None):
        self.method = method
        self.popsize = popsize
        self.sigma = sigma
        self.options = options

    def validated(self):
        super().validated()
        algorithms = _algorithms().algorithms
        if self.method not in algorithms:
            raise ValueError(
                f"evosax has no algorithm {self.method!r}; choose one of {sorted(algorithms)}.")
        return self


def _mirror(u):
    """Reflect into [0, 1] (a candidate at 1.2 is evaluated at 0.8)."""
    u = jnp.abs(u) % 2.0
    return jnp.where(u > 1.0, 2.0 - u, u)


def _program(ev, settings, n_params, chunk, keyed):
    """Compiled ``start`` and ``chunk`` functions of one configuration (row-vmapped).

    ``keyed``: one noise key per row (else one shared by the rows).
    """
    from evosax.algorithms.population_based.base import PopulationBasedAlgorithm

    algo = _algorithms().algorithms[settings.method](
        population_size=settings.popsize, solution=jnp.zeros(n_params))
    params = algo.default_params
    fields = {f.name for f in dataclasses.fields(params)}
    if "std_init" in fields:
        params = params.replace(std_init=jnp.asarray(settings.sigma, jnp.float32))
    if settings.options:
        unknown = set(settings.options) - fields
        if unknown:
            raise ValueError(f"{settings.method} has no parameters {sorted(unknown)}; "
                             f"its parameters are {sorted(fields)}.")
        params = params.replace(**settings.options)
    population_based = isinstance(algo, PopulationBasedAlgorithm)
    C = settings.popsize
    candidates = jax.vmap(ev.loss_fn, in_axes=(0, None, None, None, None))

    def evaluate(u, lo, hi, fixed, drive, target, key, row_fixed):
        theta = lo + u * (hi - lo)
        loss = candidates(theta, {**fixed, **row_fixed}, drive, target, key)
        return theta, jnp.where(jnp.isfinite(loss), loss, jnp.inf)

    def start(u0, lo, hi, fixed, drive, target, key, algo_key, row_fixed):
        # the start is evaluated first (a search never ends worse than where it
        # began): a distribution's mean, or the first member of a population
        if not population_based:
            theta, loss = evaluate(u0[None], lo, hi, fixed, drive, target, key, row_fixed)
            return algo.init(algo_key, u0, params), theta, loss
        pop = jax.random.uniform(algo_key, (C, n_params)).at[0].set(u0)
        theta, loss = evaluate(pop, lo, hi, fixed, drive, target, key, row_fixed)
        state = algo.init(algo_key, pop, jnp.minimum(loss, _DIVERGED), params)
        return state, theta, loss

    def run_chunk(state, gen0, lo, hi, fixed, drive, target, key, algo_key, row_fixed):
        def generation(state, g):
            k_ask, k_tell = jax.random.split(jax.random.fold_in(algo_key, g))
            u, state = algo.ask(k_ask, state, params)
            u = _mirror(u)
            theta, loss = evaluate(u, lo, hi, fixed, drive, target, key, row_fixed)
            state, _ = algo.tell(k_tell, u, jnp.minimum(loss, _DIVERGED), state, params)
            return state, (theta, loss)

        return jax.lax.scan(generation, state, gen0 + jnp.arange(chunk))

    # lo, hi, fixed, drive, target, key, algo_key (one per row: restarts differ), row_fixed
    shared = (None, None, None, 0, 0, 0 if keyed else None, 0, 0)
    return (jax.jit(jax.vmap(start, in_axes=(0,) + shared)),
            jax.jit(jax.vmap(run_chunk, in_axes=(0, None) + shared)))


class EvosaxBackend(Backend):
    """``backend='evosax'``: an evosax strategy, ask/evaluate/tell compiled under ``lax.scan``."""

    def candidates(self, settings, n_params):
        """``popsize``: a generation is evaluated in one call."""
        return settings.popsize

    def run(self, problem, settings, tracker):
        """Run every row's strategy in compiled chunks of generations, vmapped over rows.

        The search runs in box-normalised coordinates (every bound must be
        finite), from each row's start (evaluated first) and seed. Without a
        callback, progress bar or ``n_iter_no_change`` the whole
        ``max_iter`` is one compiled chunk; otherwise chunks of 8 come back
        to the host, whose generations are handed to ``tracker.record`` one
        by one. A row stops when its generation collapses
        (:func:`~._tracker.population_converged` with ``tracker.tol``) or the
        tracker stops it; generations computed after a row stopped are
        discarded.
        """
        if not (np.all(np.isfinite(problem.lo)) and np.all(np.isfinite(problem.hi))):
            raise ValueError("backend='evosax' searches the box: every bound must be finite.")
        host = tracker.callback is not None or tracker.progress is not None or (
            tracker.n_iter_no_change is not None)
        chunk = min(_CHUNK, tracker.max_iter) if host else tracker.max_iter
        ev = problem.evaluator
        key = (ev.cfg, settings.method, settings.popsize, float(settings.sigma),
               repr(sorted((settings.options or {}).items())), problem.n_params, chunk,
               problem.keyed)
        start, run_chunk = _PROGRAMS.get(
            key, lambda: _program(ev, settings, problem.n_params, chunk, problem.keyed))
        lo = jnp.asarray(problem.lo, jnp.float32)
        hi = jnp.asarray(problem.hi, jnp.float32)
        u0 = jnp.asarray((problem.x0 - problem.lo) / (problem.hi - problem.lo), jnp.float32)
        # per-row seeds, alike unless the rows are restarts: a row's fit is its own fit
        algo_key = jax.vmap(jax.random.key)(jnp.asarray(problem.seeds, jnp.uint32))
        args = (lo, hi, problem.fixed, problem.drive, problem.target, problem.key, algo_key,
                problem.row_fixed)
        state, theta0, loss0 = start(u0, *args)
        tracker.record(np.asarray(theta0), np.asarray(loss0, dtype=float))
        gen = 0
        while tracker.running():
            state, (thetas, losses) = run_chunk(state, gen, *args)
            # (R, chunk, C, ...)
            thetas, losses = np.asarray(thetas), np.asarray(losses, dtype=float)
            for g in range(chunk):
                if not tracker.running():
                    break
                active = tracker.active.copy()
                tracker.record(thetas[:, g], losses[:, g])
                tracker.end_iteration(converged=population_converged(
                    thetas[active, g], losses[active, g], problem.lo, problem.hi, tracker.tol))
            gen += chunk


BACKEND = EvosaxBackend(
    name="evosax", settings=Evosax,
    summary="evosax evolution strategies (CMA-ES, DE, PSO, ...), the generation loop "
            "compiled and vmapped over subjects (optional extra ``evosax``)",
    max_iter="generations of ``popsize`` candidates",
    extra="evosax",
)
