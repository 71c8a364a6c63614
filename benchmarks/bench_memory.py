"""Peak memory against recording length: Wilson-Cowan + BOLD on HCP, one fit per process.

Each measurement runs in a fresh child process and reports that process's
peak resident set size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``),
so imports, tracing, compilation and the fit itself are all counted, as a
user would see them:

- ``nevergrad``: ``WilsonCowanRegressor(connectivity=HCP SC (80 regions),
  dt=0.1, sample_dt=720, observation='bold', noise_sigma=0.01,
  bounds={'k': (0, 2)}, objective='fc_corr', backend='nevergrad',
  optimizer={'method': 'DE', 'n_sample': C}, max_iter=1).fit(bold[:1, :n])``,
  i.e. one generation of C candidates in one vmapped call;
- ``grad``: the same estimator with ``backend='grad', max_iter=1``: one
  value-and-gradient step through the whole simulation;
- ``neurolib``: ``WCModel(Cmat, Dmat).run(bold=True, chunkwise=True)`` for
  the same length (needs the ``bench`` extra; skipped without neurolib).

Each row also reports the fit's wall time and the time per candidate-step
(wall time / (candidates x integration steps)), compilation included.

Run: ``python benchmarks/bench_memory.py [--trs 25 100 400] [--candidates 4]
[--grad-trs 25 100] [--neurolib-trs 100] [--json out.json]``.
"""

import argparse
import json
import time

from _child import in_child, peak_rss_gb, report

DT, TR = 0.1, 720.0


def _hcp():
    from brainestimators.datasets import load_hcp

    return load_hcp(cortical_only=True)


def child_estimator(backend, n_tr, n_candidates):
    import numpy as np

    import brainestimators as be

    data = _hcp()
    est = be.WilsonCowanRegressor(
        connectivity=data.sc, dt=DT, sample_dt=TR, observation="bold", noise_sigma=0.01,
        bounds={"k": (0.0, 2.0)}, objective="fc_corr", backend=backend,
        optimizer={"method": "DE", "n_sample": n_candidates} if backend == "nevergrad" else None,
        max_iter=1, random_state=0)
    X = np.asarray(data.bold[:1, :n_tr])
    t = time.perf_counter()
    est.fit(X)
    wall = time.perf_counter() - t
    steps = int(round((n_tr - 1) * TR / DT)) + 1
    return {"wall_s": wall, "steps": steps, "candidates": n_candidates,
            "us_per_candidate_step": 1e6 * wall / (steps * n_candidates),
            "best_loss": est.best_loss_}


def child_neurolib(n_tr):
    import numpy as np
    from neurolib.models.wc import WCModel

    data = _hcp()
    m = WCModel(Cmat=data.sc, Dmat=np.zeros_like(data.sc))
    m.params["dt"] = DT
    m.params["duration"] = 100.0
    m.run()  # numba compilation, excluded from the time
    m.params["duration"] = n_tr * TR
    t = time.perf_counter()
    m.run(bold=True, chunkwise=True)
    wall = time.perf_counter() - t
    steps = int(round(n_tr * TR / DT))
    return {"wall_s": wall, "steps": steps, "candidates": 1,
            "us_per_candidate_step": 1e6 * wall / steps}


def measure(kind, n_tr, n_candidates=1, timeout=3600):
    """Run one measurement in a fresh process; add its peak RSS (GB)."""
    return in_child(__file__, (kind, n_tr, n_candidates), {"kind": kind, "trs": n_tr}, timeout)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trs", type=int, nargs="*", default=[25, 100, 400])
    p.add_argument("--candidates", type=int, nargs="*", default=[4])
    p.add_argument("--grad-trs", type=int, nargs="*", default=[25, 100])
    p.add_argument("--neurolib-trs", type=int, nargs="*", default=[100])
    p.add_argument("--json", default=None)
    p.add_argument("--child", nargs=3, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        kind, n_tr, c = args.child[0], int(args.child[1]), int(args.child[2])
        res = (child_neurolib(n_tr) if kind == "neurolib"
               else child_estimator(kind, n_tr, c))
        res["peak_rss_gb"] = peak_rss_gb()
        print(json.dumps(res))
        return None
    rows = []
    for c in args.candidates:
        rows += [measure("nevergrad", n, c) for n in args.trs]
    rows += [measure("grad", n) for n in args.grad_trs]
    try:
        import neurolib  # noqa: F401

        rows += [measure("neurolib", n) for n in args.neurolib_trs]
    except ImportError:
        pass
    print(f"WC + BOLD, 80 HCP regions, dt {DT} ms, TR {TR:g} ms (fresh process each)")
    print(f"{'run':<12}{'TRs':>6}{'steps':>10}{'cand':>6}{'peak RSS GB':>13}{'wall s':>9}"
          f"{'us/cand-step':>14}")
    for r in rows:
        if "error" in r:
            print(f"{r['kind']:<12}{r['trs']:>6}  failed: {r['error']}")
            continue
        print(f"{r['kind']:<12}{r['trs']:>6}{r['steps']:>10}{r['candidates']:>6}"
              f"{r['peak_rss_gb']:>13.2f}{r['wall_s']:>9.1f}{r['us_per_candidate_step']:>14.2f}")
    return report(rows, args.json)


if __name__ == "__main__":
    main()
