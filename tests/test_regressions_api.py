"""Regression tests of issue 16's API defects (r2-04 to r2-10, r2-12).

Each test fails on the code before its fix; the reproducers are
``../shared/reproducers/r2-NN-*.py``.
"""

import os

import jax
import numpy as np
import pytest

import brainestimators as be


# -- r2-05: the compilation cache prunes only its own files -------------------
def test_cache_prune_leaves_foreign_files_alone(tmp_path):
    from brainestimators._config import prune

    for i in range(3):
        (tmp_path / f"chapter{i}.tex").write_bytes(b"x" * 1000)
    (tmp_path / "notes-cache").write_bytes(b"x" * 1000)  # a user's file, not JAX's name
    entries = [f"jit_f-{i:064x}-{kind}" for i in range(3) for kind in ("cache", "atime")]
    for i, name in enumerate(entries):
        (tmp_path / name).write_bytes(b"x" * 500)
        os.utime(tmp_path / name, (1000 + i, 1000 + i))
    old = (jax.config.jax_compilation_cache_dir,
           jax.config.jax_persistent_cache_min_compile_time_secs)
    try:  # a limit far below the folder's size forces a prune
        assert be.enable_compilation_cache(str(tmp_path), max_size=1000) == str(tmp_path)
    finally:
        jax.config.update("jax_compilation_cache_dir", old[0])
        jax.config.update("jax_persistent_cache_min_compile_time_secs", old[1])
    assert prune(str(tmp_path), 1000) <= 1000
    left = sorted(p.name for p in tmp_path.iterdir())
    assert {"chapter0.tex", "chapter1.tex", "chapter2.tex", "notes-cache"} <= set(left)
    assert {n for n in left if n in entries} == set(entries[4:])  # the newest entry stays whole


def test_cache_entries_without_access_time_get_one_for_jax_eviction(tmp_path):
    # written without filelock (no -atime); JAX's eviction, once filelock is
    # installed, reads the -atime of every -cache file
    from brainestimators._config import add_access_times

    (tmp_path / f"jit_f-{0:064x}-cache").write_bytes(b"x")
    (tmp_path / f"jit_g-{1:064x}-cache").write_bytes(b"x")
    (tmp_path / f"jit_g-{1:064x}-atime").write_bytes(b"12345678")
    (tmp_path / "mine-cache").write_bytes(b"x")
    add_access_times(str(tmp_path))
    assert (tmp_path / f"jit_f-{0:064x}-atime").stat().st_size == 8
    assert (tmp_path / f"jit_g-{1:064x}-atime").read_bytes() == b"12345678"
    assert not (tmp_path / "mine-atime").exists()


# -- r2-07 / r2-08: batched fits (folds, Pareto weightings, map nulls) --------
def _cohort_estimator(**kw):
    from brainestimators.datasets import make_hopf_cohort

    d = make_hopf_cohort(n_subjects=3, n_regions=6, n_time=120, random_state=0)
    est = be.HopfRegressor(w=d.w, noise_sigma=6e-4, connectivity=d.sc, dt=d.tr / 10,
                           sample_dt=d.tr, transient=5 * d.tr,
                           bounds={"k": (0.0, 8e-3), "a": (-1e-4, 5e-5)}, objective="fc_corr",
                           max_iter=1, **kw)
    return d, est


@pytest.mark.parametrize("batch_size", [0, -1, 1.5, True])
def test_batch_size_must_be_a_positive_integer(batch_size):
    from sklearn.model_selection import LeaveOneOut

    d, est = _cohort_estimator()
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        be.fit_folds(est, d.bold, LeaveOneOut(), batch_size=batch_size)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        be.map_null_test(est.set_params(per_region={"a": ["fc_gradient"]}), d.bold, n_null=2,
                         batch_size=batch_size)


def test_main_job_refuses_a_nonpositive_batch_size(capsys):
    from brainestimators._main import main

    with pytest.raises(SystemExit):
        main(["--data", "synthetic", "--batch-size", "0"])
    assert "--batch-size: must be a positive integer" in capsys.readouterr().err


