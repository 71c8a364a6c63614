"""Pure simulation of a brainmass model from traced parameter values.

:func:`simulate` builds the brainmass node (and, for whole-brain models, its
coupling, noise and observation model) *inside* the function from plain
arrays and integrates it with the node's own brainmass update, so the
function can be ``jit``-ed, ``grad``-ed and ``vmap``-ed over candidates,
samples and noise keys.

Memory follows the kept samples, not the integration steps. The run is
split into the steps before the first sample, then groups of ``q`` samples
whose step counts repeat (a 720 ms TR on a 100 ms grid is 7.2 steps a
sample: every group of 5 samples is exactly 36 steps, read at static
offsets), scanned by an outer loop; the steps between two samples are an
inner loop that records nothing. Each group (and each chunk of a long run
of steps) is rematerialised under ``jax.checkpoint``, so a gradient keeps
one state per group and per chunk instead of every step's residuals.
Noise is drawn per chunk from a counter-based generator (:mod:`._noise`).
"""

from dataclasses import dataclass

import brainstate
import brainunit as u
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ._cache import memoize
from ._network import build_network, init_argument
from ._noise import KeyedWhiteNoise
from ._observations import get_observation
from ._specs import get_spec

__all__ = ["SimConfig", "simulate", "Loop", "KeyedWhiteNoise", "init_argument", "schedule"]

# Steps per rematerialised chunk of a long stretch without samples: a
# gradient stores one state per chunk and recomputes the chunk's steps.
CHUNK = 512
def _remat(fn):
    return jax.checkpoint(fn, prevent_cse=False)


# Steps per iteration of the compiled inner loop (lax.scan's unroll): fewer
# loop iterations, longer fused bodies.
UNROLL = 1

# Longest repeating pattern of sample intervals run as one group.
MAX_GROUP = 64


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
    observation: str = None  # None (the monitored variable), 'bold', 'eeg' or 'meg'
    n_channels: int = None  # sensors read through a lead field (eeg / meg)
    sensor_noise: bool = False  # white noise of ``params['sensor_noise']`` at kept samples

    @property
    def n_obs(self):
        """Columns of a recording: channels for sensor observations, else regions."""
        return self.n_channels or self.n_regions

    @property
    def spec(self):
        return get_spec(self.model)

    @property
    def n_out(self):
        if self.sample_ratio is not None:
            return self.n_time
        return (self.n_steps - self.transient_steps + self.sample_every - 1) // self.sample_every


# -- the sampling schedule (static) ---------------------------------------
@dataclass(frozen=True)
class Schedule:
    """Which steps run between which samples.

    Sample ``k`` is the state after step ``transient + round(k * ratio)``
    (``k * sample_every`` for an integer ratio), as if every step were
    recorded and the nearest step kept.

    Attributes
    ----------
    first : int
        Steps before the first sample (the transient plus one).
    segments : tuple of int
        Steps before each sample of one group; the pattern repeats.
    groups : int
        Full groups after the first sample.
    tail : int
        Samples after the full groups (they take ``segments[:tail]``; the
        group runs whole).
    gaps : tuple of int or None
        No short repeating pattern: steps before each later sample, run as
        masked blocks of ``max(gaps)`` steps (at most one idle step each).
    """

    first: int
    segments: tuple
    groups: int
    tail: int
    gaps: tuple = None

    @property
    def steps(self):
        """Integration steps actually run."""
        if self.gaps is not None:
            return self.first + sum(self.gaps)
        return self.first + (self.groups + (self.tail > 0)) * sum(self.segments)


def sample_steps(cfg):
    """Index of the step after which each kept sample is read."""
    if cfg.sample_ratio is None:
        idx = np.arange(cfg.n_out) * cfg.sample_every
    else:
        idx = np.round(np.arange(cfg.n_time) * cfg.sample_ratio).astype(int)
    return cfg.transient_steps + idx


