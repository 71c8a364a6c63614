"""Analytic moments and effective connectivity on real data, against the simulated path.

What it runs (every FC figure held-out, leave-one-subject-out):

1. ``speed``: one analytic FC evaluation (``fc_from='moments'``, a Lyapunov
   solve) against one simulated 1200-TR FC evaluation (``'simulation'``),
   80 regions, the same loss and parameters, in the same run: times and
   ratio; and the gradient of each.
2. ``draws``: at a global fit's parameters, how close the mean FC of
   ``n_draws`` simulations comes to the analytic FC, how much the held-out
   score of one subject varies between noise seeds, and the time per
   evaluation, for ``n_draws`` = 1, 4, 16.
3. ``folds``: per cohort (HCP, GW; 80 cortical regions) and fold: the SC
   floor, the ceiling (training subjects' mean FC), the global Hopf model
   fitted analytically (coupling and bifurcation parameter on the SC), the
   effective connectivity fitted analytically at the global fit's coupling
   and bifurcation parameter (weights where SC > 0, symmetric), its fit time,
   and the FCD KS distance of the nonlinear Hopf model simulated at the
   fitted EC (4 draws pooled, against the held-out subject's FCD), as fitted
   and after an FCD stage (the bifurcation parameter and the noise level
   refitted by simulation to FC + 0.5 FCD KS at the fixed EC; its FC is the
   mean of the 4 draws' FCs). On HCP also the regulariser towards SC
   (``ec_alpha``; the first value is the EC model's).

The global and EC fits and the simulation at the EC are the main job's
``--model ec`` (``brainestimators/_main_ec.py``), imported from there, with
this script's EC objective (``--ec-objective``, default ``fc_corr``). The
main job itself now fits the EC to ``fc_corr + fc_rmse`` and chooses the time
scale on the training FCD (``brainestimators/_ec_timescale.py``: HCP FC 0.806
with FCD KS 0.281); the FCD stage below is the earlier alternative.

Run ``python benchmarks/bench_moments.py [--data hcp gw] [--parts speed draws
folds] [--alphas 0 0.1 1] [--ec-objective fc_lag_corr] [--no-fcd-stage]``;
results are printed and saved as JSON (``--out``).

Measured (2026-12-07, 2 CPU cores shared with four other jobs, so times are
loaded; HCP and GW, 80 cortical regions, leave-one-subject-out means):

- speed, HCP, 1200 TRs, dt 36 ms: analytic loss 0.027 s, simulated 0.081 s
  (ratio 3.0); gradients 0.081 s vs 0.674 s (ratio 8.3).
- draws, HCP subject 101309 at the global fit: one draw's FC correlates 0.82
  with the analytic FC, 4 draws' mean 0.90, 16 draws' 0.92 (the simulated
  nonlinear model at ``noise_sigma=6e-4`` is not the linearised one);
  held-out score 0.530 +- 0.030 (1 draw), 0.583 +- 0.002 (4), 0.605 +- 0.007
  (16), analytic 0.675; 0.27 s a draw.
- HCP: SC 0.300, ceiling 0.823, global analytic 0.580; EC (3160 weights)
  0.816 (``ec_alpha=0``), 0.809 (0.1), 0.770 (1); EC fitted to FC and lag-1
  (``fc_lag_corr``) 0.808. EC fit 4-15 s a fold after the first (which
  compiles: 13-34 s). Simulated at the fitted EC: FC 0.730, FCD KS 0.93;
  after the FCD stage (21-74 s a fold): FC 0.746, FCD KS 0.268.
- GW: SC 0.257, ceiling 0.681, global analytic 0.588, EC (3155 weights,
  ``ec_alpha=0.1``) 0.678, 5-16 s a fold; after the FCD stage FC 0.619,
  FCD KS 0.61.
"""

import argparse
import json
import time

import jax
import jax.numpy as jnp
import numpy as np

