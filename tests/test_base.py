"""Data contract, determinism, persistence and the fitting controls."""

import pickle
import subprocess
import sys

import joblib
import numpy as np
import pytest

import brainestimators as be

from _data import fc_corr_numpy, hopf_recordings

NOISY = dict(w=0.3, initial_state={"x": 0.5}, noise_sigma=0.02, bounds={"a": (0.2, 1.5)},
             objective="fc_corr")
BACKENDS = [("grad", None), ("nevergrad", "DE"), ("scipy", "Nelder-Mead"),
            ("scipy", "differential_evolution")]


@pytest.fixture(scope="module")
def X():
    return hopf_recordings(a=0.8, n_samples=3, n_time=80, n_regions=3, noise=0.02)


@pytest.mark.parametrize("backend,optimizer", BACKENDS)
def test_same_random_state_gives_identical_fits(X, backend, optimizer):
    kw = dict(NOISY, backend=backend, optimizer=optimizer, max_iter=3, random_state=7)
    a, b = be.HopfRegressor(**kw).fit(X), be.HopfRegressor(**kw).fit(X)
    assert a.best_params_ == b.best_params_ and a.history_ == b.history_
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


def test_other_random_state_draws_other_noise(X):
    a = be.HopfRegressor(**NOISY, max_iter=1, random_state=1).fit(X)
    b = be.HopfRegressor(**NOISY, max_iter=1, random_state=2).fit(X)
    assert not np.array_equal(a.predict(X), b.predict(X))


