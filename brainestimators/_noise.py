"""Gaussian white noise as a pure function of (key, step, region).

The simulation loop needs one standard normal per noisy state per step:
22 M values for sixteen 80-region Hopf runs of 8640 steps, more than the
model's own arithmetic. This module draws them from a counter-based
generator, so a value is a pure function of ``(seed, step, region)``:

* **the bits** are JAX's own generator, Threefry-2x32 with 20 rounds
  (Salmon et al., SC'11, the Random123 reference; 13 rounds already pass
  TestU01's BigCrush), written out in ``jax.numpy`` with the step index and
  the region pair as the two counter words. ``jax.random.bits`` computes the
  same function with a more general counter layout, which cost about three
  times more per value here (see ``benchmarks/bench_noise.py``);
* **the seed** of each noise slot is drawn from the simulation's JAX key by
  ``jax.random.bits`` (whatever PRNG implementation the user configured), so
  ``random_state`` still seeds everything;
* **the normals** come from the Box-Muller transform, which maps two
  independent uniform words to an exact standard normal (Box & Muller,
  1958). Its cosine takes arguments in ``[-pi, pi)`` only and is a
  polynomial (error below 1e-8): XLA's ``cos`` was not vectorised on this
  CPU (9 ns a value) and the inverse-CDF transform of
  ``jax.random.normal`` cost more than the bits.

Because a value depends only on its counter, drawing a whole block of steps
at once or a single step gives the same numbers, a vmapped row gets exactly
the noise of a single call with its key, and candidates that share a key
(common random numbers) share one draw.
"""

import brainstate
import brainmass
import brainunit as u
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

__all__ = ["KeyedWhiteNoise", "noise_seed", "standard_normals", "threefry2x32"]

_ROTATIONS = (13, 15, 26, 6, 17, 29, 16, 24)
_PARITY = np.uint32(0x1BD11BDA)


def threefry2x32(key, x0, x1, rounds=20):
    """The Threefry-2x32 block cipher (Random123), elementwise over ``x0, x1``.

    Parameters
    ----------
    key : array of uint32, shape (2,)
        The two key words.
    x0, x1 : arrays of uint32
        Counter words (broadcast together).
    rounds : int, default=20
        Rounds; 20 is JAX's and Random123's default.

    Returns
    -------
    tuple of two uint32 arrays
        The encrypted counter: 64 random bits per counter value.
    """
    k0, k1 = key[0], key[1]
    ks = (k0, k1, k0 ^ k1 ^ _PARITY)
    x0, x1 = x0 + ks[0], x1 + ks[1]
    for r in range(rounds):
        rot = _ROTATIONS[r % 8]
        x0 = x0 + x1
        x1 = (x1 << np.uint32(rot)) | (x1 >> np.uint32(32 - rot))
        x1 = x1 ^ x0
        if r % 4 == 3:
            s = r // 4 + 1
            x0 = x0 + ks[s % 3]
            x1 = x1 + ks[(s + 1) % 3] + np.uint32(s)
    return x0, x1


# Taylor coefficients of cos in x**2, exact to float32 on [-pi, pi] (the
# first omitted term is pi**20/20! < 4e-9).
_COS = tuple((-1) ** k / float(np.prod(np.arange(1, 2 * k + 1))) for k in range(10))


def _poly(x2, coef):
    out = jnp.full_like(x2, coef[-1])
    for c in coef[-2::-1]:
        out = out * x2 + np.float32(c)
    return out


def _unit(bits):
    """Uniform on [0, 1) from the top 24 bits of a uint32 word."""
    return (bits >> np.uint32(8)).astype(jnp.float32) * np.float32(2.0**-24)


def box_muller(b0, b1):
    """A standard normal from two uniform uint32 words: ``sqrt(-2 log U) cos(2 pi V)``.

    Box and Muller (1958): for independent uniforms ``U, V`` this is exactly
    N(0, 1); its twin ``... sin(2 pi V)`` is not used, since handing the two
    to different outputs made XLA's CPU fusion recompute the bits (36 ns a
    value instead of 3 here).
    """
    radius = jnp.sqrt(np.float32(-2.0) * jnp.log(np.float32(1.0) - _unit(b0)))  # 1 - U in (0, 1]
    # any full period of the angle gives an exact normal; [-pi, pi) keeps the
    # polynomial short
    theta = np.float32(2 * np.pi) * (_unit(b1) - np.float32(0.5))
    return radius * _poly(theta * theta, _COS)


def noise_seed(key, slot):
    """The two uint32 key words of noise slot ``slot``, drawn from a JAX key."""
    return jax.random.bits(jax.random.fold_in(key, slot), (2,), jnp.uint32)


def standard_normals(seed, steps, n):
    """Standard normals for absolute step indices ``steps``: shape ``steps.shape + (n,)``.

    Value ``[..., r]`` depends only on ``(seed, step, r)``: one Threefry call
    on the counter ``(step, r)``, Box-Muller on its two output words.
    """
    steps = jnp.asarray(steps).astype(jnp.uint32)
    b0, b1 = threefry2x32(seed, steps[..., None], lax.iota(jnp.uint32, n))
    return box_muller(b0, b1)


class KeyedWhiteNoise(brainmass.Noise):
    """White noise drawn from an explicit JAX key.

    brainmass's noise processes draw from brainstate's global random state,
    which cannot take a traced key under a plain ``jax.vmap`` / ``jax.jit``
    (brainstate raises ``TraceContextError``). Drawing from an explicit key
    keeps the simulation a pure function of its key, so a noise seed is just
    another vmappable argument and a row's noise never depends on its batch
    position. The increment is Euler-Maruyama: ``sigma * sqrt(dt) * N(0, 1)``
    per step, ``sigma`` in input units per sqrt(ms).

    The normal of step ``i`` and region ``r`` is a pure function of
    ``(key, slot, i, r)`` (see :func:`standard_normals`): a simulation loop
    may draw a whole block of steps at once and hand each step its ``row``;
    used on its own, each call draws the step named by
    ``brainstate.environ.get('i')``. Both give the same values.

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
    n_steps : None
        Ignored; kept so that older calls still work (the noise used to be a
        whole-run table of ``n_steps`` rows; it is now drawn per block).
    slot : int, default=0
        Which of a model's noise inputs this is (independent streams per slot).
    """

    __module__ = "brainestimators"

    def __init__(self, in_size, sigma, key, unit=u.UNITLESS, n_steps=None, *, slot=0):
        super().__init__(in_size=in_size)
        self.sigma = sigma
        self.seed = noise_seed(key, slot)
        self.unit = unit
        self.row = None  # this step's standard normals, set by a block loop

    def normals(self, steps):
        """Standard normals of the given absolute steps, ``steps.shape + varshape``."""
        size = int(np.prod(self.varshape))
        z = standard_normals(self.seed, steps, size)
        return z.reshape(jnp.shape(steps) + tuple(self.varshape))

    def update(self):
        dt = u.get_magnitude(brainstate.environ.get_dt() / u.ms)
        z = self.row
        if z is None:
            z = self.normals(jnp.asarray(brainstate.environ.get("i")))
        return (self.sigma / jnp.sqrt(dt)) * z * self.unit
