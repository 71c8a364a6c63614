"""scikit-learn's estimator checks on every exported regressor."""

from sklearn.utils.estimator_checks import parametrize_with_checks

import brainestimators as be


def _tiny(cls):
    # 10-step simulations and 2 optimizer steps keep the ~50 checks per class fast.
    if cls is be.NeuralMassRegressor:
        return cls("Hopf", max_iter=2, duration=1.0)
    return cls(max_iter=2, duration=1.0)


ESTIMATORS = [_tiny(c) for c in (*be.REGRESSORS, be.NeuralMassRegressor)]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)