@memoize(maxsize=256)
def schedule(cfg):
    """The :class:`Schedule` of ``cfg`` (cached)."""
    done = sample_steps(cfg) + 1  # steps completed at each sample
    if done[-1] > cfg.n_steps:
        raise ValueError(f"{cfg.n_out} samples need {done[-1]} steps; the run has {cfg.n_steps}.")
    gaps = np.diff(done)
    if gaps.size == 0:
        return Schedule(int(done[0]), (1,), 0, 0)
    for q in range(1, min(MAX_GROUP, gaps.size) + 1):
        if np.array_equal(gaps[q:], gaps[:-q]):
            groups, tail = divmod(gaps.size, q)
            return Schedule(int(done[0]), tuple(int(g) for g in gaps[:q]), groups, tail)
    return Schedule(int(done[0]), (), 0, 0, tuple(int(g) for g in gaps))


# -- the pure loop ---------------------------------------------------------
def _strong(value):
    # scan carries must keep one dtype; brainstate initialises weakly typed
    return jax.tree.map(lambda v: lax.convert_element_type(v, jnp.result_type(v)), value)


class Loop:
    """Pure ``step`` / ``read`` functions over the states of a built network.

    brainmass nodes keep their state in brainstate ``State`` objects; each
    pure function loads a state tuple into them, runs the node's own update,
    and reads the tuple back, under a ``StateTraceStack`` (which lets a plain
    ``lax.scan`` trace write to them).
    """

    def __init__(self, cfg, params, drive, key):
        spec = cfg.spec
        self.cfg = cfg
        self.dt = cfg.dt * u.ms
        with brainstate.environ.context(dt=self.dt):  # delay buffers are sized from dt
            self.net, self.noises = build_network(cfg, params, key)
            monitor = cfg.monitor or spec.monitor
            self.obs = get_observation(cfg.observation)(cfg.n_regions, monitor, params)
            brainstate.nn.init_all_states(self.net)
            brainstate.nn.init_all_states(self.obs)
        self.states = list(self.net.states().values()) + list(self.obs.states().values())
        self.inputs = self._inputs(cfg, drive, spec.input_unit)

    @staticmethod
    def _inputs(cfg, drive, unit):
        n = cfg.n_regions
        if cfg.drive == "none":
            return None
        if cfg.drive == "const":
            d = jnp.broadcast_to(drive, (n,)) * unit
            return lambda i: d
        last = drive.shape[0] - 1
        ratio = cfg.sample_ratio or cfg.sample_every

        def series(i):  # held for one sampling interval each, from the transient on
            j = jnp.clip(((i - cfg.transient_steps) / ratio).astype(jnp.int32), 0, last)
            return jnp.broadcast_to(drive[j], (n,)) * unit

        return series

    def initial(self):
        return _strong(tuple(s.value for s in self.states))

    def _load(self, vals):
        for s, v in zip(self.states, vals):
            s.value = v

    def step(self, vals, i, rows):
        """One integration step ``i`` with the noise rows of this step."""
        with brainstate.StateTraceStack():
            self._load(vals)
            for nz, row in zip(self.noises, rows):
                nz.row = row
            with brainstate.environ.context(dt=self.dt, i=i, t=i * self.dt):
                self.net.update(*(() if self.inputs is None else (self.inputs(i),)))
                self.obs.update(self.net.node)
            new = tuple(s.value for s in self.states)
        return jax.tree.map(lambda a, b: lax.convert_element_type(a, jnp.result_type(b)), new, vals)

    def read(self, vals):
        """The observed sample of a state tuple, ``(n_obs,)`` magnitudes."""
        with brainstate.StateTraceStack():
            self._load(vals)
            with brainstate.environ.context(dt=self.dt):
                out = self.obs.read(self.net.node)
        return jnp.reshape(u.get_magnitude(out), (self.cfg.n_obs,))

    def noise_rows(self, steps):
        """Standard normals of every noise input for the given steps."""
        return tuple(nz.normals(steps) for nz in self.noises)

    # -- runs of steps without recording ------------------------------
    def _scan(self, vals, start, length, keep=None, active=None):
        """``length`` steps from ``start``.

        ``keep``: also return the samples read after these (static) steps;
        ``active``: a traced count, steps past it leave the state unchanged.
        """
        steps = start + jnp.arange(length, dtype=jnp.int32)
        rows = self.noise_rows(steps)  # one draw per block vectorises better

        def body(v, x):
            j, i, r = x
            new = self.step(v, i, r)
            if active is not None:
                new = jax.tree.map(lambda a, b: jnp.where(j < active, a, b), new, v)
            return new, (None if keep is None else self.read(new))

        xs = (jnp.arange(length, dtype=jnp.int32), steps, rows)
        vals, rec = lax.scan(body, vals, xs, unroll=max(1, min(UNROLL, length)))
        return vals if keep is None else (vals, rec[np.asarray(keep)])

    def advance(self, vals, start, length):
        """Run steps ``start .. start + length - 1``; long runs in checkpointed chunks."""
        if length <= CHUNK:
            return self._scan(vals, start, length) if length else vals
        n_chunks, rest = divmod(length, CHUNK)

        @_remat
        def chunk(v, c):
            return self._scan(v, start + c * CHUNK, CHUNK), None

        vals = lax.scan(chunk, vals, jnp.arange(n_chunks, dtype=jnp.int32))[0]
        return self._scan(vals, start + n_chunks * CHUNK, rest) if rest else vals

    def group(self, vals, base, segments):
        """Run one group of ``segments`` (steps before each sample) from step ``base``."""
        total = sum(segments)
        if len(segments) > 1 and total <= CHUNK:
            # one scan over the group, reading every step and keeping the
            # samples: one traced loop instead of one per segment
            return self._scan(vals, base, total, keep=np.cumsum(segments) - 1)
        rec, offset = [], 0
        for length in segments:
            vals = self.advance(vals, base + offset, length)
            rec.append(self.read(vals))
            offset += length
        return vals, jnp.stack(rec)


