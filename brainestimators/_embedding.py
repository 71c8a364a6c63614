"""Generative embedding: each subject's fitted model parameters as features."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import BaseNeuralMassRegressor

__all__ = ["GenerativeEmbedding"]


class GenerativeEmbedding(TransformerMixin, BaseEstimator):
    """Fit one model per recording and return its fitted parameters as features.

    All recordings are fitted at once on the estimator's compiled evaluator
    (``'grad'``: one optimizer over the stacked parameters; ``'nevergrad'``:
    every subject's candidates in one vmapped call per generation;
    ``'scipy'``: one subject after another). With ``'grad'`` and
    ``'nevergrad'`` every subject runs all ``max_iter`` iterations (no early
    stopping). The transformer is stateless
    across samples: ``transform`` fits the rows it is given, so it is safe in
    cross-validation, and ``fit`` only checks the input.

    Parameters
    ----------
    estimator : BaseNeuralMassRegressor
        A regressor configured for ``fit(X)``; its ``bounds`` name the
        features.
    include_loss : bool, default=False
        Append each subject's best loss as a last feature.

    Attributes
    ----------
    n_features_in_ : int
        ``n_time`` of the recordings at fit.
    param_names_ : list of str
        Fitted parameter names (the output columns).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from brainestimators import GenerativeEmbedding, HopfRegressor
    >>> embed = GenerativeEmbedding(HopfRegressor(bounds={'a': (-0.5, 0.5)}, max_iter=5))
    >>> clf = make_pipeline(embed, LogisticRegression())
    """

    def __init__(self, estimator=None, include_loss=False):
        self.estimator = estimator
        self.include_loss = include_loss

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = False
        return tags

    def _template(self):
        est = self.estimator
        if est is None:
            from ._models import HopfRegressor

            est = HopfRegressor(max_iter=20)
        if not isinstance(est, BaseNeuralMassRegressor):
            raise TypeError(
                f"estimator must be a brainestimators regressor, got {type(est).__name__}."
            )
        return clone(est)

    def fit(self, X, y=None):
        """Check the recordings; the per-subject fits happen in :meth:`transform`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_time, n_regions) or (n_samples, n_time)
            Recordings, one subject (or session) per row.
        y : None
            Ignored (labels belong to the downstream classifier).

        Returns
        -------
        self : object
        """
        X = validate_data(self, X, reset=True, allow_nd=True, dtype=np.float64)
        est = self._template()
        r = est._layout(est._check_params(), X.shape[2] if X.ndim == 3 else 1)
        self.param_names_ = [n if size == 1 else f"{n}[{i}]" for n, size in r.fitted
                             for i in range(size)]
        return self

    def transform(self, X):
        """Fitted parameters of each recording.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_time, n_regions) or (n_samples, n_time)

        Returns
        -------
        ndarray of shape (n_samples, n_params) or (n_samples, n_params + 1)
        """
        check_is_fitted(self, "param_names_")
        X = validate_data(self, X, reset=False, allow_nd=True, dtype=np.float64)
        _, thetas, losses = self._template()._fit_rows(X)
        out = np.asarray(thetas, dtype=np.float64)
        if self.include_loss:
            out = np.column_stack([out, losses])
        return out

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns (the fitted parameters).

        Parameters
        ----------
        input_features : None
            Ignored.

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self, "param_names_")
        names = list(self.param_names_) + (["loss"] if self.include_loss else [])
        return np.asarray(names, dtype=object)
