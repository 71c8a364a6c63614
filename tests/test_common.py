"""scikit-learn's estimator checks on every exported regressor."""

from functools import partial

import numpy as np
import pytest
from sklearn.utils.estimator_checks import (
    check_fit_check_is_fitted,
    check_fit_idempotent,
    check_n_features_in,
    check_regressors_train,
    parametrize_with_checks,
)

import brainestimators as be

CLASSES = (*be.REGRESSORS, be.NeuralMassRegressor)


def _tiny(cls, **kw):
    # 10-step simulations and 2 optimizer steps keep the ~50 checks per class fast.
    kw = {"max_iter": 2, "duration": 1.0, **kw}
    if cls is be.NeuralMassRegressor:
        return cls("Hopf", **kw)
    return cls(**kw)


ESTIMATORS = [_tiny(c) for c in CLASSES]


def expected_failed_checks(estimator):
    if isinstance(estimator, be.FitzHughNagumoRegressor) and estimator.dt >= 0.1:
        return {
            "check_regressors_train": (
                "the check sets `alpha = 0.01` on any estimator with an `alpha` attribute "
                "(the regularisation of linear models); here `alpha` is a FitzHugh-Nagumo "
                "model parameter and at 0.01 every simulation at dt = 0.1 ms diverges, which "
                "fit reports as an error by design instead of returning garbage (the check "
                "passes at dt = 0.01 ms, the IN_RANGE instance)"
            ),
        }
    if isinstance(estimator, be.CoombesByrneRegressor) and estimator.duration > 0.15:
        reason = (
            "the check drives the model with inputs around 100; the Coombes-Byrne "
            "membrane equation is quadratic in v (dv/dt = v^2 + ... + I), so such a "
            "drive blows up after about 0.16 ms and fit reports that every candidate "
            "diverged (the checks pass on a 0.1 ms run, the IN_RANGE instance)"
        )
        return dict.fromkeys(
            ["check_fit_idempotent", "check_fit_check_is_fitted", "check_n_features_in"], reason)
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# The checks expected to fail above, rerun on instances whose step or length keep
# the checks' inputs in range: each expected failure covers only its named case.
IN_RANGE = [
    # the check's alpha = 0.01 is stiff (V^3 / alpha) but stable at dt = 0.01 ms;
    # the three ways scikit-learn runs check_regressors_train
    (_tiny(be.FitzHughNagumoRegressor, dt=0.01), check_regressors_train),
    (_tiny(be.FitzHughNagumoRegressor, dt=0.01), partial(check_regressors_train,
                                                         readonly_memmap=True)),
    (_tiny(be.FitzHughNagumoRegressor, dt=0.01), partial(check_regressors_train,
                                                         X_dtype=np.float32)),
    # a drive of about 100 makes v' = v^2 + ... + I blow up after about
    # pi / (2 sqrt(100)) = 0.16 ms; a 0.1 ms run at dt = 0.01 ms stays finite
    *[(_tiny(be.CoombesByrneRegressor, duration=0.1, dt=0.01), check)
      for check in (check_fit_idempotent, check_fit_check_is_fitted, check_n_features_in)],
]


def _check_name(check):
    return getattr(check, "func", check).__name__


@pytest.mark.parametrize("estimator,check", IN_RANGE,
                         ids=[f"{type(e).__name__}-{_check_name(c)}-{i}"
                              for i, (e, c) in enumerate(IN_RANGE)])
def test_expected_failures_pass_in_range(estimator, check):
    assert not expected_failed_checks(estimator)
    check(type(estimator).__name__, estimator)


def test_in_range_reruns_every_expected_failure():
    rerun = {(type(e), _check_name(c)) for e, c in IN_RANGE}
    for est in ESTIMATORS:
        for name in expected_failed_checks(est):
            assert (type(est), name) in rerun, (type(est).__name__, name)


# -- default constructor arguments ------------------------------------------------
#
# The tiny instances above keep the default suite fast; these run every check on
# each class exactly as a user gets it (100 optimizer steps, 100 ms at dt = 0.1).
# About 13 minutes per class on 2 busy cores, so slow and not in CI's run; run
# them with `python -m pytest -m slow tests/test_common.py` (or `-k Hopf` for one).

def _default(cls):
    return cls("Hopf") if cls is be.NeuralMassRegressor else cls()


# Measured with check_methods_subset_invariance alone on every class, and every
# check on Hopf, VanDerPol and Lorenz; the other classes' full default runs
# (about 4 hours in all) were not made when these marks were set.
SUBSET_DRIFT = (
    "predict on a subset of rows differs from the same rows of a full-batch predict "
    "in the last float32 digits (the vmapped batch size changes XLA's arithmetic); "
    "being fixed: predictions must not depend on batch size"
)
SUBSET_INVARIANT = (be.VanDerPolRegressor, be.ThresholdLinearRegressor,
                    be.Generic2dOscillatorRegressor, be.JansenRitRegressor, be.WongWangRegressor)
LORENZ_DIVERGES = [
    "check_fit_score_takes_y", "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters", "check_estimators_fit_returns_self",
    "check_readonly_memmap_input", "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit", "check_estimators_dtypes", "check_dtype_object",
    "check_pipeline_consistency", "check_estimators_nan_inf", "check_estimators_pickle",
    "check_f_contiguous_array_estimator", "check_regressors_train",
    "check_regressor_data_not_an_array", "check_regressors_no_decision_function",
    "check_supervised_y_2d", "check_regressors_int", "check_non_transformer_estimators_n_iter",
    "check_methods_sample_order_invariance", "check_methods_subset_invariance",
    "check_fit2d_1sample", "check_fit2d_1feature", "check_dict_unchanged",
    "check_fit_idempotent", "check_fit_check_is_fitted", "check_n_features_in",
    "check_fit2d_predict1d",
]


def expected_default_failures(estimator):
    if isinstance(estimator, be.LorenzRegressor):
        return dict.fromkeys(LORENZ_DIVERGES, (
            "bug: LorenzRegressor's default dt = 0.1 ms is unstable for the Lorenz system "
            "(x passes 1e4 in 12 steps and overflows by step 15), so every fit diverges"))
    out = expected_failed_checks(estimator)
    if not isinstance(estimator, SUBSET_INVARIANT):
        out["check_methods_subset_invariance"] = SUBSET_DRIFT
    return out


@pytest.mark.slow
@parametrize_with_checks([_default(c) for c in CLASSES],
                         expected_failed_checks=expected_default_failures)
def test_sklearn_compatible_with_default_arguments(estimator, check):
    check(estimator)
