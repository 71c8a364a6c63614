"""Whole-brain fits of real resting-state data, next to the published numbers they can be compared with.

What it runs (every figure held-out, leave-one-subject-out, unless it says
in-sample):

1. ``models``: the main job's comparison (``python -m brainestimators``) on
   HCP and GW: global, map-based (6 parameters) and free per-region (160)
   Hopf models fitted to FC + FCD KS, each fold's held-out FC correlation
   (mean FC of 4 fresh noise draws) and FCD KS distance (their pooled FCD),
   plus the SC floor, the FC ceiling (training subjects' mean FC) and the FCD
   reference (training subjects' pooled FCD). The in-sample FC correlation
   (model FC against the training subjects' mean FC) is reported next to it.
2. ``recipe``: the README's quick example applied unchanged, scored with
   ``cross_val_score(est, X, cv=LeaveOneOut(), scoring=get_scorer('fc_corr'))``
   (one noise draw per held-out subject, as ``score`` does).
3. ``pareto``: the FC / FCD trade-off of the per-region model: a weight sweep
   (rows = weightings of ``{'fc_corr': 1, 'fcd_ks': w}``) per fold, each
   point scored on the held-out subject.
4. ``nulls``: the map-based model against Moran-randomised maps (19
   surrogates of the FC-derived maps, all fitted at once), one fold.

Published numbers (different models, parcellations and protocols; quoted as
reported, all in-sample): neurolib's ALN model on this GW data, FC
correlation 0.58 (neurolib example notebook, grid search); tvboptim's Hopf
on an 84-region group FC, 0.787-0.798 (its documentation); whobpyt, 0.47.

Run ``python benchmarks/bench_realdata.py [--data hcp gw] [--parts models recipe
pareto nulls]``; results are printed and saved as JSON (``--out``). A full
run takes about an hour on a 2-core CPU.
"""

import argparse
import json
import time

import numpy as np
from sklearn.model_selection import LeaveOneOut, cross_val_score

import brainestimators as be
from brainestimators._heldout import corr_upper, fc_of, fcd_ks, fcd_values
from brainestimators._main import compare_models, load
from brainestimators._main_report import print_comparison

PUBLISHED = [
    ("neurolib ALN, GW (80 cortical AAL2), FC corr", "in-sample", 0.58),
    ("tvboptim Hopf, 84-region group FC, FC corr", "in-sample", "0.787-0.798"),
    ("whobpyt, FC corr", "in-sample", 0.47),
]


def _held_out(est, X, i, n_trials=4):
    draws = est.simulate(n_trials, X=X[i:i + 1], random_state=100 + i)
    return (corr_upper(fc_of(draws).mean(axis=0), fc_of(X[i])),
            fcd_ks(np.concatenate([fcd_values(d) for d in draws]), fcd_values(X[i])))


def readme_recipe(data):
    """The README quick example's estimator (kept identical to the README)."""
    return be.HopfRegressor.for_recordings(data.tr, data.sc, random_state=0)


def part_models(data, label):
    results, refs = compare_models(data, verbose=False)
    print_comparison(results, refs, label)
    X = data.bold - data.bold.mean(axis=1, keepdims=True)
    return {"references": refs, "models": {
        name: {"seconds": res["seconds"], "folds": [
            {k: v for k, v in r.items() if k not in ("history", "best_params")}
            for r in res["folds"]]} for name, res in results.items()},
        "in_sample_note": "train_loss is the fitted FC + FCD KS loss on the training "
                          "subjects", "n_subjects": int(X.shape[0])}


def part_recipe(data, label):
    X = data.bold - data.bold.mean(axis=1, keepdims=True)
    est = readme_recipe(data)
    t = time.perf_counter()
    scores = cross_val_score(est, X, cv=LeaveOneOut(), scoring=be.get_scorer("fc_corr"))
    seconds = time.perf_counter() - t
    print(f"\nREADME recipe on {label}, cross_val_score(LeaveOneOut), held-out FC corr: "
          + " ".join(f"{s:.3f}" for s in scores) + f"; mean {scores.mean():.3f} "
          f"({seconds:.0f} s)")
    return {"scores": scores.tolist(), "mean": float(scores.mean()), "seconds": seconds}


def part_pareto(data, label, weights=(0.0, 0.25, 0.5, 1.0, 2.0)):
    X = data.bold - data.bold.mean(axis=1, keepdims=True)
    est = be.HopfRegressor.for_recordings(data.tr, data.sc, per_region=("a", "k"),
                                          random_state=0)
    W = np.array([[1.0, w] for w in weights])
    fc, ks = np.zeros((len(X), len(W))), np.zeros((len(X), len(W)))
    for i, (train, test) in enumerate(LeaveOneOut().split(X)):
        front = be.pareto_front(est, X[train], W)
        for j, e in enumerate(front.estimators):
            fc[i, j], ks[i, j] = _held_out(e, X, test[0])
        print(f"  fold {i}: " + "  ".join(f"w={w:g}: {fc[i, j]:.3f}/{ks[i, j]:.3f}"
                                           for j, w in enumerate(weights)), flush=True)
    print(f"\nFC / FCD trade-off on {label} (per-region model, objective fc_corr + w fcd_ks), "
          "held-out mean FC corr / FCD KS:")
    for j, w in enumerate(weights):
        print(f"  w = {w:<5g} FC {fc[:, j].mean():.3f}  KS {ks[:, j].mean():.3f}")
    return {"weights": list(weights), "fc_corr": fc.tolist(), "fcd_ks": ks.tolist()}


def part_nulls(data, label, n_null=19, fold=0):
    X = data.bold - data.bold.mean(axis=1, keepdims=True)
    est = readme_recipe(data)
    train = np.delete(np.arange(len(X)), fold)
    t = time.perf_counter()
    res = be.map_null_test(est, X[train], n_null=n_null, method="moran",
                           maps=["a:fc_strength", "a:fc_gradient", "k:fc_strength"],
                           X_test=X[fold:fold + 1], scoring="fc_corr", random_state=0)
    seconds = time.perf_counter() - t
    print(f"\nMap null test on {label}, held-out {data.subjects[fold]} ({n_null} Moran "
          f"surrogates of the FC maps, {seconds:.0f} s): training loss {res.loss:.4f} vs "
          f"surrogates {np.median(res.null_losses):.4f} (median), p = {res.p_value:.3f}; "
          f"held-out FC corr {res.test_score:.3f} vs {np.median(res.null_test_scores):.3f}, "
          f"p = {res.test_p_value:.3f}")
    return {"loss": res.loss, "null_losses": res.null_losses.tolist(), "p_value": res.p_value,
            "test_score": res.test_score, "null_test_scores": res.null_test_scores.tolist(),
            "test_p_value": res.test_p_value, "seconds": seconds}


PARTS = {"models": part_models, "recipe": part_recipe, "pareto": part_pareto,
         "nulls": part_nulls}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", nargs="+", default=["hcp", "gw"], choices=["hcp", "gw"])
    p.add_argument("--parts", nargs="+", default=list(PARTS), choices=list(PARTS))
    p.add_argument("--out", default="bench_realdata.json")
    args = p.parse_args(argv)
    out = {"published": PUBLISHED}
    for name in args.data:
        data, label = load(name)
        out[name] = {}
        for part in args.parts:
            out[name][part] = PARTS[part](data, label)
            with open(args.out, "w") as f:
                json.dump(out, f, indent=1, default=float)
    print("\nPublished numbers, for comparison (all in-sample; ours above are held-out "
          "unless marked):")
    for what, kind, value in PUBLISHED:
        print(f"  {what}: {value} ({kind})")
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
