"""One compiled evaluator per static configuration.

The heart of the package: a pure ``loss(theta, fixed, drive, target, key)``
built once per :class:`EvalConfig` and compiled once per input shape. The
model is constructed inside it from traced values, so the same function is
vmapped over candidates, differentiated and used for prediction.

Every fit is a stack of independent problems ("rows": one for a plain fit,
one per subject for per-subject fits) evaluated together: the compiled
functions take a leading rows axis, so one backend loop serves both.
Evaluators are cached by configuration (a value), so clones, CV folds and
grid-search candidates that differ only in parameter *values* share one
compilation.

Rows may also differ in traced values: ``row_fixed`` (a dict of arrays with
a leading rows axis) overrides entries of ``fixed`` row by row, e.g. one
brain map per row for a null model, or one weighting of a joint objective
per row for a Pareto sweep.
"""

import operator
from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp

from ._cache import LRU, TRACES
from ._layout import expand
from ._moments import model_moments
from ._objectives import JointObjective
from ._registry import lookup
from ._sensor_moments import autocovariance
from ._simulation import SimConfig, simulate

__all__ = ["EvalConfig", "Evaluator", "Prepared", "get_evaluator", "box", "unbox", "READOUTS",
           "Readout", "get_readout"]

_EVALUATORS = LRU("evaluators", 64)
_FORWARD_MAX = 4  # parameters up to which gradients are taken in forward mode


@dataclass(frozen=True)
class EvalConfig:
    """Static description of a fitting problem (hashable cache key).

    Parameters
    ----------
    sim : SimConfig
        The simulation.
    mode : {'target', 'readout', 'trajectory'}
        ``'target'``: ``fit(X)``, the undriven model's recording is compared
        with every row of X. ``'readout'``: ``fit(X, y)`` with a per-sample
        readout target. ``'trajectory'``: ``fit(X, y)`` with a trajectory
        target.
    objective : Objective
        The loss.
    fitted : tuple of Entry
        The static layout of ``theta`` (see :class:`~._layout.Layout`).
    n_outputs : int
        Output columns: ``n_regions`` (one per region) or 1 (region mean).
    readout : str or callable
        Readout of a driven trajectory (``'readout'`` mode).
    fc_from : {'simulation', 'moments'}
        ``'moments'``: the loss compares the target with the model's analytic
        FC (:mod:`._moments`) or expected spectrum (:mod:`._sensor_moments`)
        instead of a simulated recording's.
    n_draws : int
        Simulated draws whose mean summary (FC, FCD density) is compared
        with the target; an objective without summaries averages its loss
        over the draws.
    """

    sim: SimConfig
    mode: str
    objective: object
    fitted: tuple
    n_outputs: int = 1
    readout: object = "mean"
    fc_from: str = "simulation"
    n_draws: int = 1


@jax.tree_util.register_pytree_node_class
class Prepared:
    """Target recordings summarised once by the objective's ``prepare``.

    Passed where the loss takes ``target`` (fit mode ``'target'``): the loss
    then compares the simulation with the summaries (``compare``) instead of
    summarising the same recordings again at every step.
    """

    def __init__(self, features):
        self.features = features

    def tree_flatten(self):
        return (self.features,), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(children[0])


@dataclass(frozen=True)
class Readout:
    """Registry entry of a readout: a driven trajectory ``(n_time, n_outputs)`` -> one row."""

    name: str
    reduce: object
    summary: str


def _amplitude(traj):
    return jnp.sqrt(2.0 * jnp.mean(traj**2, axis=0))


#: Readouts of a driven trajectory (``readout=``; a callable is accepted too).
READOUTS = {r.name: r for r in (
    Readout("mean", partial(jnp.mean, axis=0), "the time average"),
    Readout("std", partial(jnp.std, axis=0), "the standard deviation over time"),
    Readout("amplitude", _amplitude, "sqrt(2 mean(x^2)): a sinusoid's amplitude"),
    Readout("last", operator.itemgetter(-1), "the last sample"),
)}


