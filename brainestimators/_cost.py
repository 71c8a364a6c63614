"""What a fit will cost, estimated before anything is traced or compiled.

A fit of a fast model at a fine ``dt`` on long recordings runs millions of
integration steps per simulation, times the candidates evaluated at once,
times the iterations. :func:`estimate_fit_cost` turns a :class:`SimConfig`
and the size of the search into steps, bytes and seconds from static
numbers only (well under a second); :func:`check_fit_cost` refuses a fit
that would not fit in memory and warns about one that would take very long
or runs far more steps than the model's time scale needs, with the numbers
and the fix in the message.

The time is a rough model of this package's compiled loop on a CPU (a fixed
cost per step plus the coupling's and the node's arithmetic and the noise
per simulation), good to a factor of a few; the memory is the working set
of one evaluation on top of the interpreter, JAX and the compiler (about
0.5 GB, reported apart).
"""

import math
import os
import warnings
from dataclasses import dataclass

import numpy as np

from ._cache import memoize
from ._simulation import CHUNK, schedule
from ._specs import get_spec
from ._stack import user_stacklevel

__all__ = ["FitCost", "FitCostError", "FitCostWarning", "estimate_fit_cost", "check_fit_cost"]

#: Warn when a fit is estimated to take longer than this (seconds).
WARN_SECONDS = 600.0
#: Warn when dt is this many times finer than the model's time scale asks for.
WARN_DT_FACTOR = 20.0
#: ... and the simulation is at least this many steps long.
WARN_MIN_STEPS = 100_000
#: Refuse when one evaluation needs more than this fraction of the free memory.
MEMORY_FRACTION = 0.9
#: Interpreter, JAX, XLA and a compiled evaluator (measured: 0.56 GB peak for
#: a small whole-brain fit).
BASELINE_BYTES = 0.5 * 2**30

# Time model (seconds), from this package's CPU figures: a compiled step
# costs about 1 us before any arithmetic (loop and kernel launches), the
# arithmetic runs at a few tens of GFLOP/s at these sizes, a normal costs a
# few ns, and a gradient (recomputation + backward pass) about 8 forward
# passes.
_STEP_OVERHEAD = 1e-6
_FLOPS = 2e10
_NOISE_VALUE = 4e-9
_GRAD_FACTOR = 8.0
_NODE_FLOPS = 40  # per state variable and region per step
_RESIDUALS = 16  # values a gradient keeps per state value and recomputed step


class FitCostError(MemoryError):
    """The fit would need more memory than the machine has free."""


class FitCostWarning(UserWarning):
    """The fit would take very long, or runs far more steps than needed."""


@dataclass(frozen=True)
class FitCost:
    """Estimated cost of a fit (see :func:`estimate_fit_cost`).

    Attributes
    ----------
    steps : int
        Integration steps per simulation.
    steps_per_sample : float
        ``sample_dt / dt``.
    simulations : int
        Simulations run at once per evaluation (candidates x rows).
    evaluations : int
        Evaluations in the whole fit (generations, gradient steps, ...).
    gradient : bool
        Whether evaluations differentiate through the simulation.
    bytes : int
        Working memory of one evaluation, on top of :data:`BASELINE_BYTES`.
    seconds : float
        Estimated wall time of the whole fit (rough).
    dt_hint : float or None
        ``dt`` (ms) the model's time scale allows (a tenth of it), if known.
    time_scale : float or None
        The model's fastest time constant (ms) at the given parameters.
    time_scale_formula : str or None
        How ``time_scale`` was computed.
    """

    model: str
    dt: float
    steps: int
    steps_per_sample: float
    n_samples: int
    n_regions: int
    simulations: int
    evaluations: int
    gradient: bool
    bytes: int
    seconds: float
    dt_hint: float = None
    time_scale: float = None
    time_scale_formula: str = None

    @property
    def candidate_steps(self):
        """Integration steps of every simulation of the fit."""
        return self.steps * self.simulations * self.evaluations

    def describe(self):
        """One paragraph with the numbers."""
        what = "gradient steps" if self.gradient else "evaluations"
        return (f"{self.model}: dt={_g(self.dt)} ms, {_g(self.steps_per_sample)} steps per sample, "
                f"{_count(self.steps)} steps per simulation x {self.simulations} simulated at once "
                f"x {self.evaluations} {what} = {_count(self.candidate_steps)} steps, about "
                f"{_duration(self.seconds)}; memory about {_size(self.bytes)} per evaluation "
                f"plus {_size(BASELINE_BYTES)} for Python, JAX and compilation")


