"""scikit-learn's estimator checks on every exported regressor."""

from sklearn.utils.estimator_checks import parametrize_with_checks

import brainestimators as be


def _tiny(cls):
    # 10-step simulations and 2 optimizer steps keep the ~50 checks per class fast.
    if cls is be.NeuralMassRegressor:
        return cls("Hopf", max_iter=2, duration=1.0)
    return cls(max_iter=2, duration=1.0)


ESTIMATORS = [_tiny(c) for c in (*be.REGRESSORS, be.NeuralMassRegressor)]


def expected_failed_checks(estimator):
    if isinstance(estimator, be.FitzHughNagumoRegressor):
        return {
            "check_regressors_train": (
                "the check sets `alpha = 0.01` on any estimator with an `alpha` attribute "
                "(the regularisation of linear models); here `alpha` is a FitzHugh-Nagumo "
                "model parameter and at 0.01 every simulation diverges, which fit reports "
                "as an error by design instead of returning garbage"
            ),
        }
    if isinstance(estimator, be.CoombesByrneRegressor):
        reason = (
            "the check drives the model with inputs around 100; the Coombes-Byrne "
            "membrane equation is quadratic in v (dv/dt = v^2 + ... + I), so such a "
            "drive blows up in finite time and fit reports that every candidate diverged"
        )
        return dict.fromkeys(
            ["check_fit_idempotent", "check_fit_check_is_fitted", "check_n_features_in"], reason)
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
