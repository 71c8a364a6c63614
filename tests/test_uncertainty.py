"""How much to trust a fit: convergence, uncertainty, identifiability, profiles, restarts."""

import importlib.util
import pickle

import braintools
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.base import clone

import brainestimators as be
from brainestimators.datasets import make_hopf_cohort, make_recordings, peak_frequencies

HAS_EVOSAX = importlib.util.find_spec("evosax") is not None
HOPF = dict(w=0.3, initial_state={"x": 0.5}, dt=0.5)


@pytest.fixture(scope="module")
def noisy_recording():
    """A 1-region Hopf recording plus measurement noise (the loss has a floor)."""
    X = make_recordings(be.HopfRegressor(a=0.9, **HOPF), 1, 60, 1)
    return X + 0.05 * np.random.default_rng(0).normal(size=X.shape)


# (optimizer, max_iter, tol, n_iter_no_change) reaching each backend's own
# convergence test, and an optimizer that cannot converge in one iteration
CONVERGING = {
    "grad": (be.Optax("adam", 0.3), 200, 1e-4, 5),  # loss plateau
    "nevergrad": (be.Nevergrad("DE", 6), 100, 0.01, None),  # population spread
    "scipy": (be.Scipy("L-BFGS-B"), 1, 1e-6, None),  # result.success
    "evosax": (be.Evosax("CMA_ES", popsize=8), 100, 0.01, None),  # population spread
}
ONE_STEP = {"grad": be.Optax("adam", 0.3), "nevergrad": be.Nevergrad("DE", 6),
            "scipy": be.Scipy("L-BFGS-B", options={"maxiter": 1}),
            "evosax": be.Evosax("CMA_ES", popsize=8)}


def _backends():
    return [pytest.param(b, marks=pytest.mark.skipif(
        b == "evosax" and not HAS_EVOSAX, reason="needs the evosax extra")) for b in be.BACKENDS]


def test_every_backend_has_a_convergence_test_here():
    assert set(CONVERGING) == set(ONE_STEP) == set(be.BACKENDS)


@pytest.mark.parametrize("backend", _backends())
def test_converged_is_the_backends_own_verdict(noisy_recording, backend):
    optimizer, max_iter, tol, patience = CONVERGING[backend]
    est = be.HopfRegressor(**HOPF, bounds={"a": (0.1, 8.0)}, init={"a": 1.0}, backend=backend,
                           optimizer=optimizer, max_iter=max_iter, tol=tol,
                           n_iter_no_change=patience, random_state=0).fit(noisy_recording)
    assert est.converged_ is True, (est.stop_reason_, est.n_iter_)
    assert est.n_iter_ < max_iter or backend == "scipy"
    assert est.best_params_["a"] == pytest.approx(0.9, rel=0.05)
    one = clone(est).set_params(optimizer=ONE_STEP[backend], max_iter=1, tol=1e-6,
                                n_iter_no_change=None).fit(noisy_recording)
    assert one.converged_ is False and one.n_iter_ == 1
    assert one.stop_reason_ == "max_iter"


# -- the sandwich against an independent reference ---------------------------

LINEAR = dict(initial_state={"x": 1.0}, dt=0.1, sample_dt=0.5)


@pytest.fixture(scope="module")
def linear_fit():
    """A decaying linear model, 25 rows with measurement noise, fitted with mse."""
    clean = make_recordings(be.LinearRegressor(gamma=-0.5, **LINEAR), 1, 40)[0]
    X = clean[None] + 0.05 * np.random.default_rng(0).normal(size=(25,) + clean.shape)
    est = be.LinearRegressor(**LINEAR, bounds={"gamma": (-2.0, -0.1)}, objective="mse",
                             optimizer=be.Optax("adam", 0.1), max_iter=200,
                             uncertainty="sandwich", random_state=0).fit(X)
    return X, est


