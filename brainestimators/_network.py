"""A brainmass node, its coupling and its noise, built from traced values.

:func:`build_network` constructs the node *inside* the traced simulation
from plain arrays (parameter magnitudes, the connectivity, the coupling
strength, the noise level and key), so the whole simulation stays a pure
function that can be ``jit``-ed, ``grad``-ed and ``vmap``-ed.
"""

import inspect
from dataclasses import dataclass

import brainmass
import brainstate
import braintools
import brainunit as u
import jax
import jax.numpy as jnp
import numpy as np

from ._cache import memoize
from ._noise import KeyedWhiteNoise
from ._registry import lookup
from ._specs import brainmass_name, model_parameters
from ._validation import monitor_unit

__all__ = ["COUPLINGS", "Coupling", "get_coupling", "build_network", "init_argument", "read_state"]

@dataclass(frozen=True)
class Coupling:
    """Registry entry of a coupling function (the ``coupling=`` value and its docs line)."""

    name: str
    summary: str


#: Coupling functions of whole-brain models (brainmass's kernels), ``{name: Coupling}``.
COUPLINGS = {c.name: c for c in (
    Coupling("diffusive", "k sum_j C_ij (x_j - x_i) (brainmass.diffusive_coupling)"),
    Coupling("additive", "k sum_j C_ij x_j (brainmass.additive_coupling)"),
    Coupling("sigmoidal", "k sum_j C_ij sigmoid(x_j) (brainmass.sigmoidal_coupling)"),
    Coupling("tanh", "k sum_j C_ij tanh(x_j) (brainmass.hyperbolic_tangent_coupling)"),
)}


def get_coupling(name):
    """The :class:`Coupling` registered as ``name``.

    Examples
    --------
    >>> get_coupling("diffusive").name
    'diffusive'
    """
    return lookup(COUPLINGS, name, "coupling")


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
                    state, (steps * dt, index), init=self._history(node, state))

    @staticmethod
    def _history(node, state):
        """The delay buffer's content before t = 0: the state's initial value held
        constant (brainstate fills it after the node's own states)."""
        def init(shape, dtype=None):
            value = u.get_magnitude(getattr(node, state).value)
            return jnp.broadcast_to(jnp.asarray(value, dtype), shape)

        return init

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


def read_state(node, name):
    """Value of state ``name`` of ``node`` (or of its zero-argument method)."""
    attr = getattr(node, name)
    return attr() if callable(attr) and not isinstance(attr, brainstate.State) else attr.value


def build_network(cfg, params, key):
    """The model of ``cfg`` with the traced values ``params`` and noise ``key``.

    Returns the network module and its :class:`KeyedWhiteNoise` inputs.
    """
    spec = cfg.spec
    units = model_parameters(spec)
    kwargs = {}
    for name, (_, unit) in units.items():
        if name in params:
            value = params[name] * unit if unit != u.UNITLESS else params[name]
            kwargs[brainmass_name(name)] = value
    n = cfg.n_regions
    noises = []
    if cfg.noise:
        sigma = params["noise_sigma"]
        for j, (slot, unit) in enumerate(spec.noise):
            kwargs[slot] = KeyedWhiteNoise(n, sigma, key, unit, slot=j)
            noises.append(kwargs[slot])
    if spec.builtin_network and params.get("connectivity") is not None:
        kwargs["conn"] = params["connectivity"]
    for j, (name, init) in enumerate(_random_inits(spec.cls)):
        rng = brainstate.random.RandomState(jax.random.fold_in(key, 1000 + j))
        kwargs[name] = _SeededInit(init, rng)
    for state in cfg.initial:
        unit = monitor_unit(cfg.model, state)  # the state's own unit
        value = params["init:" + state]
        kwargs[init_argument(spec.cls, state)] = braintools.init.Constant(
            value * unit if unit != u.UNITLESS else value)
    coupling = cfg.coupling
    if coupling == "diffusive" and spec.linear and cfg.delays is None:
        # k sum_j C_ij (x_j - x_i) = k (C x)_i - k_i s_i x_i: the self term joins the
        # node's linear coefficient, which brainmass's exponential Euler integrates
        # exactly, and only k C x stays explicit. Explicit, the self term made
        # Euler unstable above k lambda_max(L) dt = 2 (HCP SC at dt = 72 ms: k > 5.6e-3)
        # and, below it, gave the fastest modes too much variance: 80-region Hopf,
        # a = 0, k = 8e-3, FCD KS to the HCP subjects 0.94 at dt = 72 ms, 0.54 at
        # 24 ms, 0.43 at 12 ms, 0.40 at 6 ms; folded, 0.57 at 72 ms and 0.45 at 36 ms.
        name = brainmass_name(spec.linear)
        default, unit = units[spec.linear]
        shift = params["k"] * jnp.sum(params["connectivity"], axis=-1)
        base = kwargs.get(name, default * unit if unit != u.UNITLESS else default)
        kwargs[name] = base - (shift * unit if unit != u.UNITLESS else shift)
        coupling = "additive"
    node = spec.cls(n, **kwargs)
    if coupling is None or spec.builtin_network:
        return _Network(node, spec), noises
    net = _Network(node, spec, coupling, params["connectivity"], params["k"], cfg.delays,
                   cfg.dt * u.ms)
    return net, noises


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


@memoize(maxsize=256)
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
