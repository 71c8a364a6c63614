"""Joint objectives: weights as values, scorers per component, target summaries, Pareto fronts."""

import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_validate

import brainestimators as be
from brainestimators._objectives import OBJECTIVES
from brainestimators._pareto import _dominated
from brainestimators.datasets import make_hopf_cohort

from _data import whole_brain_hopf


@pytest.fixture(scope="module")
def cohort():
    return make_hopf_cohort(n_subjects=3, n_regions=6, n_time=120, random_state=0)


def _est(d, **kw):
    return whole_brain_hopf(d, **{"objective": {"fc_corr": 1.0, "fcd_ks": 0.5}, **kw})


def _pair(seed=0, shape=(120, 5)):
    rng = np.random.default_rng(seed)
    common = np.cumsum(rng.normal(size=(shape[0], 1)), axis=0)
    return (jnp.asarray(common * rng.uniform(-1, 1, shape[1]) + rng.normal(size=shape),
                        jnp.float32) for _ in range(2))


def test_joint_objective_is_the_weighted_sum_of_its_components():
    p, t = _pair()
    joint = be.resolve_objective({"fc_corr": 2.0, "fcd_ks": 0.5})
    assert joint.component_names == ("fc_corr", "fcd_ks")
    fc, ks = (float(OBJECTIVES[n].loss(p, t)) for n in ("fc_corr", "fcd_ks"))
    assert np.isclose(float(joint.loss(p, t)), 2 * fc + 0.5 * ks, rtol=1e-5)
    assert np.allclose(joint.component_losses(p, t), [fc, ks], rtol=1e-5)
    assert joint.score(0.3) == -0.3 and joint.name == "2*fc_corr+0.5*fcd_ks"


@pytest.mark.parametrize("bad, match", [({}, "at least one"), ({"fc_corr": -1}, ">= 0"),
                                        ({"fc_corr": 0, "fcd_ks": 0}, "cannot all be 0"),
                                        ({"fc_corr": "x"}, "must be a number"),
                                        ({"nope": 1}, "objective must be one of")])
def test_joint_objective_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        be.resolve_objective(bad)


@pytest.mark.parametrize("name", ["fc_corr", "fc_rmse", "fcd_ks", "fcd_wasserstein"])
def test_target_summaries_give_the_same_loss(name):
    p, t = _pair(1)
    obj = OBJECTIVES[name]
    if not obj.prepared:
        pytest.skip("not summarised")
    assert np.isclose(float(obj.compare(p, obj.prepare(t))), float(obj.loss(p, t)), rtol=1e-5)


def test_fits_compare_with_summaries_and_score_with_the_raw_loss(cohort):
    d = cohort
    est = _est(d).fit(d.bold)
    # the fit's best loss (summarised targets) equals the raw loss at the same point
    assert np.isclose(est.best_loss_, -est.score(d.bold), rtol=1e-4)


def test_weights_are_values_changing_them_does_not_retrace(cohort):
    d = cohort
    _est(d).fit(d.bold)
    traces = dict(be.cache_info()["traces"])
    est = _est(d, objective={"fc_corr": 0.1, "fcd_ks": 3.0}).fit(d.bold)
    assert be.cache_info()["traces"] == traces
    p = est.predict(d.bold)[0]
    joint = be.resolve_objective({"fc_corr": 0.1, "fcd_ks": 3.0})
    expected = np.mean([float(joint.loss(jnp.asarray(p, jnp.float32), jnp.asarray(x, jnp.float32)))
                        for x in d.bold])
    assert np.isclose(-est.score(d.bold), expected, rtol=1e-4)


def test_scorers_report_every_component_from_one_simulation(cohort, monkeypatch):
    d = cohort
    est = _est(d)
    scoring = be.get_scorers(est.objective)
    assert list(scoring) == ["fc_corr+0.5*fcd_ks", "fc_corr", "fcd_ks"]
    calls = []
    orig = be.HopfRegressor.predict
    monkeypatch.setattr(be.HopfRegressor, "predict",
                        lambda self, X: calls.append(1) or orig(self, X))
    cv = cross_validate(est, d.bold, cv=3, scoring=scoring)
    assert len(calls) == 3  # one simulation per fold for all three scores
    joint = cv["test_fc_corr+0.5*fcd_ks"]
    assert np.allclose(joint, -(1 - cv["test_fc_corr"]) + 0.5 * cv["test_fcd_ks"], atol=1e-5)


def test_dominated_mask():
    P = np.array([[1, 5], [2, 2], [3, 3], [5, 1], [1, 5]])
    assert _dominated(P).tolist() == [False, False, True, False, False]