def test_batched_fits_set_the_restart_attributes_and_say_why_no_intervals():
    from sklearn.model_selection import LeaveOneOut

    d, est = _cohort_estimator(uncertainty="sandwich", n_restarts=2)
    fits, _ = be.fit_folds(est, d.bold, LeaveOneOut())
    for f in fits:
        assert f.restart_losses_.shape == (1,) and f.restart_losses_[0] == f.best_loss_
        assert f.restart_spread_ == {"k": 0.0, "a": 0.0}
    with pytest.raises(ValueError, match="fit_folds does not compute") as info:
        fits[0].conf_int()
    assert "uncertainty=None" not in str(info.value)
    assert "uncertainty='sandwich'" in str(info.value)
    null = be.map_null_test(est.set_params(per_region={"a": ["fc_gradient"]}), d.bold, n_null=1,
                            random_state=0)
    for f in (null.estimator, *null.null_estimators):
        assert f.restart_losses_.tolist() == [f.best_loss_]
        assert "a:fc_gradient" in f.restart_spread_
    with pytest.raises(ValueError, match="map_null_test does not compute"):
        null.estimator.conf_int()


# -- r2-10: the cost warning points at the caller; public names -------------
def test_fit_cost_warning_points_at_the_callers_line():
    import warnings

    assert be.FitCostWarning.__module__.startswith("brainestimators")
    assert issubclass(be.FitCostError, MemoryError) and "FitCostWarning" in be.__all__
    X = np.zeros((1, 50, 1))

    def stop(progress):  # estimated hours: warns; the callback then stops at once
        return True

    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        line = _line() + 1
        be.HopfRegressor(w=0.3, bounds={"a": (0.1, 2.0)}, max_iter=10**8, callback=stop).fit(X)
    cost = [w for w in rec if issubclass(w.category, be.FitCostWarning)]
    assert cost and (cost[0].filename, cost[0].lineno) == (__file__, line)


def _line():
    import inspect

    return inspect.currentframe().f_back.f_lineno


# -- r2-12: per-row fits say which rows did not fit ---------------------------
def test_per_row_fits_warn_once_naming_a_flat_row():
    from brainestimators.datasets import make_recordings

    X = make_recordings(be.HopfRegressor(a=1.0, w=0.3, initial_state={"x": 0.5}), 3, 100, 2,
                        random_state=0)
    X[1] *= 1e30  # no parameter moves this row's loss
    est = be.HopfRegressor(bounds={"a": (0, 2)}, initial_state={"x": 0.5}, max_iter=3)
    with pytest.warns(RuntimeWarning, match=r"for rows \[1\]") as rec:
        fits = est.fit_rows(X)
    assert len([w for w in rec if "rows [1]" in str(w.message)]) == 1
    assert fits.flat.tolist() == [False, True, False]
    assert not fits.converged[1] and len(fits.stop_reason) == 3
    with pytest.warns(RuntimeWarning, match=r"for rows \[1\]"):
        be.GenerativeEmbedding(est).fit_transform(X)


# -- r2-06: fitted map coefficients follow their maps by name -----------------
def test_reordering_map_names_after_fit_keeps_each_coefficient_on_its_map():
    from brainestimators.datasets import make_hopf_cohort

    d = make_hopf_cohort(n_subjects=2, n_regions=5, n_time=80, random_state=0)
    e = be.HopfRegressor(
        w=d.w, noise_sigma=6e-4, connectivity=d.sc, dt=d.tr / 10, sample_dt=d.tr,
        transient=2 * d.tr, bounds={"k": (0, 8e-3), "a": (-1e-4, 5e-5),
                                    "a:fc_strength": (-1e-4, 1e-4),
                                    "a:fc_gradient": (-1e-4, 1e-4)},
        init={"a": -2e-5, "a:fc_strength": 9e-5, "a:fc_gradient": -9e-5},
        per_region={"a": ["fc_strength", "fc_gradient"]}, objective="fc_corr", max_iter=1,
        optimizer=be.Optax("adam", 1e-6), random_state=0).fit(d.bold)
    assert e.map_names_ == {"a": ["fc_strength", "fc_gradient"]}
    before, pred = e.score(d.bold), e.predict(d.bold)
    e.set_params(per_region={"a": ["fc_gradient", "fc_strength"]})  # same maps, other order
    assert e.score(d.bold) == before
    np.testing.assert_array_equal(e.predict(d.bold), pred)
    e.set_params(per_region={"a": ["fc_gradient", "sc_strength"]})  # another map: refit
    with pytest.raises(ValueError, match="per_region changed since fit"):
        e.score(d.bold)