def simulate(cfg, params, drive=None, key=None):
    """Run one simulation and return the observed samples.

    Parameters
    ----------
    cfg : SimConfig
        Static configuration.
    params : dict of str to array
        Model parameter magnitudes in brainmass's default units, plus
        ``'noise_sigma'``, ``'k'``, ``'connectivity'``, ``'lead_field'`` and
        ``'sensor_noise'`` where used.
    drive : array or None
        ``(n_inputs,)`` constant drive or ``(n_drive, n_inputs)`` drive held
        for ``sample_every`` steps each (after the transient), in the model's
        input unit; ``n_inputs`` is 1 or ``n_regions``.
    key : jax random key or None
        Noise key.

    Returns
    -------
    jax.Array
        ``(n_out, n_obs)`` magnitudes of the monitored variable (or of its
        observation: BOLD per region, EEG / MEG per channel), at the kept
        samples only.
    """
    if key is None:
        key = jax.random.key(0)
    plan = schedule(cfg)
    loop = Loop(cfg, params, drive, key)
    vals = loop.advance(loop.initial(), 0, plan.first)
    outs = [loop.read(vals)[None]]
    start = plan.first

    if plan.gaps is not None:
        gaps = jnp.asarray(plan.gaps, jnp.int32)
        width = max(plan.gaps)

        @_remat
        def one(carry, gap):
            v, i = carry
            v = loop._scan(v, i, width, active=gap)
            return (v, i + gap), loop.read(v)

        _, rec = lax.scan(one, (vals, jnp.int32(start)), gaps)
        outs.append(rec)
    elif plan.groups or plan.tail:
        seg = plan.segments
        period = sum(seg)

        @_remat
        def body(v, g):
            return loop.group(v, start + g * period, seg)

        # a partial last group runs whole (fewer than ``period`` idle steps),
        # so the group's loop is traced once
        n_groups = plan.groups + (plan.tail > 0)
        vals, rec = lax.scan(body, vals, jnp.arange(n_groups, dtype=jnp.int32))
        outs.append(rec.reshape(-1, cfg.n_obs)[:plan.groups * len(seg) + plan.tail])
    out = jnp.concatenate(outs, axis=0)
    if cfg.sensor_noise:  # measurement noise: one draw per kept sample and channel
        noise = jax.random.normal(jax.random.fold_in(key, 0x5E50), out.shape, out.dtype)
        out = out + params["sensor_noise"] * noise
    return out
