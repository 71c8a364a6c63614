"""The main job (``python -m brainestimators``) end to end, at minimal size."""

import json
import math

import pytest

# The CLI's entry point: the one private name the tests call.
from brainestimators._main import load, main
from brainestimators._recipes import K_STRENGTH


def _folds(out):
    with open(out / "loso.json") as f:
        result = json.load(f)
    return result, result["folds"]


NUMBERS = ("G (1/s)", "a (1/s)", "fc_corr", "fcd_ks", "sc_baseline", "ceiling", "train_loss",
           "seconds")


def test_default_job_compares_three_models_and_reports_group_intervals(tmp_path, capsys):
    # the default: global, maps and regional models, every fold of a model fitted
    # at once (one gradient step here), then the group fit with 95 % intervals
    assert main(["--data", "synthetic", "--max-iter", "1", "--trials", "1", "--quiet",
                 "--out", str(tmp_path)]) == 0
    with open(tmp_path / "loso.json") as f:
        result = json.load(f)
    assert set(result["models"]) == {"global", "maps", "regional"}
    n_params = {}
    for name, model in result["models"].items():
        folds = model["folds"]
        assert [f["subject"] for f in folds] == [f"sub-{i:02d}" for i in range(6)]
        for fold in folds:
            assert -1.0 <= fold["fc_corr"] <= 1.0 and 0.0 <= fold["fcd_ks"] <= 1.0
        n_params[name] = folds[0]["n_params"]
    assert n_params == {"global": 2, "maps": 6, "regional": 40}  # 20 regions
    for ref in result["references"]:
        assert -1.0 <= ref["sc_baseline"] <= 1.0 and -1.0 <= ref["ceiling"] <= 1.0
    assert (tmp_path / "loso_models.png").stat().st_size > 0
    assert (tmp_path / "group_profile.png").stat().st_size > 0
    printed = capsys.readouterr().out
    assert "95 % interval" in printed and "sloppiest direction" in printed


def test_regional_model_on_the_synthetic_cohort(tmp_path, capsys):
    # one model fold by fold: a coupling gain and a bifurcation parameter per
    # region (2 x 20 on the synthetic cohort), one gradient step per fold
    assert main(["--data", "synthetic", "--model", "regional", "--max-iter", "1",
                 "--trials", "1", "--quiet", "--out", str(tmp_path)]) == 0
    result, folds = _folds(tmp_path)
    assert result["model"] == "regional" and result["data"].startswith("synthetic")
    sc = load("synthetic")[0].sc
    k_max = K_STRENGTH / sc.sum(axis=1).mean()
    assert len(folds) == 6  # leave-one-subject-out over the 6 synthetic subjects
    assert [f["subject"] for f in folds] == [f"sub-{i:02d}" for i in range(6)]
    for fold in folds:
        for name in NUMBERS:
            assert isinstance(fold[name], float) and math.isfinite(fold[name]), (name, fold)
        for name in ("fc_corr", "sc_baseline", "ceiling"):
            assert -1.0 <= fold[name] <= 1.0
        assert 0.0 <= fold["fcd_ks"] <= 1.0
        # the fitted gain stays in its box: K_STRENGTH per unit of node strength
        assert 0.0 <= fold["G (1/s)"] <= 1e3 * k_max + 1e-9
    assert (tmp_path / "loso_fc.png").stat().st_size > 0
    printed = capsys.readouterr().out
    assert "Leave-one-subject-out on synthetic" in printed and "mean" in printed


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["grad", "nevergrad", "scipy"])
def test_global_model_on_each_backend(tmp_path, backend):
    assert main(["--data", "synthetic", "--model", "global", "--backend", backend,
                 "--max-iter", "1", "--n-sample", "2", "--trials", "1", "--quiet",
                 "--out", str(tmp_path)]) == 0
    result, folds = _folds(tmp_path)
    assert result["backend"] == backend and len(folds) == 6
    for fold in folds:
        assert all(math.isfinite(fold[name]) for name in NUMBERS), fold


def test_ec_model_reports_analytic_and_simulated_scores(tmp_path, capsys):
    # --model ec: global fit (all folds at once) and EC fit per fold through the
    # analytic FC, one step each; the time scale chosen on the training subjects by
    # simulation; the nonlinear model's expected FC and pooled FCD at those parameters
    assert main(["--data", "synthetic", "--model", "ec", "--max-iter", "1", "--trials", "1",
                 "--quiet", "--out", str(tmp_path)]) == 0
    result, folds = _folds(tmp_path)
    assert result["model"] == "ec" and len(folds) == 6
    for fold, ref in zip(folds, result["references"]):
        assert fold["subject"] == ref["subject"]
        for name in ("global_fc_analytic", "ec_fc_analytic", "ec_fc_sim"):
            assert math.isfinite(fold[name]) and -1.0 <= fold[name] <= 1.0, (name, fold)
        assert 0.0 <= fold["ec_fcd_ks_sim"] <= 1.0
        assert -1.0 <= fold["ec_fc_one_draw"] <= 1.0
        table = fold["time_scale_table"]
        factors = [r["factor"] for r in table]
        assert factors[0] == 1.0 and factors == sorted(factors) and len(factors) >= 2
        chosen = min(table, key=lambda r: r["loss"])["factor"]
        assert math.isclose(fold["time_scale"], chosen, rel_tol=1e-5)
        assert fold["n_weights"] == 190  # the synthetic SC's 20 x 19 / 2 pairs, all > 0
        assert all(math.isfinite(ref[k]) for k in ("sc_baseline", "ceiling", "fcd_reference"))
    printed = capsys.readouterr().out
    assert "ANALYTIC FC" in printed and "SIMULATED at those parameters" in printed
    assert "expected statistics of 1 noise draws" in printed
    mean = next(line for line in printed.splitlines() if line.startswith("mean"))
    assert len(mean.split()) == 10 and all(math.isfinite(float(v)) for v in mean.split()[1:])
