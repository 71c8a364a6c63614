"""The problem a backend minimises: the compiled evaluator bound to a stack of rows."""

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from .._layout import box_points

__all__ = ["Problem"]


@dataclass(frozen=True)
class Problem:
    """The compiled evaluator bound to a stack of independent problems (rows).

    ``drive`` and ``target`` carry a leading rows axis; ``x0`` is ``(R, P)``.
    The noise ``key`` is one key shared by all rows and candidates (a fit, its
    restarts, per-subject fits, a profile), or ``R`` keys, one per row (the
    refits of a parametric bootstrap, each on its own simulated cohort).
    ``target`` may be the objective's summaries of the recordings
    (:class:`~.._evaluator.Prepared`), computed once per fit.
    ``row_fixed`` holds traced values that differ between rows (leading axis
    ``R``), overriding ``fixed`` row by row: a profile's fixed value, a null
    model's map, a Pareto sweep's weighting. ``seeds`` seed each row's search
    (``R`` ints; alike unless the rows are restarts).
    """

    evaluator: object
    fixed: dict
    drive: object
    target: object
    key: object
    lo: np.ndarray
    hi: np.ndarray
    x0: np.ndarray
    layout: object
    constraints: tuple = ()
    seeds: np.ndarray = None
    row_fixed: dict = field(default_factory=dict)

    def __post_init__(self):
        seeds = np.zeros(self.n_rows, int) if self.seeds is None else self.seeds
        object.__setattr__(self, "seeds", np.broadcast_to(np.asarray(seeds, int), (self.n_rows,)))

    @property
    def n_rows(self):
        return self.x0.shape[0]

    @property
    def n_params(self):
        return self.x0.shape[1]

    @property
    def keyed(self):
        """One noise key per row (else one shared key)."""
        return self.key.ndim > 0

    def row(self, r):
        """The one-row problem of row ``r``."""
        return Problem(self.evaluator, self.fixed,
                       None if self.drive is None else self.drive[r:r + 1],
                       jax.tree_util.tree_map(lambda v: v[r:r + 1], self.target),
                       self.key[r:r + 1] if self.keyed else self.key,
                       self.lo, self.hi, self.x0[r:r + 1], self.layout, self.constraints,
                       self.seeds[r:r + 1], {k: v[r:r + 1] for k, v in self.row_fixed.items()})

    def fixed_of_row(self, r):
        """``fixed`` as row ``r`` sees it (its ``row_fixed`` entries applied)."""
        return {**self.fixed, **{k: v[r] for k, v in self.row_fixed.items()}}

    def losses(self, thetas):
        """Losses of ``thetas`` ``(R, C, P)`` as float64 ``(R, C)``; NaN/inf become inf."""
        out = self.evaluator.rows_loss(jnp.asarray(thetas, jnp.float32), self.fixed, self.drive,
                                       self.target, self.key, self.row_fixed)
        out = np.asarray(out, dtype=float)
        return np.where(np.isfinite(out), out, np.inf)

    def value_and_grad_z(self, z):
        """Loss and gradient in the unconstrained space, ``z`` ``(R, P)``."""
        v, g = self.evaluator.rows_value_and_grad_z(
            z, jnp.asarray(self.lo, jnp.float32), jnp.asarray(self.hi, jnp.float32),
            self.fixed, self.drive, self.target, self.key, self.row_fixed)
        return np.asarray(v, dtype=float), g

    def value_and_grad(self, theta):
        """Loss and gradient of a one-row problem at ``theta`` ``(P,)`` (the box's own space)."""
        v, g = self.evaluator.value_and_grad(
            jnp.asarray(theta, jnp.float32), self.fixed_of_row(0),
            None if self.drive is None else self.drive[0],
            jax.tree_util.tree_map(lambda v: v[0], self.target),
            self.key[0] if self.keyed else self.key)
        return float(v), np.asarray(g, dtype=float)

    def violation(self, thetas):
        """Constraint violation of ``thetas`` ``(..., P)`` (zeros without constraints).

        The sum of ``max(0, -fun)`` over the inequalities and ``|fun|`` over
        the equalities; ``fun`` gets the JAX values the loss was evaluated at
        (float32), one point at a time, as the constrained backends evaluate
        them; ``inf`` where it is not finite.
        """
        thetas = np.asarray(thetas, dtype=float)
        out = np.zeros(thetas.shape[:-1])
        if not self.constraints:
            return out
        flat = out.reshape(-1)
        for k, theta in enumerate(thetas.reshape(-1, thetas.shape[-1])):
            named = self.layout.named(jnp.asarray(theta, jnp.float32))
            for c in self.constraints:
                g = np.asarray(c["fun"](named), dtype=float).ravel()
                flat[k] += np.sum(np.maximum(0.0, -g) if c["type"] == "ineq" else np.abs(g))
        return np.where(np.isfinite(out), out, np.inf)

    def random_points(self, rng, n):
        """``n`` points drawn uniformly in the box (see :func:`box_points`)."""
        return box_points(self.lo, self.hi, rng, n)
