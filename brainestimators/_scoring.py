"""Objectives as scikit-learn scorers that share one simulation across metrics.

scikit-learn's ``make_scorer`` scorers share a cached ``predict`` inside a
multi-metric evaluation, but they receive ``y_true=None`` in the ``fit(X)``
mode, where the target is X itself. The scorers here take the target from X
or y as the estimator was fitted, and memoise the prediction per (estimator
state, X), so ``cross_validate(scoring={...})`` simulates once per fold, not
once per metric.
"""

import weakref

import jax
import jax.numpy as jnp
import joblib
import numpy as np
from sklearn.pipeline import Pipeline

from ._cache import LRU, register
from ._objectives import OBJECTIVES, JointObjective, resolve_objective
from ._registry import lookup

__all__ = ["ObjectiveScorer", "make_objective_scorer", "get_scorer", "get_scorers"]

_PREDICTIONS = register("scorer_predictions", weakref.WeakKeyDictionary())
_ROW_LOSS = LRU("scorer_row_losses", 64)


def _state_key(est, X):
    fitted = {k: v for k, v in vars(est).items() if k.endswith("_") and not k.startswith("_")}
    return joblib.hash((np.asarray(X), est.get_params(deep=True), fitted))


def cached_predict(est, X):
    """``est.predict(X)``, memoised on the estimator's state and X."""
    key = _state_key(est, X)
    hit = _PREDICTIONS.get(est)
    if hit is not None and hit[0] == key:
        return hit[1]
    pred = est.predict(X)
    _PREDICTIONS[est] = (key, pred)
    return pred


def _scores_expected(est, objective):
    """Whether ``est`` was fitted to ``objective`` through its expected statistic
    (``fc_from='moments'`` or ``n_draws > 1``): then its own ``score`` is that
    objective's expected-statistic score."""
    if getattr(est, "fc_from", "simulation") != "moments" and getattr(est, "n_draws", 1) <= 1:
        return False
    try:
        name = resolve_objective(est.objective).name
    except (TypeError, ValueError):
        return False
    return name == objective.name and name != "custom"


def _row_loss(objective):
    return _ROW_LOSS.get(objective, lambda: jax.jit(jax.vmap(objective.loss)))


class ObjectiveScorer:
    """A scikit-learn scorer from an objective, with the right sign.

    Parameters
    ----------
    objective : str, Objective or callable
        A name from :data:`OBJECTIVES`, an :class:`Objective` or a loss
        callable ``objective(prediction, target)`` (scored as ``-loss``).

    Notes
    -----
    ``scorer(estimator, X, y=None)`` compares ``estimator.predict(X)`` (one
    simulated draw) with X itself for a model fitted with ``fit(X)`` (after
    the pipeline's transformers, for a :class:`~sklearn.pipeline.Pipeline`)
    and with y otherwise. The one exception: a ``fit(X)`` model fitted to
    this same objective with ``fc_from='moments'`` or ``n_draws > 1`` is
    scored by its expected statistic (its own ``score``: the analytic FC, or
    the mean FC / pooled FCD of its draws), as it was fitted. Recordings
    and trajectories are scored row by row and averaged; readouts are
    scored over all rows at once. A diverged simulation scores ``-inf``.

    Examples
    --------
    >>> from brainestimators import get_scorer
    >>> get_scorer("fc_corr")
    ObjectiveScorer('fc_corr')
    """

    def __init__(self, objective):
        self.objective = resolve_objective(objective)

    def __repr__(self):
        return f"ObjectiveScorer({self.objective.name!r})"

    def __call__(self, estimator, X, y=None, sample_weight=None):
        if sample_weight is not None:
            raise ValueError("sample_weight is not supported by objective scorers.")
        final, Xt = estimator, X
        if isinstance(estimator, Pipeline):
            final = estimator[-1]
            Xt = estimator[:-1].transform(X) if len(estimator) > 1 else X
        mode = getattr(final, "fit_mode_", "target" if y is None else "readout")
        if mode == "target" and _scores_expected(final, self.objective):
            return float(final.score(Xt))
        pred = np.asarray(cached_predict(final, Xt), dtype=np.float64)
        target = np.asarray(Xt if mode == "target" else y, dtype=np.float64)
        if mode == "readout":
            self.objective.validate(target.shape, target.shape)
            loss = float(self.objective.loss(jnp.asarray(pred.reshape(target.shape)),
                                             jnp.asarray(target)))
        else:
            if target.ndim == 2:
                target, pred = target[:, :, None], pred.reshape(target.shape + (1,))
            self.objective.validate(target.shape[1:], target.shape[1:])
            loss = float(jnp.mean(_row_loss(self.objective)(jnp.asarray(pred), jnp.asarray(target))))
        return float(self.objective.score(loss)) if np.isfinite(loss) else -np.inf


def make_objective_scorer(objective):
    """Return an :class:`ObjectiveScorer` for ``objective``.

    Parameters
    ----------
    objective : str, Objective or callable
        A name from :data:`OBJECTIVES`, an :class:`Objective`, or a loss
        ``objective(prediction, target) -> scalar`` (scored as ``-loss``).

    Returns
    -------
    ObjectiveScorer

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from brainestimators import make_objective_scorer
    >>> scorer = make_objective_scorer(lambda p, t: jnp.mean(jnp.abs(p - t)))
    """
    return ObjectiveScorer(objective)


def get_scorer(name):
    """The scorer of a named objective, or of a joint objective ``{name: weight}``.

    Parameters
    ----------
    name : str or dict
        A key of :data:`OBJECTIVES`, or a dict ``{name: weight}`` (the
        joint objective's score, ``-sum_i w_i loss_i``).

    Returns
    -------
    ObjectiveScorer

    Examples
    --------
    >>> from brainestimators import get_scorer
    >>> get_scorer("timeseries_rmse")
    ObjectiveScorer('timeseries_rmse')
    """
    if isinstance(name, dict):
        return ObjectiveScorer(name)
    lookup(OBJECTIVES, name, "scorer")
    return ObjectiveScorer(name)


def get_scorers(*names):
    """A ``{name: scorer}`` dict for multi-metric ``scoring=``.

    A joint objective (a dict ``{name: weight}``, or a
    :class:`JointObjective`) contributes its own score and one scorer per
    component, so ``cross_validate(est, X, scoring=get_scorers(est.objective))``
    reports every term of what was fitted. All the scorers of one call share
    one simulation per fold.

    Parameters
    ----------
    *names : str, dict or JointObjective
        Keys of :data:`OBJECTIVES` or joint objectives; none means all the
        named objectives.

    Returns
    -------
    dict of str to ObjectiveScorer

    Examples
    --------
    >>> from brainestimators import get_scorers
    >>> sorted(get_scorers("fc_corr", "fcd_ks"))
    ['fc_corr', 'fcd_ks']
    >>> list(get_scorers({"fc_corr": 1.0, "fcd_ks": 0.5}))
    ['fc_corr+0.5*fcd_ks', 'fc_corr', 'fcd_ks']
    """
    out = {}
    for name in (names or sorted(OBJECTIVES)):
        if isinstance(name, (dict, JointObjective)):
            joint = resolve_objective(name)
            out[joint.name] = ObjectiveScorer(joint)
            for c in joint.components:
                out[c.name] = ObjectiveScorer(c)
        else:
            out[name] = get_scorer(name)
    return out
