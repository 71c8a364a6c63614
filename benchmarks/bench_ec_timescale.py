"""The EC model's FCD: FC contrast, time scale and noise, measured per fold.

What it runs (HCP or GW, 80 cortical regions, leave-one-subject-out, every
score held out): per fold, the main job's global fit (``_main_ec``), then
the EC fitted to each objective of ``--objectives`` (default ``fc_corr`` and
the job's ``fc_corr + fc_rmse``), and for each:

- the analytic FC's held-out correlation and the spread (standard deviation)
  of its off-diagonal values against the held-out FC's: the FC's contrast;
- for every time-scale factor of ``_ec_timescale.FACTORS`` (``a`` and ``k``
  scaled together, the noise at ``LINEAR_NOISE |a|``), the expected FC
  (mean FC of ``--draws`` simulations) and the KS distance of their pooled FCD,
  against the held-out subject and against the training subjects (what the
  job's choice sees), and the mean FCD value;
- at factor 1, the same at the recipe's noise (``noise_sigma=6e-4``), where
  the cubic term of the Hopf model acts.

The job's rule (the smallest training ``(1 - FC) + 0.5 KS``, over all
factors here, without the job's early stop) is applied per objective and
its held-out means printed.

Run ``python benchmarks/bench_ec_timescale.py [--data hcp] [--draws 8]``;
results are printed and saved as JSON (``--out``).

Run from the repository root with ``PYTHONPATH=.`` to measure the checkout.

Measured (2026-12-07, HCP, 7 folds, 8 draws, 2 loaded cores, 348 s; the
factors were then 1-6, before 8 and 12 were added): data FC spread 0.240,
data FCD mean 0.437, FCD reference 0.215.

- ``fc_corr``: analytic FC 0.816, spread 0.078; expected FC / FCD KS per
  factor 1, 1.5, 2, 3, 4, 6: 0.808 / 0.858 ... 0.814 / 0.781 (FCD mean 0.09
  to 0.16); the rule's factors (6 in 6 folds) 0.813 / 0.780; recipe noise
  0.750 / 0.921.
- ``fc_corr + fc_rmse``: analytic FC 0.806, spread 0.178; per factor
  0.800 / 0.495, 0.803 / 0.373, 0.804 / 0.312, 0.806 / 0.256, 0.806 / 0.280,
  0.805 / 0.307 (FCD mean 0.26 to 0.48); the rule's factors (3 or 4) 0.806 /
  0.266; recipe noise (factor 1) 0.756 / 0.629.

GW (5 folds, 221 s; factors 1-6): data FC spread 0.255, FCD mean 0.603, FCD
reference 0.387. ``fc_corr``: analytic 0.678, spread 0.046, the rule's
factors 0.671 / 0.807. ``fc_corr + fc_rmse``: analytic 0.682, spread 0.153,
KS falling from 0.553 (factor 1) to 0.430 (6); the rule's factors (6 in 4
folds) 0.679 / 0.426.
"""

import argparse
import json
import time

import numpy as np
from sklearn.model_selection import LeaveOneOut

from brainestimators import fit_folds
from brainestimators._ec_timescale import FACTORS, FCD_WEIGHT, at_timescale
from brainestimators._heldout import corr_upper, fc_of, fcd_ks, fcd_values
from brainestimators._main_ec import ec_settings, fit_ec, global_estimator
from brainestimators.datasets import load_gw, load_hcp

OBJECTIVES = {"fc_corr": "fc_corr", "fc_corr+fc_rmse": {"fc_corr": 1.0, "fc_rmse": 1.0}}


def _stats(est, like, n_draws, seed, held_fc, held_fcd, train_fc, train_fcd):
    runs = est.simulate(n_draws, X=like, random_state=seed)
    mean_fc = fc_of(runs).mean(axis=0)
    fcd = np.concatenate([fcd_values(r) for r in runs])
    return {"fc": corr_upper(mean_fc, held_fc), "ks": fcd_ks(fcd, held_fcd),
            "fc_train": corr_upper(mean_fc, train_fc), "ks_train": fcd_ks(fcd, train_fcd),
            "fcd_mean": float(fcd.mean())}


