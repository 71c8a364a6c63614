"""Pareto fronts of a joint objective: one fit per weighting, all at once.

The rows of one batched fit (:func:`~._sweeps.fit_batch`) are weightings of
a joint objective. A weighted sum is minimised per row by any backend, the
gradient one included, so it serves the free per-region and map-based
models as well as global ones; it finds the convex part of the front
(nevergrad's multi-objective mode would find non-convex parts too, but only
for the few parameters a derivative-free search handles, and with one
compile per candidate batch instead of one per sweep).
"""

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from ._objectives import JointObjective, resolve_objective
from ._scoring import cached_predict
from ._sweeps import as_recordings, fit_batch

__all__ = ["pareto_front", "ParetoFront", "component_losses"]


def component_losses(estimator, X, objective=None):
    """Each component's loss of a fitted estimator on recordings X, averaged over rows.

    Parameters
    ----------
    estimator : fitted regressor (``fit(X)`` mode)
    X : array of shape (n_samples, n_time, n_regions)
    objective : dict, JointObjective or None
        Default: the estimator's own (joint) objective.

    Returns
    -------
    ndarray of shape (n_components,)
        Losses (lower is better; ``1 - corr`` for similarities); ``inf``
        where the simulation diverged.
    """
    joint = resolve_objective(estimator.objective if objective is None else objective)
    if not isinstance(joint, JointObjective):
        raise ValueError(
            f"component losses need a joint objective {{name: weight}}, got {joint.name!r}.")
    X = as_recordings(X)
    pred = np.asarray(cached_predict(estimator, X), dtype=np.float32)
    losses = jax.jit(jax.vmap(joint.component_losses))(jnp.asarray(pred), jnp.asarray(X, jnp.float32))
    out = np.asarray(losses, dtype=float).mean(axis=0)
    return np.where(np.isfinite(out), out, np.inf)


def _dominated(points):
    """Mask of rows dominated by another row (all <=, one <) in a loss table."""
    P = np.asarray(points, dtype=float)
    le = np.all(P[:, None, :] <= P[None, :, :], axis=2)
    lt = np.any(P[:, None, :] < P[None, :, :], axis=2)
    return np.any((le & lt).T, axis=1)


@dataclass
class ParetoFront:
    """The fits of a weight sweep over a joint objective.

    Attributes
    ----------
    names : tuple of str
        The components.
    weights : ndarray of shape (n_points, n_components)
    estimators : list
        One fitted estimator per weighting (its ``objective`` holds the
        weights), e.g. to ``simulate`` or ``score`` the chosen compromise.
    train_losses : ndarray of shape (n_points, n_components)
        Each component's loss on the fitted recordings.
    test_losses : ndarray or None
        The same on ``X_test`` (held-out recordings), if given.
    on_front : ndarray of bool
        Points no other point beats on every training loss.
    """

    names: tuple
    weights: np.ndarray
    estimators: list
    train_losses: np.ndarray
    test_losses: np.ndarray
    on_front: np.ndarray

    def table(self):
        """A printable table: weights, then training (and held-out) losses per point."""
        head = [f"w:{n}" for n in self.names] + [f"train {n}" for n in self.names]
        if self.test_losses is not None:
            head += [f"test {n}" for n in self.names]
        lines = ["".join(f"{h:>18}" for h in head) + "  front"]
        for i in range(len(self.weights)):
            row = list(self.weights[i]) + list(self.train_losses[i])
            if self.test_losses is not None:
                row += list(self.test_losses[i])
            lines.append("".join(f"{v:>18.4f}" for v in row)
                         + ("  *" if self.on_front[i] else ""))
        return "\n".join(lines)


def _weight_grid(n_points, n_components):
    if n_components != 2:
        raise ValueError(
            f"an integer weights= builds a sweep for 2 components; this objective has "
            f"{n_components}: give weights as an array (n_points, {n_components}).")
    t = np.linspace(0.0, 1.0, n_points)
    return np.stack([1 - t, t], axis=1)


def pareto_front(estimator, X, weights=5, *, X_test=None, batch_size=None):
    """Fit one model per weighting of a joint objective, all at once, and return the front.

    Parameters
    ----------
    estimator : regressor
        Its ``objective`` is a joint objective, e.g. ``{'fc_corr': 1.0,
        'fcd_ks': 1.0}`` (only the names matter here).
    X : array of shape (n_samples, n_time, n_regions)
        Training recordings.
    weights : int or array of shape (n_points, n_components), default=5
        The weightings (rows). An integer ``n`` sweeps two components from
        ``(1, 0)`` to ``(0, 1)`` in ``n`` steps.
    X_test : array or None
        Held-out recordings on which every fit is also scored.
    batch_size : int or None
        Weightings per compiled batch (see :func:`fit_batch`).

    Returns
    -------
    ParetoFront

    Examples
    --------
    >>> from brainestimators import HopfRegressor, pareto_front
    >>> from brainestimators.datasets import make_hopf_cohort
    >>> d = make_hopf_cohort(n_subjects=2, n_regions=6, n_time=120, random_state=0)
    >>> est = HopfRegressor(w=d.w, noise_sigma=6e-4, connectivity=d.sc, dt=d.tr / 10,
    ...                     sample_dt=d.tr, bounds={'k': (0.0, 8e-3)},
    ...                     objective={'fc_corr': 1, 'fcd_ks': 1}, max_iter=2)
    >>> front = pareto_front(est, d.bold, weights=3)
    >>> front.train_losses.shape
    (3, 2)
    """
    joint = resolve_objective(estimator.objective)
    if not isinstance(joint, JointObjective):
        raise ValueError(
            "pareto_front needs a joint objective, e.g. objective={'fc_corr': 1.0, "
            f"'fcd_ks': 1.0}}; got {joint.name!r}.")
    keys = list(estimator.objective) if isinstance(estimator.objective, dict) else list(
        joint.component_names)
    W = _weight_grid(int(weights), len(keys)) if np.ndim(weights) == 0 else np.asarray(
        weights, dtype=float)
    if W.ndim != 2 or W.shape[1] != len(keys) or np.any(W < 0) or not np.all(np.isfinite(W)):
        raise ValueError(
            f"weights must be finite and >= 0, shape (n_points, {len(keys)}), got {W.shape}.")
    if np.any(W.sum(axis=1) == 0):
        raise ValueError("every weighting needs a positive weight.")
    X = as_recordings(X)
    fits = fit_batch(estimator, X, lambda plan: {"objective:weights": W},
                     [{"objective": dict(zip(keys, map(float, w)))} for w in W], batch_size,
                     by="pareto_front")
    train = np.stack([component_losses(e, X) for e in fits])
    test = None if X_test is None else np.stack(
        [component_losses(e, as_recordings(X_test)) for e in fits])
    return ParetoFront(joint.component_names, W, fits, train, test, ~_dominated(train))
