"""Per-subject fitting: 16 subjects batched in one fit vs 16 sequential fits.

The same ``HopfRegressor`` (2 or 10 regions, 2000 samples, noise, bounds on ``a``)
is fitted to each of 16 synthetic subjects, once through
``GenerativeEmbedding`` (all subjects on one compiled evaluator, one call per
iteration) and once as 16 separate ``fit`` calls in a Python loop. Each is
timed twice: with every cache cleared (tracing and compilation included) and
again with the compiled evaluator reused (as in a CV loop or a second call).
The fitted values of both are compared. Run:
``python benchmarks/bench_embedding.py``.
"""

import json
import time

import jax
import numpy as np

import brainestimators as be
from brainestimators.datasets import make_recordings


def cohort(n=16, n_regions=10, n_time=2000, seed=0):
    rng = np.random.default_rng(seed)
    X = [make_recordings(be.HopfRegressor(a=a, w=0.3, initial_state={"x": 0.5}, noise_sigma=0.02),
                         1, n_time, n_regions, random_state=int(rng.integers(1 << 30)))[0]
         for a in rng.uniform(0.3, 1.0, n)]
    return np.stack(X)


def main():
    rows = {}
    for n_regions in (2, 10):
        X = cohort(n_regions=n_regions)
        print(f"16 subjects x 2000 samples x {n_regions} regions")
        rows[n_regions] = run(X)
    print(json.dumps(rows))


def _time(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def run(X):
    rows = {}
    for backend, kw in [("grad", dict(max_iter=100, optimizer=be.Optax("adam", 0.1))),
                        ("nevergrad", dict(max_iter=20, optimizer=be.Nevergrad("DE", 8)))]:
        est = be.HopfRegressor(w=0.3, initial_state={"x": 0.5}, noise_sigma=0.02,
                               bounds={"a": (0.1, 1.5)}, backend=backend, random_state=0, **kw)

        def batched():
            return be.GenerativeEmbedding(est).fit_transform(X)[:, 0]

        def sequential():
            return np.array([est.fit(X[i:i + 1]).best_params_["a"] for i in range(len(X))])

        res = {}
        for name, fn in (("batched", batched), ("sequential", sequential)):
            be.clear_cache()
            jax.clear_caches()
            cold, a = _time(fn)  # includes tracing and compilation
            warm, _ = _time(fn)  # compiled evaluator reused
            res[name] = dict(cold_s=cold, warm_s=warm, a=a)
        b, q = res["batched"], res["sequential"]
        rows[backend] = dict(
            batched_cold_s=b["cold_s"], sequential_cold_s=q["cold_s"],
            batched_warm_s=b["warm_s"], sequential_warm_s=q["warm_s"],
            speedup_cold=q["cold_s"] / b["cold_s"], speedup_warm=q["warm_s"] / b["warm_s"],
            max_abs_diff_a=float(np.max(np.abs(b["a"] - q["a"]))))
        r = rows[backend]
        print(f"{backend:<10} incl. compile: batched {r['batched_cold_s']:6.2f} s, sequential "
              f"{r['sequential_cold_s']:6.2f} s ({r['speedup_cold']:4.1f}x) | compiled: batched "
              f"{r['batched_warm_s']:6.2f} s, sequential {r['sequential_warm_s']:6.2f} s "
              f"({r['speedup_warm']:4.1f}x) | max |a_b - a_s| {r['max_abs_diff_a']:.1e}")
    return rows


if __name__ == "__main__":
    main()