def get_readout(name):
    """The :class:`Readout` registered as ``name``."""
    return lookup(READOUTS, name, "readout", " or a callable readout(trajectory)")


def _readout(kind, traj):
    if callable(kind):
        return jnp.reshape(kind(traj), (-1,))
    return get_readout(kind).reduce(traj)


def box(z, lo, hi):
    """Map an unconstrained ``z`` into ``[lo, hi]``.

    A sigmoid for a finite box, a softplus for a half-open one (``lo +
    softplus(z)`` or ``hi - softplus(z)``), the identity where unbounded.
    """
    flo, fhi = jnp.isfinite(lo), jnp.isfinite(hi)
    width = jnp.where(flo & fhi, hi - lo, 1.0)
    lo0, hi0 = jnp.where(flo, lo, 0.0), jnp.where(fhi, hi, 0.0)
    both = lo0 + width * jax.nn.sigmoid(z)
    return jnp.where(flo & fhi, both, jnp.where(
        flo, lo0 + jax.nn.softplus(z), jnp.where(fhi, hi0 - jax.nn.softplus(z), z)))


def _softplus_inv(y):
    y = jnp.maximum(y, 1e-12)
    return y + jnp.log(-jnp.expm1(-y))


def unbox(theta, lo, hi):
    """Inverse of :func:`box`."""
    flo, fhi = jnp.isfinite(lo), jnp.isfinite(hi)
    width = jnp.where(flo & fhi, hi - lo, 1.0)
    lo0, hi0 = jnp.where(flo, lo, 0.0), jnp.where(fhi, hi, 0.0)
    frac = jnp.clip((theta - lo0) / width, 1e-6, 1 - 1e-6)
    both = jnp.log(frac) - jnp.log1p(-frac)
    return jnp.where(flo & fhi, both, jnp.where(
        flo, _softplus_inv(theta - lo0), jnp.where(fhi, _softplus_inv(hi0 - theta), theta)))


