"""Regressions of issue 16's statistics defects: profiles, intervals, identifiability."""

import warnings

import numpy as np
import pytest

import brainestimators as be
from brainestimators._maps import peak_angular_frequency
from brainestimators.datasets import make_hopf_cohort

_COHORT = make_hopf_cohort(n_subjects=3, n_regions=6, n_time=120, random_state=0)


def _whole_brain(**kw):
    d = _COHORT
    base = dict(noise_sigma=6e-4, connectivity=d.sc, dt=d.tr / 10, sample_dt=d.tr,
                transient=5 * d.tr, objective="fc_corr", random_state=0)
    return be.HopfRegressor(**{**base, **kw})


def test_profile_of_a_fitted_map_model_uses_the_fitted_map():
    """r2-01: the profile at the fitted value is the fitted loss (it was the loss of a
    model whose fc_strength map was all zeros)."""
    est = _whole_brain(w=_COHORT.w, per_region={"a": ["fc_strength"]}, max_iter=1,
                       optimizer=be.Optax("adam", 1e-6),
                       bounds={"k": (0, 8e-3), "a": (-1e-4, 5e-5),
                               "a:fc_strength": (-2e-4, 2e-4)},
                       init={"a": -2e-5, "a:fc_strength": 1.5e-4})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(_COHORT.bold)
        prof = be.profile_loss(est, _COHORT.bold, "k", [est.best_params_["k"]])
    assert prof.loss[0] == pytest.approx(est.best_loss_, rel=1e-4)


def test_profile_of_an_unfitted_model_computes_peak_frequency_from_X():
    """r2-02: w='peak_frequency' unfitted is the peak frequencies of X (it was w = 0)."""
    kw = dict(bounds={"k": (0.0, 8e-3)})
    vals = [1e-3, 4e-3]
    named = be.profile_loss(_whole_brain(w="peak_frequency", **kw), _COHORT.bold, "k", vals)
    given = be.profile_loss(_whole_brain(w=peak_angular_frequency(_COHORT.bold, _COHORT.tr),
                                         **kw), _COHORT.bold, "k", vals)
    np.testing.assert_allclose(named.loss, given.loss, rtol=1e-6)
