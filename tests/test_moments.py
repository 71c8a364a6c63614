"""Analytic moments: the Lyapunov solver, its gradient, and agreement with simulations."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg

from brainestimators import HopfRegressor
from brainestimators._metrics import functional_connectivity
from brainestimators._lyapunov import check_stable, lyapunov
from brainestimators._moments import (
    discrete_moments,
    hopf_system,
    model_moments,
    stationary_moments,
)
from brainestimators._border import fitted_setup, model_of
from brainestimators._plan import make_plan


def _stable(n, seed, complex_=False):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n)) / np.sqrt(n) - 2.0 * np.eye(n)
    if complex_:
        A = A + 1j * np.diag(rng.uniform(0.1, 1.0, n))
    return A


@pytest.mark.parametrize("complex_", [False, True])
def test_lyapunov_matches_scipy(complex_):
    A = _stable(6, 0, complex_)
    Q = np.diag(np.arange(1.0, 7.0))
    P = np.asarray(lyapunov(jnp.asarray(A), jnp.asarray(Q)))
    ref = scipy.linalg.solve_continuous_lyapunov(A, -Q)
    assert np.allclose(P, ref, rtol=1e-4, atol=1e-5 * np.abs(ref).max())


def test_discrete_lyapunov_matches_scipy():
    M = 0.5 * np.eye(5) + 0.1 * np.random.default_rng(1).normal(size=(5, 5))
    P = np.asarray(lyapunov(jnp.asarray(M), jnp.eye(5), discrete=True))
    assert np.allclose(P, scipy.linalg.solve_discrete_lyapunov(M, np.eye(5)), atol=1e-5)


def test_hopf_complex_form_equals_real_form():
    """Cov(x) from the complex N x N solve equals the real 2N solve's x block."""
    rng = np.random.default_rng(2)
    C = rng.uniform(size=(5, 5))
    C = C + C.T
    np.fill_diagonal(C, 0)
    p = dict(a=-0.2, w=jnp.asarray(rng.uniform(0.1, 0.5, 5)), k=0.1,
             connectivity=jnp.asarray(C), noise_sigma=0.3)
    K, Q, scale = hopf_system(p, 5)
    cov = np.asarray(stationary_moments(K, Q, (), scale)["cov"])
    K = np.asarray(K)
    J = np.block([[K.real, -K.imag], [K.imag, K.real]])
    ref = scipy.linalg.solve_continuous_lyapunov(J, -0.09 * np.eye(10))[:5, :5]
    assert np.allclose(cov, ref, rtol=1e-4, atol=1e-6)


def test_unstable_fixed_point_gives_nan_and_a_clear_error():
    A = np.diag([-1.0, 0.3])
    assert np.all(np.isnan(np.asarray(lyapunov(jnp.asarray(A), jnp.eye(2)))))
    with pytest.raises(ValueError, match=r"eigenvalue 1 of the Jacobian .* real part \+0.3"):
        check_stable(A)
    check_stable(np.diag([-1.0, -0.3]))


def test_gradient_equals_finite_differences():
    """Through FC and a lagged covariance, in float64 (central differences); reverse
    mode, forward mode and vmapped."""
    rng = np.random.default_rng(3)
    C = rng.uniform(size=(5, 5))
    C = C + C.T
    np.fill_diagonal(C, 0)
    T = rng.normal(size=(2, 5, 5))
    with jax.enable_x64(True):
        Cj, Tj = jnp.asarray(C), jnp.asarray(T)

        def loss(theta):
            k, a = theta
            K, Q, s = hopf_system(dict(a=a, w=jnp.linspace(0.1, 0.5, 5), k=k, connectivity=Cj,
                                       noise_sigma=0.3), 5)
            m = stationary_moments(K, Q, (2.0,), s)
            return jnp.sum(m["fc"] * Tj[0]) + jnp.sum(m["lagged"][0] * Tj[1])

        theta = jnp.asarray([0.1, -0.2])
        g = np.asarray(jax.grad(loss)(theta))
        h = 1e-6
        fd = [(loss(theta + h * e) - loss(theta - h * e)) / (2 * h) for e in jnp.eye(2)]
        assert np.allclose(g, np.asarray(fd), rtol=1e-6)
        assert np.allclose(np.asarray(jax.jacfwd(loss)(theta)), g, rtol=1e-10)  # forward mode
        # vmapped over candidates: the same gradients
        gv = jax.vmap(jax.grad(loss))(jnp.stack([theta, theta + 0.01]))
        assert np.allclose(np.asarray(gv[0]), g, rtol=1e-10)


def _small_hopf(noise=0.01, dt=0.1):
    rng = np.random.default_rng(0)
    C = rng.uniform(size=(4, 4))
    C = (C + C.T) / 2
    np.fill_diagonal(C, 0)
    return HopfRegressor(a=-0.3, w=0.2, k=0.2, connectivity=C, noise_sigma=noise, dt=dt,
                         sample_dt=1.0)