def _g(x):
    return f"{x:.6g}"


def _count(n):
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return str(int(n))


def _size(b):
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if b >= scale:
            return f"{b / scale:.3g} {unit}"
    return f"{int(b)} B"


def _duration(s):
    if s >= 3600:
        return f"{s / 3600:.2g} h"
    if s >= 60:
        return f"{s / 60:.2g} min"
    return f"{s:.2g} s"


@memoize(maxsize=256)
def _state_values(cls):
    """State values per region of a node class (built once, at one region)."""
    import brainstate

    node = cls(1)
    brainstate.nn.init_all_states(node)
    return max(1, sum(int(np.size(s.value)) for s in node.states().values()))


def estimate_fit_cost(sim, n_candidates=1, n_rows=1, gradient=False, n_evaluations=1,
                      params=None):
    """Steps, bytes and seconds of a fit, from static numbers only.

    Parameters
    ----------
    sim : SimConfig
        The simulation of one evaluation.
    n_candidates : int, default=1
        Parameter sets evaluated in one vmapped call (a nevergrad
        generation, scipy's DE population; 1 for gradient steps).
    n_rows : int, default=1
        Simulations per candidate: 1 for ``fit(X)`` (one simulation is
        compared with every row), the number of samples for a driven fit or
        per-row fits.
    gradient : bool, default=False
        Whether evaluations differentiate through the simulation.
    n_evaluations : int, default=1
        Evaluations in the whole fit (``max_iter`` for most backends).
    params : dict or None
        Parameter magnitudes (brainmass units), for the model's time scale.

    Returns
    -------
    FitCost
    """
    spec = get_spec(sim.model)
    plan = schedule(sim)
    n = sim.n_regions
    sims = max(1, int(n_candidates)) * max(1, int(n_rows))
    keys = max(1, int(n_rows))  # candidates share their row's noise
    slots = len(spec.noise) if sim.noise else 0
    states = _state_values(spec.cls) + (4 if sim.observation == "bold" else 0)
    coupled = len(spec.couplings) if sim.coupling else 0
    delay = (max(sim.delays) + 1) * n * coupled if sim.delays else 0
    carry = 4 * (states * n + delay)
    period = sum(plan.segments) if plan.gaps is None else max(plan.gaps)
    block = min(max(period, plan.first), CHUNK)
    out = 4 * sim.n_out * sim.n_obs  # kept samples: channels for EEG / MEG

    # forward: states (double-buffered), the kept samples, one group's reads
    # and one block of noise per key
    fwd = sims * (3 * carry + 2 * out + 4 * min(period, CHUNK) * n) + keys * 8 * block * slots * n
    mem = fwd
    if gradient:
        n_groups = (plan.groups + (plan.tail > 0)) if plan.gaps is None else len(plan.gaps)
        saved = (n_groups + 1 + math.ceil(max(period, plan.first) / CHUNK)) * carry
        mem += sims * (saved + _RESIDUALS * block * carry + 3 * out)
    flops = 2 * n * n * coupled + _NODE_FLOPS * states * n
    if sim.n_channels:  # the lead field, at the samples only
        flops += 2 * sim.n_channels * n / max(1.0, float(sim.sample_ratio or sim.sample_every))
    if sim.delays:
        flops += 4 * n * n * coupled  # gathers from the delay buffers
    per_step = _STEP_OVERHEAD + sims * flops / _FLOPS + keys * slots * n * _NOISE_VALUE
    seconds = plan.steps * per_step * (_GRAD_FACTOR if gradient else 1.0) * n_evaluations

    hint = scale = formula = None
    if spec.time_scale is not None and params is not None:
        try:
            scale = spec.time_scale(params)
        except KeyError:
            scale = None
        if scale is not None and np.isfinite(scale) and scale > 0:
            hint, formula = scale / 10.0, spec.time_scale.formula
        else:
            scale = None
    ratio = sim.sample_ratio or sim.sample_every
    return FitCost(model=getattr(spec, "name", str(sim.model)).removesuffix("Step"), dt=sim.dt,
                   steps=int(plan.steps), steps_per_sample=float(ratio),
                   n_samples=int(sim.n_out), n_regions=n, simulations=sims,
                   evaluations=int(n_evaluations), gradient=bool(gradient), bytes=int(mem),
                   seconds=float(seconds), dt_hint=hint, time_scale=scale,
                   time_scale_formula=formula)


