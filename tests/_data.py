"""Small synthetic targets shared by the tests."""

import numpy as np

from brainestimators import HopfRegressor
from brainestimators.datasets import make_recordings


def hopf_recordings(a=0.8, n_samples=3, n_time=200, n_regions=2, noise=0.0, seed=0):
    """Recordings of a Hopf model at a known ``a`` (w = 0.3, kicked off x = 0.5)."""
    truth = HopfRegressor(a=a, w=0.3, initial_state={"x": 0.5}, noise_sigma=noise)
    return make_recordings(truth, n_samples, n_time, n_regions, random_state=seed)


def fc_corr_numpy(pred, target):
    """Each row's FC correlation (upper triangles, numpy), averaged: the fc_corr score."""
    iu = np.triu_indices(target.shape[2], 1)
    return float(np.mean([
        np.corrcoef(np.corrcoef(p.T)[iu], np.corrcoef(t.T)[iu])[0, 1]
        for p, t in zip(pred, target)]))


def whole_brain_hopf(d, **params):
    """A small whole-brain Hopf regressor for the cohort ``d`` (a
    ``make_hopf_cohort`` Bunch): fitted k and a, two steps, ``fc_corr``."""
    base = dict(w=d.w, noise_sigma=6e-4, connectivity=d.sc, dt=d.tr / 10, sample_dt=d.tr,
                transient=5 * d.tr, bounds={"k": (0.0, 8e-3), "a": (-1e-4, 5e-5)},
                objective="fc_corr", max_iter=2, random_state=0)
    return HopfRegressor(**{**base, **params})