def test_analytic_fc_is_the_mean_of_simulations():
    """The linearised step's FC is what the mean over simulations converges to: the
    error shrinks with 4x more simulations, and 64 are within 0.01 (0.0056
    measured). The continuous closed form differs from it by the O(dt) of the
    integration (0.007 at dt = 0.1)."""
    est = _small_hopf()
    plan = make_plan(model_of(est), "target", 3000, 4, fitting=False)
    exact = np.asarray(discrete_moments(plan.config.sim, plan.fixed)["fc"])
    closed = np.asarray(model_moments(plan.config.sim, plan.fixed)["fc"])
    runs = est.simulate(64, X=np.zeros((1, 3000, 4)), random_state=0)
    fcs = np.asarray(functional_connectivity(runs))
    err16 = np.mean([np.abs(g.mean(0) - exact).max() for g in fcs.reshape(4, 16, 4, 4)])
    err64 = np.abs(fcs.mean(0) - exact).max()
    assert err64 < err16
    assert err64 < 0.01
    assert np.abs(closed - exact).max() < 0.01
    # the lag-one-sample correlation (fc_lag_corr's second statistic) likewise
    from brainestimators._objective_builders import fc_lag_corr

    lag = fc_lag_corr()
    moments = model_moments(plan.config.sim, plan.fixed, (1.0,))  # sample_dt = 1 ms
    analytic = np.asarray(lag.from_moments(moments)[1])
    simulated = np.mean([np.asarray(lag.prepare(r)[1]) for r in runs], axis=0)
    assert np.abs(analytic - simulated).max() < 0.02


# -- the estimator: fc_from='moments', n_draws, moments() --------------------
def _cohort():
    from brainestimators.datasets import make_hopf_cohort

    return make_hopf_cohort(n_subjects=3, n_time=200, random_state=0)


def test_fc_from_moments_scores_the_analytic_fc():
    """score is the FC correlation of moments()['fc'] with the data's FC, and needs no
    noise key (the same for any random_state)."""
    from _data import whole_brain_hopf

    from brainestimators._metrics import matrix_correlation

    d = _cohort()
    est = whole_brain_hopf(d, fc_from="moments", max_iter=3).fit(d.bold[:2])
    fc = est.moments()["fc"]
    data_fc = np.asarray(functional_connectivity(d.bold[2]))
    assert np.isclose(est.score(d.bold[2:]), float(matrix_correlation(fc, data_fc)), atol=1e-5)
    again = whole_brain_hopf(d, fc_from="moments", max_iter=3, random_state=7).fit(d.bold[:2])
    assert np.isclose(again.best_loss_, est.best_loss_, atol=1e-6)