def test_sandwich_equals_least_squares_formula(linear_fit):
    """Deterministic model, noisy rows, mse: the sandwich's standard error is the
    least-squares one, sqrt(var(d . X_r) / n) / (d . d), with d = dx/dgamma taken
    by finite differences of the simulation."""
    X, est = linear_fit
    kw = LINEAR
    g, h = est.best_params_["gamma"], 1e-3
    d = (make_recordings(be.LinearRegressor(gamma=g + h, **kw), 1, 40)[0, :, 0]
         - make_recordings(be.LinearRegressor(gamma=g - h, **kw), 1, 40)[0, :, 0]) / (2 * h)
    reference = np.sqrt(np.var(X[:, :, 0] @ d, ddof=1) / len(X)) / (d @ d)
    assert est.param_std_["gamma"] == pytest.approx(reference, rel=0.03)
    assert est.param_cov_.shape == (1, 1)
    assert est.param_cov_[0, 0] == pytest.approx(est.param_std_["gamma"] ** 2)
    low, high = est.conf_int(0.05)["gamma"]
    assert high - low == pytest.approx(2 * 1.959964 * est.param_std_["gamma"], rel=1e-6)
    assert low < -0.5 < high
    assert not est.identifiability_["flagged"]
    again = pickle.loads(pickle.dumps(est))  # plain values only
    assert again.conf_int() == est.conf_int()


# -- both methods, per-region parameters, bounds -----------------------------

def log_psd_mse(prediction, target):
    """Squared difference of log Welch spectra: smooth, and its noise does not depend
    on the parameters (a correlation prefers sharper simulated spectra)."""
    _, p = braintools.metric.power_spectral_density(prediction, 1.0, nperseg=64)
    _, q = braintools.metric.power_spectral_density(target, 1.0, nperseg=64)
    return jnp.mean((jnp.log(p[1:]) - jnp.log(q[1:])) ** 2)


@pytest.fixture(scope="module")
def two_regions():
    """Two uncoupled noisy Hopf regions with their own damping."""
    common = dict(w=0.1, noise_sigma=0.05, dt=1.0, sample_dt=5.0, transient=100.0)
    X = make_recordings(be.HopfRegressor(a=np.array([-0.04, -0.08]), **common), 4, 1000,
                        2, random_state=0)
    est = be.HopfRegressor(**common, bounds={"a": (-0.3, -0.005)}, per_region="a",
                           objective=log_psd_mse, optimizer=be.Optax("adam", 0.1),
                           max_iter=40, n_iter_no_change=5, tol=1e-5, random_state=0)
    return X, est


@pytest.mark.parametrize("method", ["sandwich", "bootstrap"])
def test_per_region_covariance_and_intervals(two_regions, method):
    X, est = two_regions
    est = clone(est).set_params(uncertainty=method, n_replicates=4).fit(X)
    assert est.param_names() == ["a[0]", "a[1]"]
    assert est.param_cov_.shape == (2, 2)
    np.testing.assert_allclose(est.param_cov_, est.param_cov_.T)
    std = est.param_std_["a"]
    assert isinstance(std, list) and len(std) == 2 and all(s > 0 for s in std)
    np.testing.assert_allclose(std, np.sqrt(np.diag(est.param_cov_)))
    low, high = est.conf_int(0.1)["a"]
    assert len(low) == len(high) == 2
    for lo_, best, hi_ in zip(low, est.best_params_["a"], high):
        assert lo_ < best < hi_
    wide_low, wide_high = est.conf_int(0.01)["a"]
    assert all(w < n for w, n in zip(wide_low, low)) and all(
        w > n for w, n in zip(wide_high, high))
    if method == "bootstrap":  # each cohort its own noise: distinct refits
        assert est.bootstrap_params_.shape == (4, 2)
        assert len(np.unique(est.bootstrap_params_[:, 0])) == 4


