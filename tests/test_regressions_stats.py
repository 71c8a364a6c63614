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


# -- r2-11: a kinked (root-mean-square) loss, profile intervals ---------------

_ONE = dict(w=0.2, noise_sigma=0.05, initial_state={"x": 0.5, "y": 0.0}, dt=0.1, sample_dt=1.0,
            transient=100.0)


@pytest.fixture(scope="module")
def std_rmse_data():
    from brainestimators.datasets import make_recordings
    return make_recordings(be.HopfRegressor(a=0.8, **_ONE), n_samples=3, n_time=400,
                           random_state=1)


def test_sandwich_of_a_root_mean_square_loss_uses_its_square(std_rmse_data):
    """One region's std_rmse is V-shaped at its minimum: the sandwich was NaN and
    identifiability said "no curvature" for a parameter the data fix to 1 %."""
    X = std_rmse_data
    est = be.HopfRegressor(bounds={"a": (0.05, 2.0)}, objective="std_rmse", max_iter=60,
                           uncertainty="sandwich", random_state=1, **_ONE).fit(X)
    assert est.identifiability_["criterion"] == "squared loss"
    assert not est.identifiability_["flagged"], est.identifiability_["reason"]
    std = est.param_std_["a"]
    assert 0 < std < 0.05
    low, high = est.conf_int(0.05)["a"]
    plow, phigh = est.conf_int(0.05, method="profile", X=X)["a"]
    assert plow < est.best_params_["a"] < phigh
    assert 0.5 < (phigh - plow) / (high - low) < 2  # the two agree where both hold


def test_profile_interval_of_a_parameter_at_its_bound(std_rmse_data):
    X = std_rmse_data
    est = be.HopfRegressor(bounds={"a": (0.05, 0.7)}, init={"a": 0.699}, objective="std_rmse",
                           max_iter=60,
                           random_state=1, **_ONE).fit(X)
    assert est.best_params_["a"] == pytest.approx(0.7, abs=2e-3)
    with pytest.warns(UserWarning, match=r"profile intervals of \['a'\] reach the bounds"):
        low, high = est.conf_int(0.05, method="profile", X=X)["a"]
    assert 0.6 < low <= est.best_params_["a"] <= high == pytest.approx(0.7, abs=2e-3)
    with pytest.raises(ValueError, match="X=X"):
        est.conf_int(method="profile")


def test_signal_to_noise_is_nan_without_positive_curvature():
    from brainestimators._uncertainty import identifiability
    out = identifiability(np.diag([1.0, -0.3]), np.full((2, 2), np.nan), ["a", "b"], 0.1)
    assert np.isnan(out["signal_to_noise"]) and out["flagged"]
    assert "not positive definite" in out["reason"]


# -- the bootstrap against the sandwich (a planted bug: refits sharing one noise key) --

def test_bootstrap_and_sandwich_agree_on_a_smooth_two_parameter_problem():
    """Both measure the same spread: the rows' and the model noise's. Refits that share
    one noise key lose the second share (the bootstrap's std was then about half)."""
    import braintools
    import jax.numpy as jnp
    from brainestimators.datasets import make_recordings

    def log_psd_mse(prediction, target):
        _, p = braintools.metric.power_spectral_density(prediction, 1.0, nperseg=64)
        _, q = braintools.metric.power_spectral_density(target, 1.0, nperseg=64)
        return jnp.mean((jnp.log(p[1:]) - jnp.log(q[1:])) ** 2)

    common = dict(w=0.1, noise_sigma=0.05, dt=1.0, sample_dt=5.0, transient=100.0)
    X = make_recordings(be.HopfRegressor(a=np.array([-0.04, -0.08]), **common), 4, 600, 2,
                        random_state=0)
    est = be.HopfRegressor(**common, bounds={"a": (-0.3, -0.005)}, per_region="a",
                           objective=log_psd_mse, optimizer=be.Optax("adam", 0.1),
                           max_iter=40, n_iter_no_change=5, tol=1e-5, random_state=0,
                           n_replicates=16)
    sandwich = np.asarray(est.set_params(uncertainty="sandwich").fit(X).param_std_["a"])
    boot = np.asarray(est.set_params(uncertainty="bootstrap").fit(X).param_std_["a"])
    ratio = boot / sandwich
    print("bootstrap / sandwich std:", ratio)
    assert np.all((0.5 < ratio) & (ratio < 2)), ratio


def test_main_job_profile_figure_is_in_the_tables_units():
    """The profile panel was in 1/ms with a 1e-4 offset while the table printed 1/s."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from types import SimpleNamespace

    from sklearn.utils import Bunch

    from brainestimators._main_report import profile_panel as _profile_panel

    prof = Bunch(name="a", grid=np.array([-1e-4, -2.5e-5, 5e-5]), loss=np.array([0.3, 0.1, 0.2]))
    est = SimpleNamespace(best_params_={"a": -2e-5})
    fig, ax = plt.subplots()
    _profile_panel(ax, est, prof, Bunch(params={"a": -3e-5}),
                   {"intervals": {"a": (-6e-5, 1e-5)}})
    fig.canvas.draw()
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [-0.1, -0.025, 0.05])
    assert ax.get_xlabel() == "a (1/s)"
    assert ax.xaxis.get_major_formatter().get_offset() == ""  # no offset, no 1e-4 factor
    lines = [line.get_xdata()[0] for line in ax.lines[1:]]
    np.testing.assert_allclose(lines, [-0.02, -0.03])  # estimate and truth, in 1/s
    plt.close(fig)
