"""Generative embedding: each subject's fitted model parameters as features."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import BaseNeuralMassRegressor

__all__ = ["GenerativeEmbedding"]


class GenerativeEmbedding(TransformerMixin, BaseEstimator):
    """Fit one model per recording and return its fitted parameters as features.

    All recordings are fitted at once by :meth:`~HopfRegressor.fit_rows` on
    the estimator's compiled evaluator: the rows are a batch axis that every
    backend advances together (scipy: one after another), and row ``i``
    gives the parameters ``clone(estimator).fit(X[i:i + 1])`` would. The
    transformer is stateless across samples: ``transform`` fits the rows it
    is given, so it is safe in cross-validation, and ``fit`` only checks the
    input. A row whose loss never moved (its features are the start point),
    or that was stopped early, is named in one warning; ``fit_rows`` of the
    estimator gives every row's verdict (``converged``, ``flat``).

    Parameters
    ----------
    estimator : BaseNeuralMassRegressor or None, default=None
        A regressor configured for ``fit(X)``; its ``bounds`` name the
        features. ``None`` uses ``HopfRegressor(max_iter=20)``.
    include_loss : bool, default=False
        Append each subject's best loss as a last feature.

    Attributes
    ----------
    n_features_in_ : int
        ``n_time`` of the recordings at fit.
    n_regions_ : int
        Regions of the recordings at fit; ``transform`` needs as many.
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

    _parameter_constraints = {
        "estimator": [HasMethods(["fit_rows", "param_names"]), None],
        "include_loss": ["boolean"],
    }

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

    @staticmethod
    def _regions(X):
        return X.shape[2] if X.ndim == 3 else 1

    @_fit_context(prefer_skip_nested_validation=False)
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
        self.n_regions_ = self._regions(X)
        self.param_names_ = self._template().param_names(self.n_regions_)
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
        if self._regions(X) != self.n_regions_:
            raise ValueError(
                f"X has {self._regions(X)} regions; {type(self).__name__} was fitted on "
                f"{self.n_regions_}, whose features are {self.param_names_}.")
        fits = self._template().fit_rows(X)
        out = np.asarray(fits.theta, dtype=np.float64)
        if self.include_loss:
            out = np.column_stack([out, fits.loss])
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
