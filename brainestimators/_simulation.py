"""Pure simulation of a brainmass model from traced parameter values.

:func:`simulate` builds the brainmass node (and, for whole-brain models, its
coupling) *inside* the function from plain arrays, runs it with
``brainmass.Simulator`` and returns the monitored trajectory. Because nothing
is built outside, the function can be ``jit``-ed, ``grad``-ed and ``vmap``-ed
over candidates, samples and noise keys.
"""

import inspect
from dataclasses import dataclass
from functools import lru_cache

import brainmass
import brainstate
import braintools
import brainunit as u
import jax
import jax.numpy as jnp
import numpy as np

from ._specs import brainmass_name, get_spec, model_parameters

__all__ = ["SimConfig", "simulate", "KeyedWhiteNoise", "COUPLINGS", "OBSERVATIONS"]

#: Coupling functions of whole-brain models.
COUPLINGS = ("diffusive", "additive", "sigmoidal", "tanh")
#: What a recording is: the monitored variable (None) or its BOLD signal.
OBSERVATIONS = (None, "bold")


class KeyedWhiteNoise(brainmass.Noise):
    """White noise drawn from an explicit JAX key.

    brainmass's noise processes draw from brainstate's global random state,
    which cannot take a traced key under a plain ``jax.vmap`` / ``jax.jit``
    (brainstate raises ``TraceContextError``). Drawing from an explicit key
    keeps the simulation a pure function of its key, so a noise seed is just
    another vmappable argument and a row's noise never depends on its batch
    position. The increment is Euler-Maruyama: ``sigma * sqrt(dt) * N(0, 1)``
    per step, ``sigma`` in input units per sqrt(ms).

    Parameters
    ----------
    in_size : int or tuple of int
        Shape of one draw (the regions).
    sigma : float or array
        Noise level, input units per sqrt(ms).
    key : jax random key
        Seed of the noise.
    unit : brainunit.Unit, default=dimensionless
        Unit of the input the noise is added to.
    n_steps : int or None, default=None
        If given, all ``n_steps`` draws are made at once before the run and
        step ``i`` reads row ``i``: one vectorised draw instead of a
        ``fold_in`` + ``normal`` per step (a third of a 2-region Hopf step's
        time went to per-step drawing). Otherwise each step draws
        ``normal(fold_in(key, i))``.
    """

    __module__ = "brainestimators"

    def __init__(self, in_size, sigma, key, unit=u.UNITLESS, n_steps=None):
        super().__init__(in_size=in_size)
        self.sigma = sigma
        self.key = key
        self.unit = unit
        self.table = None
        self.row = None  # this step's row of the table, set by the run loop
        if n_steps is not None:
            self.table = jax.random.normal(key, (n_steps,) + tuple(self.varshape))

    def update(self):
        i = brainstate.environ.get("i")
        dt = u.get_magnitude(brainstate.environ.get_dt() / u.ms)
        if self.row is not None:
            z = self.row
        elif self.table is not None:
            z = self.table[i]
        else:
            z = jax.random.normal(jax.random.fold_in(self.key, i), self.varshape)
        return (self.sigma / jnp.sqrt(dt)) * z * self.unit


# Precomputed noise tables up to this many floats per slot (64 MiB).
_TABLE_LIMIT = 1 << 24


@dataclass(frozen=True)
class SimConfig:
    """Everything static about one simulation (hashable; part of cache keys).

    Parameter *values* are not here: they are traced arguments, so changing a
    fixed parameter, the connectivity or the noise level never recompiles.
    """

    model: object  # family name (str) or brainmass class
    n_regions: int
    n_steps: int
    dt: float  # ms
    transient_steps: int = 0
    sample_every: int = 1
    sample_ratio: float = None  # non-integer sampling interval / dt
    n_time: int = None  # samples kept (with sample_ratio)
    monitor: str = None
    drive: str = "none"  # 'none' | 'const' | 'series'
    coupling: str = None  # None | 'diffusive' | 'additive'
    noise: bool = False
    initial: tuple = ()  # states given constant initial values (traced)
    delays: tuple = None  # conduction delays in steps, row-major (n_regions ** 2)
    observation: str = None  # None (the monitored variable) or 'bold'

    @property
    def spec(self):
        return get_spec(self.model)

    @property
    def n_out(self):
        if self.sample_ratio is not None:
            return self.n_time
        return (self.n_steps - self.transient_steps + self.sample_every - 1) // self.sample_every


