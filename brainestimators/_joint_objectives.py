"""Joint objectives: a weighted sum of named objectives, the weights traced values."""

import math
from dataclasses import dataclass

import jax.numpy as jnp

from ._cache import LRU
from ._objective_registry import Objective, as_objective

__all__ = ["JointObjective", "joint_objective"]


@dataclass(frozen=True, eq=False)
class JointObjective(Objective):
    """A weighted sum of named objectives: ``sum_i w_i loss_i``.

    Built by :func:`joint_objective` (and
    :func:`~._objectives.resolve_objective`) from ``objective={'fc_corr': 1.0,
    'fcd_ks': 0.5}``. Similarities enter as their losses (``1 - corr``), so
    every term is minimised; the joint score is ``-loss``. The weights are
    values, not structure: the compiled evaluator is shared by every weighting
    of the same components (it reads them from the plan's traced
    ``fixed['objective:weights']``), so a weight grid or a Pareto sweep
    compiles once.

    Parameters
    ----------
    components : tuple of Objective
        The terms.
    weights : tuple of float
        Their default weights (non-negative, not all zero).

    Examples
    --------
    >>> from brainestimators import resolve_objective
    >>> joint = resolve_objective({'fc_corr': 1.0, 'fcd_ks': 0.5})
    >>> joint.name, joint.component_names
    ('fc_corr+0.5*fcd_ks', ('fc_corr', 'fcd_ks'))
    """

    components: tuple = ()
    weights: tuple = ()

    @property
    def component_names(self):
        return tuple(c.name for c in self.components)

    def component_losses(self, prediction, target):
        """Each term's loss, stacked: ``(n_components,)``."""
        return jnp.stack([jnp.reshape(jnp.asarray(c.loss(prediction, target)), ())
                          for c in self.components])

    def weighted_loss(self, prediction, target, weights):
        """``sum_i weights[i] * loss_i`` (``weights`` may be traced)."""
        return jnp.dot(jnp.asarray(weights, jnp.float32),
                       self.component_losses(prediction, target))

    def _prepare(self, target):
        return tuple(c.prepare(target) if c.prepared else target for c in self.components)

    def weighted_compare(self, prediction, features, weights):
        """:meth:`weighted_loss` against the target's summaries (``prepare``'s)."""
        losses = jnp.stack([jnp.reshape(jnp.asarray(
            c.compare(prediction, f) if c.prepared else c.loss(prediction, f)), ())
            for c, f in zip(self.components, features)])
        return jnp.dot(jnp.asarray(weights, jnp.float32), losses)

    def weighted_match(self, summaries, target_summaries, weights):
        """The weighted sum of each term's ``match`` (every term must have one)."""
        losses = jnp.stack([jnp.reshape(jnp.asarray(c.match(a, b)), ())
                            for c, a, b in zip(self.components, summaries, target_summaries)])
        return jnp.dot(jnp.asarray(weights, jnp.float32), losses)

    def check_shape(self, shape):
        for c in self.components:
            problem = c.check_shape(shape)
            if problem is not None:
                return problem
        return None

    @property
    def canonical(self):
        """The instance with the same components and unit weights, shared by every
        weighting (the key of the compiled evaluator)."""
        return _joint(tuple(self.components), (1.0,) * len(self.components))


_JOINTS = LRU("joint_objectives", 64)


def _joint(components, weights):
    def build():
        def loss(prediction, target):
            return joint.weighted_loss(prediction, target, weights)

        def prepare(target):
            return joint._prepare(target)

        def compare(prediction, features):
            return joint.weighted_compare(prediction, features, weights)

        def match(summaries, target_summaries):
            return joint.weighted_match(summaries, target_summaries, weights)

        def from_moments(m):
            return tuple(c.from_moments(m) for c in components)

        parts = [c.from_moments for c in components if c.from_moments is not None]
        from_moments.lagged = any(getattr(f, "lagged", False) for f in parts)
        from_moments.region = any(getattr(f, "region", True) for f in parts)
        if any(hasattr(f, "spectral_lags") for f in parts):  # the longest segment
            from_moments.spectral_lags = lambda n: max(f.spectral_lags(n) for f in parts
                                                       if hasattr(f, "spectral_lags"))

        name = "+".join(c.name if w == 1 else f"{w:g}*{c.name}"
                        for c, w in zip(components, weights))
        preparable = any(c.prepared for c in components)
        matching = all(c.match is not None for c in components)
        # a weighted sum of square roots has no smooth square: kinked unless all are smooth
        smooth = all(c.smoothness == "smooth" for c, w in zip(components, weights) if w)
        joint = JointObjective(
            loss, False, name, max(c.min_regions for c in components),
            max(c.min_time for c in components), max(c.min_size for c in components),
            "; ".join(c.needs for c in components if c.needs),
            prepare if preparable else None, compare if preparable else None,
            match if matching else None,
            from_moments if all(c.from_moments is not None for c in components) else None,
            "smooth" if smooth else "kinked", components, weights)
        return joint

    return _JOINTS.get((components, weights), build)


def joint_objective(spec):
    """The :class:`JointObjective` of ``{name: weight}`` (names, Objectives or callables).

    Examples
    --------
    >>> joint_objective({'fc_corr': 1.0, 'fcd_ks': 0.5}).weights
    (1.0, 0.5)
    """
    if not spec:
        raise ValueError("a joint objective needs at least one {name: weight} entry.")
    components, weights = [], []
    for name, weight in spec.items():
        if isinstance(name, JointObjective):
            raise ValueError("a joint objective's components cannot be joint objectives.")
        components.append(as_objective(name))
        try:
            w = float(weight)
        except (TypeError, ValueError):
            raise ValueError(f"the weight of {name!r} must be a number, got {weight!r}.") from None
        if not (math.isfinite(w) and w >= 0):
            raise ValueError(f"the weight of {name!r} must be finite and >= 0, got {weight!r}.")
        weights.append(w)
    if not any(weights):
        raise ValueError(f"the weights of a joint objective cannot all be 0, got {spec!r}.")
    return _joint(tuple(components), tuple(weights))
