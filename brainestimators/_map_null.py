"""Map null tests: does a map beat random maps with as many fitted parameters?

Row 0 of one batched fit (:func:`~._sweeps.fit_batch`) uses the real maps,
the others surrogates of them.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.utils import check_random_state

from ._maps import map_labels, surrogate_maps
from ._model import connectivity
from ._scoring import get_scorer
from ._sweeps import as_recordings, fit_batch

__all__ = ["map_null_test", "MapNullTest"]


@dataclass
class MapNullTest:
    """A map against random maps with as many fitted parameters.

    Attributes
    ----------
    loss : float
        Training loss of the model with the real maps.
    null_losses : ndarray of shape (n_null,)
        Training losses with surrogate maps.
    p_value : float
        ``(1 + #{null loss <= loss}) / (1 + n_null)``.
    test_score : float or None
        Held-out score of the real-map model (``scoring`` on ``X_test``).
    null_test_scores : ndarray or None
        Held-out scores of the surrogate models.
    test_p_value : float or None
        ``(1 + #{null score >= score}) / (1 + n_null)``.
    estimator : fitted regressor
        The real-map fit.
    null_estimators : list
        The surrogate fits (their ``maps_`` hold the surrogates).
    """

    loss: float
    null_losses: np.ndarray
    p_value: float
    test_score: float
    null_test_scores: np.ndarray
    test_p_value: float
    estimator: object
    null_estimators: list


def map_null_test(estimator, X, n_null=19, *, method="moran", maps=None, graph=None,
                  X_test=None, scoring=None, batch_size=None, random_state=None):
    """Does a map beat random maps? The map and ``n_null`` surrogates, fitted at once.

    Every row fits X with the estimator's map-based ``per_region``; row 0
    uses the real maps, the others replace the tested maps with surrogates
    (:func:`~brainestimators.surrogate_maps`), so every row has the same
    number of fitted parameters and the same boxes.

    Parameters
    ----------
    estimator : regressor
        With a map-based ``per_region`` (e.g. ``{'a': ['fc_gradient']}``).
    X : array of shape (n_samples, n_time, n_regions)
        Training recordings (maps computed from recordings come from them).
    n_null : int, default=19
        Surrogates (19 gives p >= 0.05 resolution).
    method : {'moran', 'permute'}, default='moran'
        How surrogates are drawn (:func:`~brainestimators.surrogate_maps`).
    maps : list of str or None
        Coefficient names to randomise (``'a:fc_gradient'``); default all.
    graph : array (n_regions, n_regions) or None
        The graph of Moran randomisation; default the estimator's
        ``connectivity``.
    X_test : array or None
        Held-out recordings, scored with ``scoring`` for every row.
    scoring : str, callable or None
        Held-out score (a name from :data:`OBJECTIVES`, a scorer
        ``scorer(est, X)``); default the estimator's ``score``.
    batch_size : int or None
        Rows per compiled batch (see :func:`fit_batch`).
    random_state : int, RandomState or None
        Seeds the surrogates.

    Returns
    -------
    MapNullTest
    """
    per_region = estimator.per_region
    if not isinstance(per_region, dict) or all(v is None for v in per_region.values()):
        raise ValueError(
            "map_null_test needs a map-based per_region, e.g. per_region={'a': "
            "['fc_gradient']}.")
    n_null = int(n_null)
    if n_null < 1:
        raise ValueError(f"n_null must be >= 1, got {n_null}.")
    rng = check_random_state(random_state)
    coefs = {f"{name}:{label}": (name, i) for name, value in per_region.items()
             if value is not None for i, label in enumerate(map_labels(value))}
    chosen = list(coefs) if maps is None else list(maps)
    unknown = set(chosen) - set(coefs)
    if unknown:
        raise ValueError(f"maps names {sorted(unknown)}; the map coefficients are {list(coefs)}.")
    W = connectivity(estimator.get_params()) if graph is None else np.asarray(graph, float)
    if method == "moran" and W is None:
        raise ValueError("method='moran' needs a graph: give graph= or a connectivity.")

    def row_fixed(plan):
        out = {}
        for name in sorted({coefs[c][0] for c in chosen}):
            real = np.asarray(plan.fixed["maps:" + name], dtype=float)
            rows = np.repeat(real[None], n_null + 1, axis=0)
            for c in chosen:
                if coefs[c][0] == name:
                    i = coefs[c][1]
                    rows[1:, i] = surrogate_maps(real[i], n_null, method, W, rng)
            out["maps:" + name] = rows
        return out

    X = as_recordings(X)
    fits = fit_batch(estimator, X, row_fixed, batch_size=batch_size, by="map_null_test")
    losses = np.array([e.best_loss_ for e in fits])
    p = (1 + np.sum(losses[1:] <= losses[0])) / (1 + n_null)
    test, null_test, test_p = None, None, None
    if X_test is not None:
        X_test = as_recordings(X_test)
        scorer = (get_scorer(scoring) if isinstance(scoring, (str, dict)) else scoring)
        scores = np.array([(scorer(e, X_test) if scorer is not None else e.score(X_test))
                           for e in fits], dtype=float)
        test, null_test = float(scores[0]), scores[1:]
        test_p = float((1 + np.sum(null_test >= test)) / (1 + n_null))
    return MapNullTest(float(losses[0]), losses[1:], float(p), test, null_test, test_p,
                       fits[0], fits[1:])