def test_pareto_front_rows_are_single_fits(cohort):
    d = cohort
    X = d.bold
    est = _est(d, objective={"fc_corr": 1, "fcd_ks": 1})
    front = be.pareto_front(est, X[:2], weights=3, X_test=X[2:], batch_size=2)
    assert front.weights.tolist() == [[1, 0], [0.5, 0.5], [0, 1]]
    assert front.train_losses.shape == (3, 2) and front.test_losses.shape == (3, 2)
    assert front.on_front.dtype == bool and front.on_front.any()
    single = clone(est).set_params(objective={"fc_corr": 0.5, "fcd_ks": 0.5}).fit(X[:2])
    row = front.estimators[1]
    assert row.objective == {"fc_corr": 0.5, "fcd_ks": 0.5}
    assert np.isclose(single.best_loss_, row.best_loss_, rtol=1e-5)
    assert np.allclose(front.train_losses[1], be.component_losses(single, X[:2]), rtol=1e-4)
    assert "front" in front.table()
    with pytest.raises(ValueError, match="joint objective"):
        be.pareto_front(_est(d, objective="fc_corr"), X)
    with pytest.raises(ValueError, match="2 components"):
        be.pareto_front(_est(d, objective={"fc_corr": 1, "fcd_ks": 1, "fc_rmse": 1}), X, 3)


def test_row_fixed_must_match_the_traced_value(cohort):
    d = cohort
    est = _est(d)
    with pytest.raises(ValueError, match="row_fixed"):
        be._sweeps.fit_batch(est, d.bold, lambda plan: {"objective:weights": np.ones((2, 3))})


def test_for_recordings_settings_follow_the_stated_rules(cohort):
    d = cohort
    est = be.HopfRegressor.for_recordings(d.tr, d.sc, max_iter=2)
    p = est.get_params()
    k_max = p["bounds"]["k"][1]
    assert np.isclose(k_max * d.sc.sum(axis=1).mean(), be._recipes.K_STRENGTH)
    rho = np.max(np.abs(np.linalg.eigvals(d.sc)))
    assert k_max * rho * p["dt"] <= be._recipes.STIFFNESS + 1e-9
    assert np.isclose(d.tr / p["dt"], round(d.tr / p["dt"]))
    assert k_max * rho * d.tr / (round(d.tr / p["dt"]) - 1) > be._recipes.STIFFNESS
    assert p["w"] == "peak_frequency" and isinstance(k_max, float)
    # rescaling the connectome leaves coupling x strength and the step unchanged
    est2 = be.HopfRegressor.for_recordings(d.tr, 3 * d.sc)
    assert np.isclose(est2.get_params()["bounds"]["k"][1] * 3, k_max)
    assert est2.get_params()["dt"] == p["dt"]
    assert clone(est).get_params()["bounds"] == p["bounds"]
    with pytest.raises(TypeError, match="no parameters"):
        be.HopfRegressor.for_recordings(d.tr, d.sc, nope=1)
    with pytest.raises(NotImplementedError, match="no recipe"):
        be.WilsonCowanRegressor.for_recordings(d.tr, d.sc)


def test_folded_diffusive_coupling_is_stable_at_a_stiff_step():
    # diffusive coupling's self term is folded into the node's linear coefficient,
    # which exponential Euler integrates exactly: at k lambda_max(L) dt > 2 explicit
    # Euler diverges; folded, the coarse run stays bounded, and at a milder step it
    # follows a fine run (only k C x is explicit)
    rng = np.random.default_rng(0)
    C = rng.uniform(0, 1, (5, 5))
    np.fill_diagonal(C, 0)
    C = (C + C.T) / 2
    lam = np.max(np.linalg.eigvalsh(np.diag(C.sum(1)) - C))
    init = {"x": np.array([0.5, -0.3, 0.1, 0.2, -0.4])}

    def runs(k):
        kw = dict(a=-0.05, w=0.3, k=k, connectivity=C, initial_state=init)
        # samples follow brainmass's Simulator (the state after steps transient,
        # transient + every, ...): the fine run is kept at every step and read
        # at the coarse run's times t = 0.1, 0.2, ... ms
        fine = be.HopfRegressor(dt=0.001, sample_dt=0.001, **kw).simulate(1, n_time=10_000)[0]
        coarse = be.HopfRegressor(dt=0.1, sample_dt=0.1, **kw).simulate(1, n_time=100)[0]
        return fine[99::100], coarse

    assert 8.0 * lam * 0.1 > 2
    fine, coarse = runs(8.0)
    assert np.all(np.isfinite(coarse)) and np.abs(coarse).max() < 2 * np.abs(fine).max()
    fine, coarse = runs(4.0)  # k lambda dt = 1.1, k rho(C) dt = 0.8
    assert np.max(np.abs(coarse - fine)[5:]) < 0.1 * np.max(np.abs(fine))