def test_interval_reaching_a_bound_says_so(two_regions):
    X, est = two_regions
    est = clone(est).set_params(bounds={"a": (-0.3, -0.06)}, uncertainty="sandwich").fit(X)
    with pytest.warns(UserWarning, match=r"intervals of \['a\[0\]'.*clipped"):
        low, high = est.conf_int()["a"]
    assert high[0] == -0.06  # clipped at the box, not beyond


def test_uncertainty_errors_and_stale_attributes(two_regions):
    X, est = two_regions
    with pytest.raises(ValueError, match="uncertainty=None"):
        clone(est).set_params(max_iter=2).fit(X).conf_int()
    fitted = clone(est).set_params(max_iter=2, uncertainty="sandwich").fit(X)
    with pytest.raises(ValueError, match="alpha"):
        fitted.conf_int(1.5)
    fitted.set_params(uncertainty=None).fit(X)
    assert not hasattr(fitted, "param_cov_") and not hasattr(fitted, "identifiability_")
    readout = be.HopfRegressor(bounds={"a": (0.1, 2.0)}, uncertainty="sandwich", max_iter=1)
    with pytest.raises(ValueError, match="loss per row"):
        readout.fit(np.ones((3, 1)), np.ones(3))
    with pytest.raises(ValueError, match="uncertainty"):
        clone(est).set_params(uncertainty="laplace").fit(X)


def test_bootstrap_of_a_noise_free_model_warns_and_is_nan():
    X = make_recordings(be.HopfRegressor(a=0.9, **HOPF), 2, 60, 1)
    est = be.HopfRegressor(**HOPF, bounds={"a": (0.1, 8.0)}, max_iter=3,
                           uncertainty="bootstrap", random_state=0)
    with pytest.warns(RuntimeWarning, match="no noise"):
        est.fit(X)
    assert np.all(np.isnan(est.param_cov_))


# -- identifiability ---------------------------------------------------------

def test_identified_case_is_not_flagged(two_regions):
    X, est = two_regions
    ident = clone(est).set_params(uncertainty="sandwich").fit(X).identifiability_
    assert not ident["flagged"], ident
    assert ident["condition_number"] < 100 and set(ident["sloppiest"]) == {"a[0]", "a[1]"}
    assert np.isclose(np.linalg.norm(list(ident["sloppiest"].values())), 1.0)


def test_coupling_bifurcation_ridge_of_the_synthetic_cohort_is_flagged():
    data = make_hopf_cohort(n_subjects=4, n_regions=6, n_time=200, random_state=0)
    X = data.bold - data.bold.mean(axis=1, keepdims=True)
    est = be.HopfRegressor(
        w=2 * np.pi * peak_frequencies(X, data.tr) / 1000.0, noise_sigma=6e-4,
        connectivity=data.sc, dt=data.tr / 10, sample_dt=data.tr, transient=50 * data.tr,
        bounds={"k": (0.0, 8e-3), "a": (-1e-4, 5e-5)}, objective="fc_corr",
        optimizer=be.Optax("adam", 0.2), max_iter=20, uncertainty="sandwich",
        n_replicates=8, random_state=0).fit(X)
    ident = est.identifiability_
    assert ident["flagged"] and ident["condition_number"] > 100, ident


def test_flat_jansen_rit_gain_is_flagged():
    """The issue's case: psd_corr ignores the amplitude that Ae sets (the gallery
    example ``plot_identifiability.py`` identifies Ae with an amplitude term)."""
    common = dict(noise_sigma=0.5, dt=0.1, sample_dt=2, transient=500)
    X = make_recordings(be.JansenRitRegressor(Ae=3.25, **common), 4, 2000, random_state=0)
    est = be.JansenRitRegressor(
        **common, bounds={"Ae": (2.0, 5.0)}, objective="psd_corr",
        optimizer=be.Optax("adam", 0.1), max_iter=60, n_iter_no_change=10, tol=1e-5,
        uncertainty="sandwich", n_replicates=16, random_state=0).fit(X)
    flat = est.identifiability_
    assert flat["flagged"] and flat["signal_to_noise"] < 10, flat
    assert flat["condition_number"] == 1.0  # one parameter: only flatness can flag it


