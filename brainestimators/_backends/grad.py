"""``backend='grad'``: optax through the differentiable model."""

from numbers import Real

import braintools
import jax
import jax.numpy as jnp
import numpy as np
import optax
from sklearn.utils._param_validation import Interval

from .._cache import LRU
from .._evaluator import box, unbox
from ._backend import Backend, Settings

__all__ = ["Optax", "GradBackend", "BACKEND", "TRANSFORM_TYPES"]

_UPDATES = LRU("optax_updates", 32)
PLATEAU = 10  # final steps without improving the best loss by tol: converged

#: ``optimizer=`` values taken as they are: an optax transform, a braintools optimizer.
TRANSFORM_TYPES = (optax.GradientTransformation, braintools.optim.OptaxOptimizer)


class Optax(Settings):
    """Settings of the ``'grad'`` backend: an optax optimizer by name.

    Parameters
    ----------
    name : str, default='adam'
        Any optax optimizer factory (``'adam'``, ``'sgd'``, ``'adamw'``, ...).
    learning_rate : float, default=0.05
        Step size, in the unconstrained space of bounded parameters (a
        sigmoid maps it into the box).
    options : dict or None, default=None
        Extra keyword arguments of the optax factory.

    Examples
    --------
    >>> from brainestimators import HopfRegressor, Optax
    >>> est = HopfRegressor(optimizer=Optax('adam', learning_rate=0.1))
    >>> est.get_params()['optimizer__learning_rate']
    0.1
    """

    PRIMARY = "name"
    _parameter_constraints = {
        "name": [str],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "options": [dict, None],
    }

    def __init__(self, name="adam", learning_rate=0.05, options=None):
        self.name = name
        self.learning_rate = learning_rate
        self.options = options

    def validated(self):
        super().validated()
        factory = getattr(optax, self.name, None)
        if factory is None or not callable(factory):
            raise ValueError(f"optax has no optimizer named {self.name!r}.")
        return self

    def build(self):
        """The optax transform, hyperparameters injected into its state."""
        return optax.inject_hyperparams(getattr(optax, self.name))(
            learning_rate=self.learning_rate, **(self.options or {}))

    def cache_key(self):
        """What the compiled update depends on: the name and the option *values*."""
        return ("optax", self.name, _freeze(self.options or {}))


def _freeze(value):
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.tobytes())
    try:
        hash(value)
    except TypeError:
        return ("repr", repr(value))
    return (type(value).__name__, value)


class _Transform:
    """A user's optax transform (or braintools optimizer) as settings."""

    def __init__(self, tx):
        self.tx = tx

    def build(self):
        return self.tx

    def cache_key(self):
        return ("tx", self.tx.init, self.tx.update)


def _compiled(settings):
    """One jitted, row-vmapped update per optimizer configuration.

    Eager optax updates dispatch a few dozen small ops per step (about 7 ms
    per step here, more than a small simulation); hyperparameters live in
    the state (``inject_hyperparams``), so a learning-rate grid reuses one
    compile. Rows are vmapped, so even a transform that mixes coordinates
    (global-norm clipping, L-BFGS) keeps subjects independent.
    """

    def build():
        tx = settings.build()

        def update(g, state, z, ok, z_back):
            updates, new_state = tx.update(g, state, z)
            new_z = optax.apply_updates(z, updates)
            # a diverged row takes z_back instead and keeps its state
            new_z = jnp.where(ok, new_z, z_back)
            new_state = jax.tree_util.tree_map(lambda n, o: jnp.where(ok, n, o), new_state, state)
            return new_z, new_state

        return jax.jit(jax.vmap(update))

    return _UPDATES.get(settings.cache_key(), build)


# built once: a jit made inside run() was compiled again by every fit (0.3 s of a
# 0.7 s fit of a 1-region Hopf here)
_to_box = jax.jit(jax.vmap(box, in_axes=(0, None, None)))
_to_z = jax.jit(jax.vmap(unbox, in_axes=(0, None, None)))