def available_memory():
    """Bytes the system can still hand out (``MemAvailable``), or None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_fit_cost(sim, n_candidates=1, n_rows=1, gradient=False, n_evaluations=1, params=None,
                   available=None, stacklevel=None):
    """Refuse a fit that cannot fit in memory; warn about an absurdly costly one.

    Takes the arguments of :func:`estimate_fit_cost`, plus ``available``
    (bytes of free memory; default: the system's ``MemAvailable``) and
    ``stacklevel`` (default: the first caller outside brainestimators and
    scikit-learn, the user's line).

    Returns
    -------
    FitCost

    Raises
    ------
    FitCostError
        One evaluation would need more than 90 % of the free memory.
    ValueError
        The simulation has more steps than its int32 step counter can index.

    Warns
    -----
    FitCostWarning
        The fit would take longer than :data:`WARN_SECONDS`, or ``dt`` is
        :data:`WARN_DT_FACTOR` times finer than the model's time scale needs
        on a run of at least :data:`WARN_MIN_STEPS` steps.
    """
    cost = estimate_fit_cost(sim, n_candidates, n_rows, gradient, n_evaluations, params)
    if cost.steps >= 2**31 - 1:
        raise ValueError(
            f"{_count(cost.steps)} integration steps per simulation exceed the step counter "
            f"(2**31); raise dt (now {_g(cost.dt)} ms) or shorten the recording.")
    avail = available_memory() if available is None else available
    fix = _fixes(cost)
    if avail is not None and cost.bytes > MEMORY_FRACTION * avail:
        raise FitCostError(
            f"This fit needs about {_size(cost.bytes)} per evaluation but only "
            f"{_size(avail)} of memory is free. {cost.describe()}. {fix}")
    too_fine = (cost.dt_hint is not None and cost.dt_hint >= WARN_DT_FACTOR * cost.dt
                and cost.steps >= WARN_MIN_STEPS)
    if too_fine or cost.seconds > WARN_SECONDS:
        head = (f"dt={_g(cost.dt)} ms is {_g(cost.dt_hint / cost.dt)} times finer than "
                f"{cost.model}'s time scale needs" if too_fine else
                "This fit is expensive (a rough estimate on this package's CPU figures)")
        warnings.warn(f"{head}. {cost.describe()}. {fix}", FitCostWarning,
                      stacklevel=user_stacklevel() if stacklevel is None else stacklevel)
    return cost


def _fixes(cost):
    tips = []
    if cost.dt_hint is not None and cost.dt_hint > 1.5 * cost.dt:
        tips.append(
            f"{cost.model}'s time scale ({cost.time_scale_formula} = {_g(cost.time_scale)} ms at "
            f"these parameters) allows dt={_g(cost.dt_hint)} ms "
            f"({_g(cost.steps_per_sample * cost.dt / cost.dt_hint)} steps per sample)")
    tips.append("shorter or cropped recordings")
    if cost.simulations > 1:
        tips.append("fewer candidates per evaluation")
    if cost.evaluations > 1:
        tips.append("a smaller max_iter")
    return "To make it cheaper: " + "; ".join(tips) + "."