from brainestimators import HopfRegressor
from brainestimators._main_ec import (ec_settings, fit_ec, fit_global, simulate_at_ec,
                                      simulated_scores, transient)
from brainestimators._heldout import corr_upper, fc_of
from brainestimators._border import model_of
from brainestimators._plan import make_plan
from brainestimators._recipes import integration_step
from brainestimators.datasets import load_gw, load_hcp

#: The recipe (settings, steps of the global and EC fits) is the main job's
#: ``--model ec`` (:mod:`brainestimators._main_ec`).
#: The FCD stage: FC + FCD KS, the recipe's weighting (``_recipes.OBJECTIVE``).
FCD_OBJECTIVE, FCD_STEPS = {"fc_corr": 1.0, "fcd_ks": 0.5}, 20


def _timed(fn, *args, repeat=5):
    jax.block_until_ready(fn(*args))  # compile
    t = time.perf_counter()
    for _ in range(repeat):
        jax.block_until_ready(fn(*args))
    return (time.perf_counter() - t) / repeat


def speed(data):
    """Seconds per loss and per gradient, analytic vs simulated, same parameters."""
    settings, _ = ec_settings(data)
    X = data.bold[:1, :1200]
    out = {}
    for fc_from in ("moments", "simulation"):
        est = HopfRegressor(**{**settings, "w": 2 * np.pi * 0.05e-3, "fc_from": fc_from,
                               "bounds": {"k": (0, 8e-3),
                                                                     "a": (-1e-4, -1e-7)}})
        plan = make_plan(model_of(est), "target", X.shape[1], X.shape[2])
        theta = jnp.asarray([settings["k"], -2e-5], jnp.float32)
        target = jnp.asarray(X, jnp.float32)
        key = jax.random.key(0)
        ev = plan.evaluator
        out[fc_from] = {
            "loss_s": _timed(ev.loss, theta, plan.fixed, None, target, key),
            "grad_s": _timed(ev.value_and_grad, theta, plan.fixed, None, target, key),
        }
    out["ratio_loss"] = out["simulation"]["loss_s"] / out["moments"]["loss_s"]
    out["ratio_grad"] = out["simulation"]["grad_s"] / out["moments"]["grad_s"]
    return out


def fit_fcd_stage(settings, ec, X):
    """The nonlinear model at the fitted EC: bifurcation parameter and noise level refitted
    by simulation to FC + FCD KS (the EC and coupling fixed)."""
    rho = float(np.max(np.abs(np.linalg.eigvals(ec.effective_connectivity_))))
    dt = integration_step(settings["sample_dt"], 2 * ec.k * rho)
    est = HopfRegressor(**{**settings, "connectivity": ec.effective_connectivity_, "k": ec.k,
                           "a": ec.a, "dt": dt, "transient": transient(dt),
                           "fc_from": "simulation", "n_draws": 2, "objective": FCD_OBJECTIVE},
                        bounds={"a": (-1e-4, 5e-5), "noise_sigma": (1e-5, 3e-3)},
                        optimizer={"name": "adam", "learning_rate": 0.3}, max_iter=FCD_STEPS)
    return est.fit(X)


def draws(data, sizes=(1, 4, 16), n_seeds=5):
    """Mean-of-draws FC against the analytic FC, and the spread of a held-out score."""
    settings, k_max = ec_settings(data)
    X = data.bold - data.bold.mean(axis=1, keepdims=True)
    glob = fit_global(settings, k_max, X[1:])
    exact = glob.moments()["fc"]
    sim = glob.set_params(fc_from="simulation")
    t = time.perf_counter()
    runs = sim.simulate(max(sizes) * n_seeds, X=X[:1], random_state=0)
    per_draw = (time.perf_counter() - t) / len(runs)
    fcs = fc_of(runs).reshape(n_seeds, max(sizes), *exact.shape)
    held = fc_of(X[0])
    out = {"analytic_heldout": corr_upper(exact, held), "seconds_per_draw": per_draw}
    for n in sizes:
        means = fcs[:, :n].mean(axis=1)
        scores = [corr_upper(m, held) for m in means]
        out[f"n_draws={n}"] = {
            "corr_with_analytic": float(np.mean([corr_upper(m, exact) for m in means])),
            "heldout_mean": float(np.mean(scores)), "heldout_sd": float(np.std(scores)),
            "seconds": per_draw * n}
    return out