class GradBackend(Backend):
    """``backend='grad'``: optax steps on exact JAX gradients, every row at once."""

    def gradient(self, settings):
        """Always: every step takes the loss's JAX gradient."""
        return True

    def finite_bounds(self, settings):
        """Never: a sigmoid maps a box, a softplus a half-open one, the identity none."""
        return False

    def coerce(self, optimizer):
        """An optax ``GradientTransformation`` or a braintools optax optimizer, taken as it is."""
        if isinstance(optimizer, optax.GradientTransformation):
            return _Transform(optimizer)
        tx = getattr(optimizer, "tx", None)  # braintools.optim.OptaxOptimizer
        if isinstance(tx, optax.GradientTransformation):
            return _Transform(tx)
        return None

    def run(self, problem, settings, tracker):
        """Step every row's unconstrained variable with one jitted, row-vmapped optax update.

        Each step evaluates the loss and gradient of all rows in one call
        and hands them to ``tracker.record``; a row whose loss or gradient is
        not finite steps halfway back to its best point (or the box centre)
        instead. A row stops when the gradient's largest component falls
        below ``tracker.tol`` (converged) or the tracker stops it
        (``max_iter``, ``n_iter_no_change``, the callback). At the end a row
        that used every step is converged if its best loss improved by less
        than ``tol`` over the last ``PLATEAU`` steps.
        """
        update = _compiled(settings)
        lo = jnp.asarray(problem.lo, jnp.float32)
        hi = jnp.asarray(problem.hi, jnp.float32)
        to_box, to_z = _to_box, _to_z
        z = to_z(jnp.asarray(problem.x0, jnp.float32), lo, hi)
        # the state holds this fit's hyperparameters: built from this fit's settings
        state = jax.vmap(settings.build().init)(z)
        trail = []  # the best loss of every row after each step
        while tracker.running():
            theta = np.asarray(to_box(z, lo, hi), dtype=float)
            v, g = problem.value_and_grad_z(z)
            g_np = np.asarray(g)
            # a gradient whose square overflows float32 (an optimizer's second moment
            # would be inf, freezing the row) counts as diverged too
            with np.errstate(over="ignore"):
                ok = np.isfinite(v) & np.all(np.isfinite(np.square(g_np, dtype=np.float32)), axis=1)
            tracker.record(theta[:, None], v[:, None])
            # a diverged row (loss or gradient not finite) steps halfway back to its
            # best point, or to the box centre (z = 0) when it has none or is there
            z_best = to_z(jnp.asarray(tracker.best_theta, jnp.float32), lo, hi)
            away = jnp.any(jnp.abs(z_best - z) > 1e-6, axis=1, keepdims=True)
            z_best = jnp.where(jnp.asarray(tracker.found)[:, None] & away, z_best, 0.0)
            z, state = update(jnp.where(jnp.asarray(ok)[:, None], g, 0.0), state, z,
                              jnp.asarray(ok), 0.5 * (z + z_best))
            # a vanishing gradient stops a row as converged
            gnorm = np.max(np.abs(np.where(ok[:, None], g_np, np.inf)), axis=1)
            trail.append(tracker.best_loss.copy())
            tracker.end_iteration(converged=(gnorm < tracker.tol)[tracker.active])
        # a row that used every step converged if its best loss plateaued: improved
        # by less than tol over the last PLATEAU steps (not a stop rule: Adam often
        # overshoots for a few steps and then improves again)
        if len(trail) > PLATEAU:
            with np.errstate(invalid="ignore"):  # inf - inf: a row that never had a finite loss
                plateau = (trail[-PLATEAU - 1] - trail[-1] < tracker.tol) & np.isfinite(trail[-1])
            for r in np.flatnonzero(plateau):
                if tracker.reason[r] == "max_iter":
                    tracker.finish(r, True)


BACKEND = GradBackend(
    name="grad", settings=Optax,
    summary="optax through the differentiable model (exact JAX gradients)",
    max_iter="optimizer steps (one loss and gradient each)",
    plateau_converges=True,
)