class _Network(brainstate.nn.Module):
    """A node plus optional coupling; drive and coupling enter the node's inputs.

    Each coupled pair ``(state, keyword)`` adds ``coupling(state)`` to
    ``update(keyword=...)``: the Hopf family couples both x and y (the Deco
    et al. whole-brain form), other models their monitored variable.
    """

    def __init__(self, node, spec, coupling=None, conn=None, k=None, delays=None, dt=None):
        super().__init__()
        self.node = node
        self.coupling = coupling
        self.pairs = spec.couplings if coupling is not None else ()
        self.conn = conn
        self.k = k
        self._drive = spec.drive
        self.delayed = {}
        if delays is not None and coupling is not None:
            # brainstate's delay buffers, read per connection as in brainmass's
            # whole-brain examples: source j as seen by target i, D_ij steps ago
            n = conn.shape[0]
            steps = np.asarray(delays).reshape(n, n)
            index = np.tile(np.arange(n), (n, 1))
            for state, _ in self.pairs:
                self.delayed[state] = node.prefetch_delay(
                    state, (steps * dt, index), init=braintools.init.ZeroInit())

    def _couple(self, state):
        if state in self.delayed or self.coupling in ("sigmoidal", "tanh"):
            x = getattr(self.node, state).value
            xd = (self.delayed[state]() if state in self.delayed
                  else u.math.broadcast_to(x, (x.shape[-1],) + x.shape))
            if self.coupling == "sigmoidal":
                return brainmass.sigmoidal_coupling(xd, self.conn, self.k)
            if self.coupling == "tanh":
                return brainmass.hyperbolic_tangent_coupling(xd, self.conn, self.k)
            if self.coupling == "additive":
                return brainmass.additive_coupling(xd, self.conn, self.k)
            return brainmass.diffusive_coupling(xd, x, self.conn, self.k)
        # brainmass.diffusive_coupling / additive_coupling in matrix-vector form:
        # without delays, k * sum_j C_ij (x_j - x_i) = k * (C @ x - rowsum(C) * x).
        # brainmass's functions take the delayed source as an (n, n) matrix; fed
        # a broadcast x they made an 80-region noisy Hopf run 25x slower
        # (0.345 s vs 0.014 s per 8640 steps here).
        x = getattr(self.node, state).value
        mag, unit = u.get_magnitude(x), u.get_unit(x)
        out = self.conn @ mag
        if self.coupling != "additive":
            out = out - self.conn.sum(axis=-1) * mag
        out = self.k * out
        return out * unit if unit != u.UNITLESS else out

    def update(self, drive=None):
        inputs = {kw: self._couple(state) for state, kw in self.pairs}
        if drive is not None:
            inputs[self._drive] = drive + inputs[self._drive] if self._drive in inputs else drive
        return self.node(**inputs)


class _BOLD(brainstate.nn.Module):
    """brainmass's Balloon-Windkessel model driven by the monitored variable.

    ``brainmass.BOLDSignal`` (0.1.1) takes a unitless step in seconds, so each
    update runs in its own ``dt`` context. Its BOLD equation has a constant
    offset at rest (``k2 (1 - q / rho)``), which FC and z-scored objectives
    ignore.
    """

    def __init__(self, n, monitor):
        super().__init__()
        self.hemo = brainmass.BOLDSignal(n)
        self.monitor = monitor

    def update(self, node):
        z = u.get_magnitude(_read(node, self.monitor))
        dt_s = u.get_magnitude(brainstate.environ.get_dt() / u.second)
        with brainstate.environ.context(dt=dt_s):
            self.hemo.update(z)

    def read(self):
        return self.hemo.bold()


def _read(node, monitor):
    attr = getattr(node, monitor)
    return attr() if callable(attr) and not isinstance(attr, brainstate.State) else attr.value


def _build(cfg, params, key):
    spec = cfg.spec
    units = model_parameters(spec)
    kwargs = {}
    for name, (_, unit) in units.items():
        if name in params:
            value = params[name] * unit if unit != u.UNITLESS else params[name]
            kwargs[brainmass_name(name)] = value
    n = cfg.n_regions
    if cfg.noise:
        sigma = params["noise_sigma"]
        steps = cfg.n_steps if cfg.n_steps * n <= _TABLE_LIMIT else None
        for j, (slot, unit) in enumerate(spec.noise):
            kwargs[slot] = KeyedWhiteNoise(n, sigma, jax.random.fold_in(key, j), unit, steps)
    if spec.builtin_network and params.get("connectivity") is not None:
        kwargs["conn"] = params["connectivity"]
    for j, (name, init) in enumerate(_random_inits(spec.cls)):
        rng = brainstate.random.RandomState(jax.random.fold_in(key, 1000 + j))
        kwargs[name] = _SeededInit(init, rng)
    for state in cfg.initial:
        kwargs[init_argument(spec.cls, state)] = braintools.init.Constant(params["init:" + state])
    node = spec.cls(n, **kwargs)
    if cfg.coupling is None or spec.builtin_network:
        return _Network(node, spec)
    return _Network(node, spec, cfg.coupling, params["connectivity"], params["k"], cfg.delays,
                    cfg.dt * u.ms)