def folds(data, alphas=(0.0,), objective="fc_corr", fcd_stage=True):
    settings, k_max = ec_settings(data)
    X = data.bold - data.bold.mean(axis=1, keepdims=True)
    fcs = fc_of(X)
    rows = []
    for i in range(X.shape[0]):
        train = np.delete(np.arange(X.shape[0]), i)
        t = time.perf_counter()
        glob = fit_global(settings, k_max, X[train])
        t_glob = time.perf_counter() - t
        row = {"subject": str(data.subjects[i]), "sc": corr_upper(data.sc, fcs[i]),
               "ceiling": corr_upper(fcs[train].mean(axis=0), fcs[i]),
               "global": glob.score(X[i:i + 1]), "global_seconds": t_glob,
               "k": glob.best_params_["k"], "a": glob.best_params_["a"]}
        for alpha in alphas:
            t = time.perf_counter()
            ec = fit_ec(settings, glob, X[train], alpha, objective)
            row[f"ec[{alpha:g}]"] = corr_upper(ec.moments()["fc"], fcs[i])  # analytic, held out
            row[f"ec_seconds[{alpha:g}]"] = time.perf_counter() - t
            row["n_weights"] = len(ec.best_params_["connectivity"])
            if alpha == alphas[0] and fcd_stage:
                # the nonlinear model at the fitted EC, simulated as fitted ...
                simulate_at_ec(ec)
                row["ec_sim_fc"], row["ec_fcd_ks"] = simulated_scores(ec, X[i:i + 1], fcs[i],
                                                                      100 + i)
                # ... and with a and the noise refitted to FC + FCD by simulation
                t = time.perf_counter()
                stage = fit_fcd_stage(settings, ec, X[train])
                row["ec_fcd_seconds"] = time.perf_counter() - t
                row["ec_fcd_a"] = stage.best_params_["a"]
                row["ec_fcd_sim_fc"], row["ec_fcd_ks2"] = simulated_scores(
                    stage, X[i:i + 1], fcs[i], 100 + i)
        rows.append(row)
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()},
              flush=True)
    mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]
            if isinstance(rows[0][k], (float, int))}
    return {"folds": rows, "mean": mean}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", nargs="+", default=["hcp", "gw"])
    parser.add_argument("--parts", nargs="+", default=["speed", "draws", "folds"])
    parser.add_argument("--alphas", nargs="+", type=float, default=[0.0])
    parser.add_argument("--ec-objective", default="fc_corr",
                        help="the EC fit's objective: 'fc_corr', or 'fc_lag_corr' (FC and lag-1)")
    parser.add_argument("--no-fcd-stage", action="store_true")
    parser.add_argument("--out", default="bench_moments.json")
    args = parser.parse_args(argv)
    results = {}
    for name in args.data:
        data = (load_hcp if name == "hcp" else load_gw)(cortical_only=True)
        res = results[name] = {}
        if "speed" in args.parts and name == args.data[0]:
            res["speed"] = speed(data)
            print(name, "speed", res["speed"], flush=True)
        if "draws" in args.parts and name == args.data[0]:
            res["draws"] = draws(data)
            print(name, "draws", res["draws"], flush=True)
        if "folds" in args.parts:
            res["folds"] = folds(data, tuple(args.alphas) if name == "hcp" else (args.alphas[0],),
                                 args.ec_objective, not args.no_fcd_stage)
            print(name, "mean", {k: round(v, 4) for k, v in res["folds"]["mean"].items()},
                  flush=True)
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1, default=float)
    return results


if __name__ == "__main__":
    main()