def test_pickle_and_joblib_round_trips_predict_identically(X, tmp_path):
    est = be.HopfRegressor(**NOISY, max_iter=2, random_state=0).fit(X)
    ref = est.predict(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).predict(X), ref)
    joblib.dump(est, tmp_path / "est.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "est.joblib").predict(X), ref)
    # ... and in a fresh process
    np.save(tmp_path / "X.npy", X)
    code = (
        "import joblib, numpy as np; est = joblib.load(r'{0}/est.joblib'); "
        "np.save(r'{0}/pred.npy', est.predict(np.load(r'{0}/X.npy')))"
    ).format(tmp_path)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
    np.testing.assert_array_equal(np.load(tmp_path / "pred.npy"), ref)


def test_fitted_attributes_are_plain_python(X):
    est = be.HopfRegressor(**NOISY, max_iter=2, random_state=0).fit(X)
    assert isinstance(est.best_params_["a"], float) and isinstance(est.best_loss_, float)
    assert all(isinstance(v, float) for v in est.history_) and isinstance(est.n_iter_, int)
    assert est.n_features_in_ == X.shape[1] and est.n_regions_ == 3


def test_fit_x_is_the_target_and_predict_matches_its_shape(X):
    est = be.HopfRegressor(**NOISY, max_iter=2, random_state=0).fit(X)
    assert est.fit_mode_ == "target"
    assert est.predict(X).shape == X.shape and est.predict(X).dtype == np.float64
    # one region: (n_samples, n_time)
    est1 = be.HopfRegressor(**{**NOISY, "objective": "std_rmse"}, max_iter=2,
                           random_state=0).fit(X[:, :, 0])
    assert est1.predict(X[:, :, 0]).shape == X[:, :, 0].shape


def test_score_is_the_objective_with_greater_is_better(X):
    good = be.HopfRegressor(**NOISY, a=0.8, max_iter=1, random_state=0,
                            init={"a": 0.8}).fit(X)
    # the fc_corr score is the FC correlation itself, row by row. The tolerance
    # is a float32 fact, not a jax release's: score() simulates again in its
    # own compiled float32 program (80 steps, then FC from 80-term sums), so
    # samples agree to a few hundred eps (1.2e-7) relative, and here the FC
    # entries are all ~0.998, 1e-3 apart, so their correlation amplifies that:
    # measured, 100 eps relative on every sample moves this score by 8e-5
    # (jax 0.10: off by 8e-5; jax 0.12: 1.7e-4). 1e-3 is ~1000 eps' worth.
    assert good.score(X) == pytest.approx(fc_corr_numpy(good.predict(X), X), abs=1e-3)
    rmse = be.HopfRegressor(w=0.3, initial_state={"x": 0.5}, bounds={"a": (0.2, 1.5)},
                            max_iter=1)
    clean = hopf_recordings(a=0.8, n_samples=1, n_time=80, n_regions=1)
    right = rmse.set_params(init={"a": 0.8}).fit(clean).score(clean)
    wrong = rmse.set_params(init={"a": 1.4}, max_iter=1).fit(clean).score(clean)
    assert right > wrong and right <= 0  # -RMSE


def test_driven_readout_and_trajectory_targets():
    rng = np.random.default_rng(0)
    drive = rng.uniform(-0.5, 0.5, size=(6, 2))
    truth = be.LinearRegressor(gamma=-2.0, bounds={"gamma": (-5.0, -0.5)}, duration=20.0)
    y = truth.set_params(init={"gamma": -2.0}, max_iter=1).fit(drive, np.zeros(6)).predict(drive)
    est = be.LinearRegressor(bounds={"gamma": (-5.0, -0.5)}, duration=20.0, backend="scipy",
                             optimizer="L-BFGS-B", max_iter=1).fit(drive, y)
    assert est.fit_mode_ == "readout" and est.predict(drive).shape == (6,)
    assert est.best_params_["gamma"] == pytest.approx(-2.0, rel=0.02)
    # per-region readouts
    Y2 = truth.fit(drive, np.zeros((6, 2))).predict(drive)
    assert Y2.shape == (6, 2)
    # time-varying drive -> trajectory target
    series = rng.uniform(-0.5, 0.5, size=(4, 30, 2))
    traj = be.LinearRegressor(bounds={"gamma": (-5.0, -0.5)}, sample_dt=0.5, max_iter=2)
    traj.fit(series, np.zeros((4, 30, 2)))
    assert traj.fit_mode_ == "trajectory" and traj.predict(series).shape == (4, 30, 2)


def test_simulate_draws_independent_recordings(X):
    est = be.HopfRegressor(**NOISY, max_iter=1, random_state=0).fit(X)
    draws = est.simulate(4, random_state=0)
    assert draws.shape == (4,) + X.shape[1:]
    assert not np.allclose(draws[0], draws[1])
    np.testing.assert_array_equal(draws, est.simulate(4, random_state=0))


def test_warm_start_continues_from_the_last_fit(X):
    est = be.HopfRegressor(**NOISY, max_iter=3, random_state=0, warm_start=True).fit(X)
    first_params, first_loss = dict(est.best_params_), est.best_loss_
    est.set_params(max_iter=1).fit(X)
    # the second fit's first evaluation is the first fit's best point
    assert est.history_[0] == pytest.approx(first_loss, rel=1e-5)
    assert est.best_loss_ <= first_loss + 1e-6
    cold = be.HopfRegressor(**NOISY, max_iter=1, random_state=0).fit(X)  # starts at a = 0.25
    assert first_params["a"] != pytest.approx(0.25) and cold.history_[0] != pytest.approx(
        first_loss, rel=1e-5)


def test_callback_stops_and_keeps_the_best(X):
    seen = []

    def stop_after_two(state):
        seen.append(state.best_loss)
        return state.n_iter >= 2

    est = be.HopfRegressor(**NOISY, max_iter=50, callback=stop_after_two, random_state=0)
    with pytest.warns(RuntimeWarning, match="stopped early"):
        est.fit(X)
    assert est.n_iter_ == 2 and est.stop_reason_ == "callback"
    assert est.best_loss_ == min(seen)


def test_braintools_and_optax_optimizers_are_accepted(X):
    import braintools
    import optax

    # each runs the same steps as the equivalent Optax(...) settings
    for opt, same in ((braintools.optim.Adam(lr=0.1), be.Optax("adam", 0.1)),
                      (optax.sgd(0.05), be.Optax("sgd", 0.05)),
                      ("adam", be.Optax("adam", 0.05))):
        got = be.HopfRegressor(**NOISY, optimizer=opt, max_iter=3, random_state=0).fit(X)
        ref = be.HopfRegressor(**NOISY, optimizer=same, max_iter=3, random_state=0).fit(X)
        # float32: injected hyperparameters and a plain transform round differently
        assert got.history_ == pytest.approx(ref.history_, rel=1e-4), opt
        assert len(set(got.history_)) == 3  # the steps moved a


def test_optimizer_settings_are_nested_parameters():
    est = be.HopfRegressor(optimizer=be.Optax("adam", learning_rate=0.1))
    assert est.get_params()["optimizer__learning_rate"] == 0.1
    est.set_params(optimizer__learning_rate=0.2)
    assert est.optimizer.learning_rate == 0.2


def test_coupled_network_with_connectivity():
    # A kicked, noise-free 4-region network at k = 0.3, fitted from k = 0.8:
    # gradient steps through the coupling recover k.
    rng = np.random.default_rng(0)
    C = rng.uniform(0, 1, (4, 4))
    np.fill_diagonal(C, 0)
    init = {"x": np.array([0.5, -0.3, 0.8, 0.1]), "y": np.array([0.0, 0.4, -0.2, 0.3])}
    common = dict(a=-0.05, w=0.3, connectivity=C, initial_state=init)
    from brainestimators.datasets import make_recordings

    X = make_recordings(be.HopfRegressor(k=0.3, **common), n_samples=1, n_time=100)
    est = be.HopfRegressor(bounds={"k": (0.0, 1.0)}, init={"k": 0.8},
                           optimizer=be.Optax("adam", 0.2), max_iter=20, random_state=0,
                           **common).fit(X)
    assert est.best_params_["k"] == pytest.approx(0.3, rel=0.02)
    assert est.predict(X).shape == X.shape


def test_fitting_the_noise_level_switches_the_noise_on():
    from brainestimators.datasets import make_recordings

    common = dict(a=-0.05, w=0.3, sample_dt=1.0, transient=100.0)
    X = make_recordings(be.HopfRegressor(noise_sigma=0.1, **common), 2, 400, 2, random_state=1)
    est = be.HopfRegressor(bounds={"noise_sigma": (0.01, 0.3)}, objective="std_rmse",
                           backend="nevergrad", max_iter=8, random_state=0, **common).fit(X)
    assert est.predict(X).std() > 0
    assert est.best_params_["noise_sigma"] == pytest.approx(0.1, rel=0.25)


def test_per_region_parameters():
    from brainestimators.datasets import make_recordings

    a_true = np.array([0.3, 0.6, 0.9])
    X = make_recordings(be.HopfRegressor(a=a_true, w=0.3, initial_state={"x": 0.5}), 1, 150, 3)
    est = be.HopfRegressor(w=0.3, initial_state={"x": 0.5}, bounds={"a": (0.1, 1.2)},
                           per_region=("a",), backend="scipy", optimizer="L-BFGS-B",
                           max_iter=1, random_state=0).fit(X)
    np.testing.assert_allclose(est.best_params_["a"], a_true, rtol=0.02)
    assert est.predict(X).shape == X.shape
    with pytest.raises(ValueError, match="per_region names"):
        be.HopfRegressor(bounds={"a": (0.1, 1.2)}, per_region=("w",)).fit(X)


def test_conduction_delays_from_distance_and_speed():
    from brainestimators.datasets import make_recordings

    rng = np.random.default_rng(0)
    C = rng.uniform(0, 1, (4, 4))
    np.fill_diagonal(C, 0)
    D = np.full((4, 4), 20.0)
    common = dict(w=0.3, a=-0.05, k=0.3, connectivity=C, noise_sigma=0.05, dt=0.5)
    plain = make_recordings(be.HopfRegressor(**common), 1, 200, random_state=0)
    delayed = make_recordings(be.HopfRegressor(distance=D, speed=2.0, **common), 1, 200,
                              random_state=0)
    assert not np.allclose(plain, delayed)
    # only the delay in whole steps counts: the same ratio, a length that rounds
    # to the same 20 steps, and Quantities (m/s = mm/ms) give the same run
    import brainunit as u

    for distance, speed in ((2 * D, 4.0), (D + 0.2, 2.0), (D * u.mm, 2.0 * u.meter / u.second)):
        same = make_recordings(be.HopfRegressor(distance=distance, speed=speed, **common), 1,
                               200, random_state=0)
        np.testing.assert_array_equal(same, delayed)
    # ... and one step more is another run (zero distance: tests/test_physics.py)
    longer = make_recordings(be.HopfRegressor(distance=D + 1.0, speed=2.0, **common), 1, 200,
                             random_state=0)
    assert not np.allclose(longer, delayed)
    with pytest.raises(ValueError, match="speed must be a positive"):
        be.HopfRegressor(distance=D, bounds={"a": (-1, 0)}, **{k: v for k, v in common.items()
                                                                if k != "a"}).fit(plain)
    with pytest.raises(ValueError, match="distance has shape"):
        be.HopfRegressor(distance=D[:2], speed=2.0, bounds={"a": (-1, 0)},
                         **{k: v for k, v in common.items() if k != "a"}).fit(plain)


def test_bold_observation_through_balloon_windkessel():
    from brainestimators.datasets import make_recordings

    rng = np.random.default_rng(0)
    C = rng.uniform(0, 1, (3, 3))
    np.fill_diagonal(C, 0)
    common = dict(k=1.0, connectivity=C, noise_sigma=0.05, dt=0.5, sample_dt=500.0,
                  transient=2000.0)
    bold = make_recordings(be.WilsonCowanRegressor(observation="bold", **common), 1, 20,
                           random_state=0)
    rates = make_recordings(be.WilsonCowanRegressor(**common), 1, 20, random_state=0)
    assert bold.shape == rates.shape and np.all(np.isfinite(bold))
    assert not np.allclose(bold, rates)
    with pytest.raises(ValueError, match="'observation' parameter of WilsonCowanRegressor must be"):
        be.WilsonCowanRegressor(observation="fnirs", **common).fit(bold)


@pytest.mark.parametrize("coupling", ["diffusive", "additive", "sigmoidal", "tanh"])
def test_coupling_functions_and_per_region_noise(coupling):
    from brainestimators.datasets import make_recordings

    rng = np.random.default_rng(0)
    C = rng.uniform(0, 1, (3, 3))
    np.fill_diagonal(C, 0)
    est = be.HopfRegressor(a=-0.05, w=0.3, k=0.3, connectivity=C, coupling=coupling,
                           noise_sigma=np.array([0.0, 0.05, 0.1]))
    X = make_recordings(est, 1, 300, random_state=0)
    assert np.all(np.isfinite(X))
    assert X[0, :, 0].std() < X[0, :, 2].std()  # the noiseless region moves least


def test_single_recording_with_connectivity_hints_at_x_none():
    rng = np.random.default_rng(0)
    C = rng.uniform(0, 1, (4, 4))
    with pytest.raises(ValueError, match=r"X\[None\]"):
        be.HopfRegressor(connectivity=C, bounds={"a": (-1, 0)}).fit(rng.normal(size=(50, 4)))