# -- profiles ------------------------------------------------------------------

def test_profile_rows_equal_fits_with_the_parameter_fixed():
    X = make_recordings(be.HopfRegressor(a=0.9, **HOPF), 1, 60, 1)
    est = be.HopfRegressor(**HOPF, bounds={"a": (0.1, 4.0), "w": (0.1, 0.6)},
                           optimizer=be.Optax("adam", 0.1), max_iter=15, random_state=0)
    values = [0.5, 0.9, 2.0]
    prof = be.profile_loss(est, X, "a", values)
    np.testing.assert_array_equal(prof.grid, values)
    assert prof.best == 0.9 and np.argmin(prof.loss) == 1
    for v, loss, params in zip(values, prof.loss, prof.params):
        alone = be.HopfRegressor(a=v, **HOPF, bounds={"w": (0.1, 0.6)},
                                 optimizer=be.Optax("adam", 0.1), max_iter=15,
                                 random_state=0).fit(X)
        assert set(params) == {"w"}
        assert params["w"] == pytest.approx(alone.best_params_["w"], rel=1e-4)
        assert loss == pytest.approx(alone.best_loss_, rel=1e-4)
    with pytest.raises(ValueError, match="'nope' is not one"):
        be.profile_loss(est, X, "nope", values)


def test_profile_of_the_only_parameter_is_the_fits_own_loss(linear_fit):
    X, est = linear_fit
    best = est.best_params_["gamma"]
    prof = be.profile_loss(est, X, "gamma", [best - 0.1, best, best + 0.1])
    assert prof.params == [{}, {}, {}] and prof.best == best
    assert prof.loss[1] == pytest.approx(est.best_loss_, rel=1e-5)  # the fit's noise key


def test_plot_profile_draws_estimate_interval_and_truth(linear_fit):
    import matplotlib

    matplotlib.use("Agg")
    from sklearn.utils import Bunch

    from brainestimators.plotting import plot_profile

    _, est = linear_fit
    prof = Bunch(name="gamma", grid=np.array([-0.6, -0.5, -0.4]), loss=np.array([3.0, 1.0, 2.0]))
    ax = plot_profile(prof, estimator=est, truth=-0.5)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("95% interval" in t for t in labels) and any("truth" in t for t in labels)
    np.testing.assert_allclose(ax.lines[0].get_xdata(), prof.grid)


# -- restarts ------------------------------------------------------------------

def test_restarts_escape_a_local_minimum():
    """Hopf frequency from a trajectory: the start w = 1.2 lies in a local minimum."""
    X = make_recordings(be.HopfRegressor(a=0.9, **HOPF), 1, 120, 1)
    kw = dict(a=0.9, initial_state={"x": 0.5}, dt=0.5, bounds={"w": (0.05, 1.5)},
              init={"w": 1.2}, backend="nevergrad", optimizer=be.Nevergrad("DE", 4),
              max_iter=5, random_state=0)
    one = be.HopfRegressor(**kw).fit(X)
    many = be.HopfRegressor(**kw, n_restarts=4).fit(X)
    assert one.restart_losses_.shape == (1,) and one.restart_spread_ == {"w": 0.0}
    assert many.restart_losses_.shape == (4,)
    assert many.restart_losses_[0] == pytest.approx(one.best_loss_, rel=1e-6)  # row 0: the fit
    assert many.best_loss_ == pytest.approx(many.restart_losses_.min())
    assert many.best_loss_ < 0.5 * one.best_loss_
    assert many.best_params_["w"] == pytest.approx(0.3, rel=0.05)
    assert one.best_params_["w"] > 0.5  # stuck
    assert many.restart_spread_["w"] > 0.1  # the restarts ended apart