def run(data, objectives, n_draws):
    X = data.bold - data.bold.mean(axis=1, keepdims=True)
    settings, k_max = ec_settings(data)
    settings["verbose"] = False
    globs, splits = fit_folds(global_estimator(settings, k_max), X, LeaveOneOut())
    iu = np.triu_indices(X.shape[2], 1)
    folds = []
    for glob, (train, test) in zip(globs, splits):
        i = test[0]
        held_fc, held_fcd = fc_of(X[i]), fcd_values(X[i])
        train_fc = fc_of(X[train]).mean(axis=0)
        train_fcd = np.concatenate([fcd_values(x) for x in X[train]])
        ref = (held_fc, held_fcd, train_fc, train_fcd)
        fold = {"subject": str(data.subjects[i]), "data_fc_spread": float(held_fc[iu].std()),
                "fcd_reference": fcd_ks(train_fcd, held_fcd),
                "data_fcd_mean": float(held_fcd.mean())}
        for name, objective in objectives.items():
            t = time.perf_counter()
            ec = fit_ec(settings, glob, X[train], objective=objective)
            fc = ec.moments()["fc"]
            k, a = ec.k, ec.a
            out = fold[name] = {"analytic_fc": corr_upper(fc, held_fc),
                                "fc_spread": float(fc[iu].std())}
            ec.set_params(fc_from="simulation")
            out["factors"] = []
            for factor in FACTORS:
                s = _stats(at_timescale(ec, factor, k, a), X[i:i + 1], n_draws, 100 + i, *ref)
                out["factors"].append({"factor": factor, **s})
            at_timescale(ec, 1.0, k, a).set_params(noise_sigma=6e-4)
            out["recipe_noise"] = _stats(ec, X[i:i + 1], n_draws, 100 + i, *ref)
            out["seconds"] = time.perf_counter() - t
            print(fold["subject"], name, {k: v for k, v in out.items() if k != "factors"},
                  [(f["factor"], round(f["fc"], 3), round(f["ks"], 3), round(f["ks_train"], 3))
                   for f in out["factors"]], flush=True)
        folds.append(fold)
    summary = {}
    for name in objectives:
        picks = [min(f[name]["factors"],
                     key=lambda r: (1 - r["fc_train"]) + FCD_WEIGHT * r["ks_train"])
                 for f in folds]
        summary[name] = {
            "analytic_fc": float(np.mean([f[name]["analytic_fc"] for f in folds])),
            "fc_spread": float(np.mean([f[name]["fc_spread"] for f in folds])),
            "chosen_factors": [p["factor"] for p in picks],
            "chosen_fc": float(np.mean([p["fc"] for p in picks])),
            "chosen_ks": float(np.mean([p["ks"] for p in picks])),
            "recipe_noise_fc": float(np.mean([f[name]["recipe_noise"]["fc"] for f in folds])),
            "recipe_noise_ks": float(np.mean([f[name]["recipe_noise"]["ks"] for f in folds])),
            "per_factor": {str(fa): {k: float(np.mean([f[name]["factors"][j][k] for f in folds]))
                                     for k in ("fc", "ks", "fcd_mean")}
                           for j, fa in enumerate(FACTORS)}}
    summary["data_fc_spread"] = float(np.mean([f["data_fc_spread"] for f in folds]))
    summary["data_fcd_mean"] = float(np.mean([f["data_fcd_mean"] for f in folds]))
    summary["fcd_reference"] = float(np.mean([f["fcd_reference"] for f in folds]))
    return {"folds": folds, "summary": summary}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="hcp", choices=["hcp", "gw"])
    parser.add_argument("--objectives", nargs="+", default=list(OBJECTIVES),
                        choices=list(OBJECTIVES))
    parser.add_argument("--draws", type=int, default=8)
    parser.add_argument("--out", default="bench_ec_timescale.json")
    args = parser.parse_args(argv)
    data = (load_hcp if args.data == "hcp" else load_gw)(cortical_only=True)
    t = time.perf_counter()
    res = run(data, {k: OBJECTIVES[k] for k in args.objectives}, args.draws)
    res["seconds"] = time.perf_counter() - t
    print(json.dumps(res["summary"], indent=1))
    print(f"total {res['seconds']:.0f} s")
    with open(args.out, "w") as f:
        json.dump(res, f, indent=1)
    return res


if __name__ == "__main__":
    main()