class Evaluator:
    """Compiled functions of one :class:`EvalConfig` (see module docstring).

    Shapes: ``theta`` ``(P,)``; ``thetas`` ``(R, C, P)`` (rows x candidates);
    ``z`` ``(R, P)``; ``drive`` / ``target`` carry a leading rows axis ``R``
    in the ``rows_*`` functions, as do the values of ``row_fixed`` (traced
    values that override ``fixed`` row by row). The noise key is shared by
    all candidates, and by all rows unless one key per row is given (shape
    ``(R,)``): ``rows_loss`` and ``rows_value_and_grad_z`` pick the program
    by the key's shape.
    """

    def __init__(self, cfg):
        self.cfg = cfg
        loss = self.loss_fn
        self.loss = jax.jit(loss)
        # the objective alone (``score``): without the fit's penalty
        self.objective_loss = jax.jit(lambda *args: loss(*args, penalty=False))
        self.predict = jax.jit(self.predict_fn)
        self.sample = jax.jit(jax.vmap(self.predict_fn, in_axes=(None, None, None, 0)))
        self._rows = {}
        if cfg.mode == "target" and cfg.objective.prepared:
            # (R, n_recordings, n_time, n_regions) -> Prepared, once per fit
            self.prepare_rows = jax.jit(lambda target: Prepared(
                jax.vmap(jax.vmap(cfg.objective.prepare))(target)))
        else:
            self.prepare_rows = None
        self.value_and_grad = jax.jit(jax.value_and_grad(loss))
        self.hessian = jax.jit(jax.hessian(loss))

    def _rows_program(self, keyed):
        """``(rows_loss, rows_value_and_grad_z)`` for a shared key or one key per row."""
        if keyed not in self._rows:
            loss, k = self.loss_fn, 0 if keyed else None

            def row_loss(thetas, fixed, drive, target, key, row_fixed):
                return jax.vmap(loss, in_axes=(0, None, None, None, None))(
                    thetas, {**fixed, **row_fixed}, drive, target, key)

            def row_value_and_grad_z(z, lo, hi, fixed, drive, target, key, row_fixed):
                fixed = {**fixed, **row_fixed}
                return self._value_and_grad(
                    lambda z: self.loss_z_fn(z, lo, hi, fixed, drive, target, key), z)

            self._rows[keyed] = (
                jax.jit(jax.vmap(row_loss, in_axes=(0, None, 0, 0, k, 0))),
                jax.jit(jax.vmap(row_value_and_grad_z,
                                 in_axes=(0, None, None, None, 0, 0, k, 0))))
        return self._rows[keyed]

    def _value_and_grad(self, f, z):
        """Value and gradient of ``f`` at ``z``: forward mode for a few parameters.

        Reverse mode through the simulation's loop stores (or recomputes)
        every block, and vmapped over rows it ran 4-6x slower than forward
        mode with one tangent per parameter (a 1-region Hopf, 5200 steps, 2
        parameters: one row 3.8 ms vs 1.0 ms, 8 rows 22 vs 4.7 ms, 32 rows 41
        vs 7.3 ms); forward mode's cost grows with the parameters, so many
        parameters take reverse mode.
        """
        n = z.shape[0]
        if n > _FORWARD_MAX:
            return jax.value_and_grad(f)(z)
        v, g = jax.vmap(lambda t: jax.jvp(f, (z,), (t,)))(jnp.eye(n, dtype=z.dtype))
        return v[0], g

    def rows_loss(self, thetas, fixed, drive, target, key, row_fixed=None):
        """Losses ``(R, C)`` of candidates ``thetas`` ``(R, C, P)``, row by row."""
        return self._rows_program(key.ndim > 0)[0](thetas, fixed, drive, target, key,
                                                   row_fixed or {})

    def rows_value_and_grad_z(self, z, lo, hi, fixed, drive, target, key, row_fixed=None):
        """Loss and gradient of each row at ``z`` ``(R, P)`` (unconstrained space)."""
        return self._rows_program(key.ndim > 0)[1](z, lo, hi, fixed, drive, target, key,
                                                   row_fixed or {})

    # -- pure functions (traced into the compiled ones above) -----------
    def predict_fn(self, theta, fixed, drive, key):
        """Model counterpart of the target: one recording, or one row per drive."""
        TRACES["predict"] += 1
        cfg = self.cfg
        p = expand(cfg.fitted, theta, fixed)
        if cfg.mode == "target":
            return simulate(cfg.sim, p, None, key)

        def one(d):
            traj = simulate(cfg.sim, p, d, key)
            out = _readout(cfg.readout, traj) if cfg.mode == "readout" else traj
            if out.shape[-1] != cfg.n_outputs:
                out = jnp.mean(out, axis=-1, keepdims=True)
            return out

        return jax.vmap(one)(drive)

    def loss_fn(self, theta, fixed, drive, target, key, penalty=True):
        TRACES["loss"] += 1
        cfg = self.cfg
        extra = self.penalty_fn(theta, fixed) if penalty else 0.0
        if cfg.mode == "readout":
            pred = self.predict_fn(theta, fixed, drive, key)
            return jnp.asarray(self._objective(fixed)(pred.reshape(target.shape), target)
                               ).reshape(()) + extra
        return jnp.mean(self.row_losses_fn(theta, fixed, drive, target, key)) + extra

    def penalty_fn(self, theta, fixed):
        """The fit's regulariser: fitted connectome weights towards the connectome's
        (``ec_alpha * mean((w - w_sc)**2) / mean(w_sc**2)``), else 0."""
        i = 0
        for e in self.cfg.fitted:
            if e.target == "connectivity":
                w, sc = theta[i:i + e.size], fixed["ec:sc"]
                return fixed["ec:alpha"] * jnp.mean((w - sc) ** 2) / jnp.mean(sc ** 2)
            i += e.size
        return 0.0

    def _objective(self, fixed, prepared=False):
        """The objective's ``loss`` (or ``compare`` of prepared targets), weights traced."""
        obj = self.cfg.objective
        if not isinstance(obj, JointObjective):
            return obj.compare if prepared else obj.loss
        weights = fixed["objective:weights"]
        if prepared:
            return lambda prediction, features: obj.weighted_compare(prediction, features,
                                                                      weights)
        return lambda prediction, target: obj.weighted_loss(prediction, target, weights)

    def row_losses_fn(self, theta, fixed, drive, target, key):
        """The loss of each row of the target, ``(n_samples,)``; their mean is the loss.

        ``fit(X)``: one simulated recording against each row (or its
        :class:`Prepared` summary); a trajectory target: each row's
        simulation against its target. A readout target is compared as a
        whole (its objective need not split into rows).
        """
        cfg = self.cfg
        if cfg.mode == "readout":
            raise ValueError("a readout target is compared as a whole; it has no per-row losses.")
        if cfg.mode == "target" and cfg.objective.match is not None and (
                cfg.fc_from == "moments" or cfg.n_draws > 1):
            return self._expected_losses(theta, fixed, target, key)
        if cfg.mode == "target" and cfg.n_draws > 1:  # no summary: the mean loss
            keys = jax.random.split(key, cfg.n_draws)
            return jnp.mean(jax.vmap(lambda k: self._draw_losses(theta, fixed, drive, target, k))(
                keys), axis=0)
        return self._draw_losses(theta, fixed, drive, target, key)

    def expected_summary(self, theta, fixed, key):
        """The model's expected summary of a recording (the objective's ``prepare``):
        from the analytic FC, or the mean over ``n_draws`` simulated draws."""
        cfg, obj = self.cfg, self.cfg.objective
        p = expand(cfg.fitted, theta, fixed)
        if cfg.fc_from == "moments":
            fm, m = obj.from_moments, {}
            if getattr(fm, "region", True):  # FC objectives: the monitored regions' moments
                lags = ()
                if getattr(fm, "lagged", False):  # one sampling interval, ms
                    lags = (cfg.sim.dt * (cfg.sim.sample_ratio or cfg.sim.sample_every),)
                m.update(model_moments(cfg.sim, p, lags))
            if hasattr(fm, "spectral_lags"):  # spectra: the recording's autocovariance
                n_time = cfg.sim.n_out
                m.update(autocov=autocovariance(cfg.sim, p, fm.spectral_lags(n_time)),
                         n_time=n_time)
            return fm(m)
        keys = jax.random.split(key, cfg.n_draws)
        draws = jax.vmap(lambda k: simulate(cfg.sim, p, None, k))(keys)
        return jax.tree.map(lambda s: jnp.mean(s, axis=0), jax.vmap(obj.prepare)(draws))

    def _expected_losses(self, theta, fixed, target, key):
        obj = self.cfg.objective
        summary = self.expected_summary(theta, fixed, key)
        features = target.features if isinstance(target, Prepared) else jax.vmap(obj.prepare)(
            target)
        if isinstance(obj, JointObjective):
            weights = fixed["objective:weights"]
            return jax.vmap(lambda f: obj.weighted_match(summary, f, weights))(features)
        return jax.vmap(lambda f: obj.match(summary, f))(features)

    def _draw_losses(self, theta, fixed, drive, target, key):
        pred = self.predict_fn(theta, fixed, drive, key)
        if isinstance(target, Prepared):
            compare = self._objective(fixed, prepared=True)
            return jax.vmap(lambda f: compare(pred, f))(target.features)
        obj = self._objective(fixed)
        if self.cfg.mode == "target":
            return jax.vmap(lambda t: obj(pred, t))(target)
        return jax.vmap(obj)(pred, target)

    def loss_z_fn(self, z, lo, hi, fixed, drive, target, key):
        return self.loss_fn(box(z, lo, hi), fixed, drive, target, key)


def get_evaluator(cfg):
    """Return the cached :class:`Evaluator` for ``cfg`` (built on first use)."""
    return _EVALUATORS.get(cfg, lambda: Evaluator(cfg))