def test_fc_from_moments_refuses_what_it_cannot_model():
    C = np.ones((3, 3)) - np.eye(3)
    X = np.zeros((2, 50, 3))
    base = dict(a=-0.2, w=0.3, k=0.1, connectivity=C, noise_sigma=0.1, fc_from="moments",
                objective="fc_corr")
    with pytest.raises(ValueError, match="needs simulated recordings"):
        HopfRegressor(**{**base, "objective": "fcd_ks"}).fit(X)
    with pytest.raises(ValueError, match="needs noise"):
        HopfRegressor(**{**base, "noise_sigma": 0.0}).fit(X)
    with pytest.raises(ValueError, match="fit\\(X\\)"):
        HopfRegressor(**base).fit(np.zeros((4, 3)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="eigenvalue 1 of the Jacobian"):
        HopfRegressor(**{**base, "a": 0.2}).moments()


def test_n_draws_compares_the_mean_fc_of_the_draws():
    """n_draws=4: the loss is 1 - corr(mean FC of the 4 draws, data FC)."""
    from _data import whole_brain_hopf

    d = _cohort()
    est = whole_brain_hopf(d, n_draws=4, max_iter=1).fit(d.bold[:2])
    plan, theta, _, _ = fitted_setup(est, d.bold[2:])
    keys = jax.random.split(jax.random.key(est.noise_seed_), 4)
    draws = jax.vmap(lambda k: plan.evaluator.predict(theta, plan.fixed, None, k))(keys)
    mean_fc = np.asarray(functional_connectivity(draws)).mean(axis=0)
    from brainestimators._metrics import matrix_correlation

    expected = float(matrix_correlation(mean_fc, functional_connectivity(d.bold[2])))
    assert np.isclose(est.score(d.bold[2:]), expected, atol=1e-4)


def test_scorers_of_the_fitted_objective_score_the_expected_statistic():
    """get_scorer(est.objective) scores as est.score (the draws' mean FC, or the analytic
    FC); another objective's scorer scores predict's one draw."""
    from _data import whole_brain_hopf
    from sklearn.model_selection import cross_val_score

    from brainestimators import get_scorer

    d = _cohort()
    for kw in ({"n_draws": 4}, {"fc_from": "moments"}):
        est = whole_brain_hopf(d, max_iter=1, **kw).fit(d.bold[:2])
        assert est.objective == "fc_corr"
        assert np.isclose(get_scorer("fc_corr")(est, d.bold[2:]), est.score(d.bold[2:]))
        cv = cross_val_score(whole_brain_hopf(d, max_iter=1, **kw), d.bold, cv=3,
                             scoring=get_scorer("fc_corr"))
        assert np.allclose(cv, cross_val_score(whole_brain_hopf(d, max_iter=1, **kw), d.bold,
                                               cv=3))
    from brainestimators._objectives import OBJECTIVES

    rmse = OBJECTIVES["fc_rmse"]
    pred = est.predict(d.bold[2:])  # one draw
    one_draw = float(rmse.score(rmse.loss(jnp.asarray(pred[0]), jnp.asarray(d.bold[2]))))
    assert np.isclose(get_scorer("fc_rmse")(est, d.bold[2:]), one_draw, atol=1e-5)


# -- effective connectivity ------------------------------------------------------
def _ec_problem(n=5, seed=0):
    """A 5-region truth whose EC differs from the 'SC' the model is given."""
    rng = np.random.default_rng(seed)
    sc = rng.uniform(0.2, 1.0, (n, n))
    sc = np.triu(sc, 1) * (rng.uniform(size=(n, n)) < 0.8)
    sc = sc + sc.T
    truth_ec = sc * rng.uniform(0.2, 2.0, (n, n))
    truth_ec = np.triu(truth_ec, 1) + np.triu(truth_ec, 1).T
    truth = HopfRegressor(a=-0.3, w=0.2, k=0.3, connectivity=truth_ec, noise_sigma=0.05, dt=0.2,
                          sample_dt=2.0)
    X = truth.simulate(3, n_time=1500, random_state=0)
    base = dict(a=-0.3, w=0.2, k=0.3, connectivity=sc, noise_sigma=0.05, dt=0.2, sample_dt=2.0,
                fc_from="moments", objective="fc_corr", bounds={"connectivity": (0.0, 3.0)},
                optimizer={"name": "adam", "learning_rate": 0.1}, max_iter=60, random_state=0)
    return sc, truth_ec, X, base


def test_effective_connectivity_fit():
    sc, truth_ec, X, base = _ec_problem()
    est = HopfRegressor(**base).fit(X[:2])
    n_pairs = int(np.count_nonzero(np.triu(sc, 1)))
    assert len(est.best_params_["connectivity"]) == n_pairs
    ec = est.effective_connectivity_
    assert np.allclose(ec, ec.T) and np.all(ec >= 0) and np.all(ec[sc == 0] == 0)
    fixed_sc = HopfRegressor(**{**base, "bounds": {"a": (-0.5, -0.1)}}).fit(X[:2])
    assert est.score(X[2:]) > fixed_sc.score(X[2:])
    directed = HopfRegressor(**{**base, "max_iter": 2}, ec_symmetric=False).fit(X[:2])
    assert len(directed.best_params_["connectivity"]) == np.count_nonzero(sc)


def test_effective_connectivity_regulariser_and_sklearn_surface():
    import pickle

    from sklearn.base import clone
    from sklearn.model_selection import cross_val_score

    sc, _, X, base = _ec_problem()
    free = HopfRegressor(**base).fit(X[:2])
    held = HopfRegressor(**base, ec_alpha=100.0).fit(X[:2])
    dist = [np.abs(e.effective_connectivity_ - sc).mean() for e in (free, held)]
    assert dist[1] < dist[0]
    # the penalty is part of the fit's loss, not of the score
    assert held.score(X[:2]) > 1 - held.best_loss_ + 1e-4
    scores = cross_val_score(HopfRegressor(**{**base, "max_iter": 3}), X, cv=3)
    assert np.all(np.isfinite(scores))
    again = pickle.loads(pickle.dumps(clone(free).fit(X[:2])))
    assert np.allclose(again.effective_connectivity_, free.effective_connectivity_)
    with pytest.raises(ValueError, match="cannot be had for fitted connectome weights"):
        HopfRegressor(**base, uncertainty="sandwich").fit(X[:2])


def test_fc_from_moments_fits_a_family_without_a_closed_form():
    """Wilson-Cowan: the simulator's step linearised at its fixed point, inside a fit."""
    from brainestimators import WilsonCowanRegressor

    C = np.ones((3, 3)) - np.eye(3)
    X = np.random.default_rng(0).normal(size=(2, 60, 3))
    est = WilsonCowanRegressor(connectivity=C, k=0.5, noise_sigma=0.01, fc_from="moments",
                               objective="fc_corr", bounds={"k": (0.0, 2.0)}, max_iter=2,
                               sample_dt=2.0).fit(X)
    assert np.isfinite(est.best_loss_) and np.isfinite(est.score(X))
    fc = est.moments()["fc"]
    assert np.allclose(np.diag(fc), 1.0, atol=1e-5) and np.allclose(fc, fc.T, atol=1e-6)


def test_effective_connectivity_folds_fitted_together_equal_single_fits():
    from sklearn.model_selection import KFold

    from brainestimators import fit_folds

    _, _, X, base = _ec_problem()
    X = np.concatenate([X, X[:1]])
    fits, splits = fit_folds(HopfRegressor(**base), X, KFold(2))
    for f, (train, _) in zip(fits, splits):
        single = HopfRegressor(**base).fit(X[train])
        assert np.allclose(f.effective_connectivity_, single.effective_connectivity_, atol=1e-5)