class _SeededInit:
    """A braintools initializer drawing from a local, key-seeded generator."""

    def __init__(self, init, rng):
        self.init = init
        self.rng = rng

    def __call__(self, size, **kwargs):
        return self.init(size, rng=self.rng)


def init_argument(cls, state):
    """Constructor argument holding the initializer of ``state`` (``init_x`` or ``x_init``)."""
    sig = inspect.signature(cls.__init__).parameters
    for name in (f"init_{state}", f"{state}_init"):
        if name in sig:
            return name
    known = [n for n in sig if n.startswith("init_") or n.endswith("_init")]
    raise ValueError(
        f"{cls.__name__} has no initial value for {state!r}; initializers: {known}."
    )


@lru_cache(maxsize=None)
def _random_inits(cls):
    # Random initial states would draw from brainstate's global generator,
    # which a traced key cannot seed (see KeyedWhiteNoise).
    out = []
    for name, p in inspect.signature(cls.__init__).parameters.items():
        if (name.startswith("init_") or name.endswith("_init")) and isinstance(
            p.default, (braintools.init.Uniform, braintools.init.Normal)
        ):
            out.append((name, p.default))
    return tuple(out)


def simulate(cfg, params, drive=None, key=None):
    """Run one simulation and return the monitored trajectory.

    Parameters
    ----------
    cfg : SimConfig
        Static configuration.
    params : dict of str to array
        Model parameter magnitudes in brainmass's default units, plus
        ``'noise_sigma'``, ``'k'`` and ``'connectivity'`` where used.
    drive : array or None
        ``(n_inputs,)`` constant drive or ``(n_drive, n_inputs)`` drive held
        for ``sample_every`` steps each (after the transient), in the model's
        input unit; ``n_inputs`` is 1 or ``n_regions``.
    key : jax random key or None
        Noise key.

    Returns
    -------
    jax.Array
        ``(n_out, n_regions)`` magnitudes of the monitored variable.
    """
    if key is None:
        key = jax.random.key(0)
    spec = cfg.spec
    with brainstate.environ.context(dt=cfg.dt * u.ms):  # delay buffers are sized from dt
        net = _build(cfg, params, key)
    monitor = cfg.monitor or spec.monitor
    unit = spec.input_unit
    n = cfg.n_regions

    if cfg.drive == "none":
        inputs = None
    elif cfg.drive == "const":
        d = jnp.broadcast_to(drive, (n,)) * unit
        inputs = lambda i, t: d  # noqa: E731
    else:
        series = drive
        last = series.shape[0] - 1

        def inputs(i, t):
            ratio = cfg.sample_ratio or cfg.sample_every
            j = jnp.clip(((i - cfg.transient_steps) / ratio).astype(jnp.int32), 0, last)
            return jnp.broadcast_to(series[j], (n,)) * unit

    # brainmass.Simulator's loop, with the noise tables scanned as loop inputs:
    # read from the loop body by index, a (n_steps, n) table made each 80-region
    # step ten times slower (0.33 s vs 0.03 s per 8640-step run here).
    noises = [m for m in vars(net.node).values() if isinstance(m, KeyedWhiteNoise)
              and m.table is not None]
    dt = cfg.dt * u.ms

    bold = _BOLD(n, monitor) if cfg.observation == "bold" else None

    def step(i, *rows):
        for nz, row in zip(noises, rows):
            nz.row = row
        with brainstate.environ.context(i=i, t=i * dt):
            net.update(*(() if inputs is None else (inputs(i, i * dt),)))
            if bold is not None:
                bold.update(net.node)
        return _read(net.node, monitor) if bold is None else bold.read()

    with brainstate.environ.context(dt=dt):
        brainstate.nn.init_all_states(net)
        if bold is not None:
            brainstate.nn.init_all_states(bold)
        rec = brainstate.transform.for_loop(step, np.arange(cfg.n_steps),
                                            *[nz.table for nz in noises])
    res = {"output": rec[cfg.transient_steps::cfg.sample_every]}
    out = u.get_magnitude(res["output"])
    out = jnp.reshape(out, (out.shape[0], n))
    if cfg.sample_ratio is not None:
        idx = np.round(np.arange(cfg.n_time) * cfg.sample_ratio).astype(int)
        out = out[idx]
    return out
