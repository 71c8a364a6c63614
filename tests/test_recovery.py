"""Known answers: a whole-brain cohort generated at known coupling and bifurcation
parameters is recovered within 5 % by every backend."""

import importlib.util

import numpy as np
import pytest
from brainmass import objectives

import brainestimators as be
from brainestimators.datasets import make_hopf_cohort, make_recordings

TRUTH = {"a": -0.1, "k": 0.15}


@pytest.fixture(scope="module")
def cohort():
    rng = np.random.default_rng(0)
    n = 6
    C = rng.uniform(0, 1, (n, n)) * (rng.uniform(size=(n, n)) < 0.7)
    C = np.triu(C, 1) + np.triu(C, 1).T
    common = dict(w=0.3 * rng.uniform(0.8, 1.2, n), connectivity=C, noise_sigma=0.05, dt=0.5,
                  sample_dt=5.0, transient=500.0)
    X = make_recordings(be.HopfRegressor(**TRUTH, **common), 8, 4000, random_state=1)
    return X, common


# FC (which fixes k relative to a) plus the regions' amplitude (which fixes a).
OBJECTIVE = objectives.combine((1.0, objectives.fc_rmse()), (1.0, be.std_rmse()))


# about 80 s for the four on 2 cores: slow, run by CI as a step of its own
@pytest.mark.slow
@pytest.mark.parametrize("backend,optimizer,max_iter", [
    ("grad", be.Optax("adam", 0.2), 60),
    # nevergrad's CMA converges here in 52-99 generations of 8 (random_state 0-2);
    # its DE stalled 5 % off (8 x 120) or 16 % off (16 x 60, random_state 2)
    ("nevergrad", be.Nevergrad("CMA", 8), 100),
    pytest.param("evosax", be.Evosax("CMA_ES", popsize=8), 30,
                 marks=pytest.mark.skipif(importlib.util.find_spec("evosax") is None,
                                          reason="needs the evosax extra")),
    ("scipy", be.Scipy("L-BFGS-B"), 1),
    ("scipy", be.Scipy("differential_evolution", popsize=8), 20),
])
def test_every_backend_recovers_coupling_and_bifurcation(cohort, backend, optimizer, max_iter):
    X, common = cohort
    est = be.HopfRegressor(bounds={"a": (-0.3, 0.0), "k": (0.0, 0.5)}, objective=OBJECTIVE,
                           backend=backend, optimizer=optimizer, max_iter=max_iter,
                           random_state=0, **common).fit(X)
    for name, value in TRUTH.items():
        assert est.best_params_[name] == pytest.approx(value, rel=0.05), (name, est.best_params_)


def test_make_hopf_cohort_is_shaped_like_the_real_data():
    data = make_hopf_cohort(n_subjects=3, n_regions=6, n_time=80, random_state=0)
    assert data.bold.shape == (3, 80, 6) and data.sc.shape == (6, 6)
    assert np.allclose(data.sc, data.sc.T) and np.all(np.diag(data.sc) == 0)
    assert len(data.subjects) == 3 and data.tr == 720.0 and "Hopf" in data.DESCR
    assert data.params["k_subjects"].shape == (3,)
    again = make_hopf_cohort(n_subjects=3, n_regions=6, n_time=80, random_state=0)
    np.testing.assert_array_equal(data.bold, again.bold)


def test_peak_frequencies_set_intrinsic_frequencies():
    from brainestimators.datasets import peak_frequencies

    t = np.arange(1200) * 0.72
    X = np.stack([np.sin(2 * np.pi * 0.03 * t), np.sin(2 * np.pi * 0.06 * t)], axis=-1)[None]
    np.testing.assert_allclose(peak_frequencies(X, 720.0), [0.03, 0.06], atol=0.003)