# -- r2-04: best_params_ honours constraints ------------------------------------
@pytest.fixture(scope="module")
def one_hopf_recording():
    from brainestimators.datasets import make_recordings

    H = dict(w=0.3, initial_state={"x": 0.5}, dt=0.5)
    return H, make_recordings(be.HopfRegressor(a=0.8, **H), 1, 100, 1)  # truth a = 0.8


@pytest.mark.parametrize("method, constraint, start", [
    ("SLSQP", lambda p: 0.25 - p["a"] ** 2, 0.3),  # feasible start, a <= 0.5 binds
    ("COBYLA", lambda p: 0.5 - p["a"], 0.8),  # infeasible start
])
def test_best_params_is_the_best_feasible_point(one_hopf_recording, method, constraint, start):
    H, X = one_hopf_recording
    e = be.HopfRegressor(**H, bounds={"a": (0.1, 2.0)}, init={"a": start}, backend="scipy",
                         optimizer=method, constraints={"type": "ineq", "fun": constraint},
                         max_iter=1).fit(X)
    assert constraint(e.best_params_) >= -1e-6
    assert e.best_params_["a"] > 0.45 and e.constraint_violation_ == 0.0


def test_no_feasible_point_is_said_and_not_converged(one_hopf_recording):
    H, X = one_hopf_recording
    est = be.HopfRegressor(**H, bounds={"a": (0.1, 2.0)}, init={"a": 0.3}, backend="scipy",
                           optimizer="SLSQP", max_iter=1,
                           constraints={"type": "ineq", "fun": lambda p: p["a"] - 3.0})
    with pytest.warns(RuntimeWarning, match="No evaluated point satisfied the constraints"):
        est.fit(X)
    assert not est.converged_ and est.constraint_violation_ >= 1.0 - 1e-6
    assert est.constraint_violation_ == pytest.approx(3.0 - est.best_params_["a"], abs=1e-6)


# -- r2-09: for_recordings' TR ---------------------------------------------------
def test_for_recordings_takes_a_tr_quantity_and_refuses_a_nonpositive_one():
    import brainunit as u

    sc = np.ones((4, 4)) - np.eye(4)
    ms = be.HopfRegressor.for_recordings(720.0, sc).get_params()
    qt = be.HopfRegressor.for_recordings(0.72 * u.second, sc).get_params()
    assert qt["sample_dt"] == ms["sample_dt"] == 720.0 and qt["dt"] == ms["dt"]
    for tr in (0.0, -720.0, float("nan"), -0.72 * u.second):
        with pytest.raises(ValueError, match="sample_dt"):
            be.HopfRegressor.for_recordings(tr, sc)
    with pytest.raises(Exception, match="sample_dt"):
        be.HopfRegressor.for_recordings(0.72 * u.mV, sc)  # not a time


def test_user_guide_states_the_recipes_objective_and_steps():
    from pathlib import Path

    from brainestimators._recipes import OBJECTIVE

    text = " ".join((Path(__file__).parents[1] / "docs" / "user_guide" /
                     "heterogeneity.rst").read_text().split())
    est = be.HopfRegressor.for_recordings(720.0, np.ones((4, 4)) - np.eye(4))
    assert f"{est.max_iter} Adam steps" in text
    assert f"learning rate {est.optimizer['learning_rate']:g}" in text
    assert "objective={" + ", ".join(f'"{k}": {v}' for k, v in OBJECTIVE.items()) + "}" in text
    assert "equal weights" not in text
