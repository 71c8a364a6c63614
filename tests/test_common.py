"""scikit-learn's estimator checks on every exported regressor."""

import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import check_param_validation, parametrize_with_checks

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


@pytest.mark.parametrize("estimator", ESTIMATORS + [be.GenerativeEmbedding()],
                         ids=lambda e: type(e).__name__)
def test_invalid_parameters_raise_invalid_parameter_error(estimator):
    check_param_validation(type(estimator).__name__, estimator)


@pytest.mark.parametrize("settings", [b.settings() for b in be.BACKENDS.values()],
                         ids=lambda s: type(s).__name__)
def test_backend_settings_validate_their_parameters(settings):
    # a settings object is validated when a fit resolves it
    from sklearn.utils._param_validation import InvalidParameterError

    for name in settings.get_params():
        bad = clone(settings).set_params(**{name: object()})
        with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
            bad.validated()
