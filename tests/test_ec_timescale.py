"""The EC model's time scale (``_ec_timescale``): rescaling, the choice, expected scores."""

import numpy as np

from brainestimators import HopfRegressor
from brainestimators._ec_timescale import (
    FCD_WEIGHT,
    LINEAR_NOISE,
    at_timescale,
    choose_timescale,
    expected_scores,
)


def _fitted_ec(n=5, seed=0):
    rng = np.random.default_rng(seed)
    sc = np.triu(rng.uniform(0.2, 1.0, (n, n)), 1)
    sc = sc + sc.T
    truth = HopfRegressor(a=-0.3, w=0.0, k=0.3, connectivity=sc * 1.5, noise_sigma=0.05,
                          dt=0.2, sample_dt=2.0)
    X = truth.simulate(3, n_time=400, random_state=0)
    est = HopfRegressor(a=-0.3, w=0.0, k=0.3, connectivity=sc, noise_sigma=0.05, dt=0.2,
                        sample_dt=2.0, fc_from="moments", objective="fc_rmse",
                        bounds={"connectivity": (0.0, 3.0)}, max_iter=20,
                        optimizer={"name": "adam", "learning_rate": 0.1}, random_state=0)
    return est.fit(X[:2]), X


def test_time_rescaling_keeps_the_analytic_fc():
    # with equal intrinsic frequencies (here 0), scaling a, k and the noise's variance
    # by one factor is a change of time unit: the stationary FC is unchanged
    est, _ = _fitted_ec()
    fc = est.moments()["fc"]
    at_timescale(est, 3.0, 0.3, -0.3)
    assert np.isclose(est.a, -0.9) and np.isclose(est.k, 0.9)
    assert np.isclose(est.noise_sigma, LINEAR_NOISE * 0.9)
    assert est.sample_dt / est.dt == round(est.sample_dt / est.dt)
    assert np.allclose(est.moments()["fc"], fc, atol=1e-4)


def test_choose_timescale_picks_the_smallest_training_loss():
    est, X = _fitted_ec()
    est, table = choose_timescale(est, X[:2], factors=(1.0, 2.0, 4.0), n_draws=2)
    assert [r["factor"] for r in table] == [1.0, 2.0, 4.0][:len(table)] and len(table) >= 2
    for r in table:
        assert np.isclose(r["loss"], 1.0 - r["fc"] + FCD_WEIGHT * r["fcd_ks"])
    best = min(table, key=lambda r: r["loss"])["factor"]
    assert np.isclose(est.a, -0.3 * best) and np.isclose(est.k, 0.3 * best)
    assert est.fc_from == "simulation"
    scores = expected_scores(est, X[2:], n_draws=3, random_state=1)
    assert -1 <= scores["fc_one_draw"] <= 1 and 0 <= scores["fcd_ks"] <= 1
    # the mean of several draws' FCs is closer to the held-out FC than one draw on average
    assert scores["fc"] >= scores["fc_one_draw"] - 0.05
