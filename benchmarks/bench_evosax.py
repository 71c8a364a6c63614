"""The evosax backend beside nevergrad: seed 000, and 16 subjects batched vs one by one.

1. Seed 000 (a 1-node Hopf's settled amplitude matched to a target at
   a* = 1.5, box (0.05, 3.0)), a population of 6 for 12 generations with
   each backend (nevergrad's DE with ``popsize=6``, evosax's DE): the first
   fit in a fresh process (tracing and XLA compilation included; the
   persistent compilation cache is off) and a second, warm fit.
2. 16 subjects (2-region noisy Hopf, 2000 samples, a drawn in (0.3, 1.0)),
   fitted by ``fit_rows`` (all subjects on one batch axis; evosax runs the
   whole generation loop compiled and vmapped over subjects) and by 16
   separate ``fit`` calls, each including compilation (caches cleared) and
   warm.

Run: ``python benchmarks/bench_evosax.py`` (needs the ``evosax`` extra).
"""

import json
import subprocess
import sys
import time

import jax
import numpy as np

import brainestimators as be
from brainestimators.datasets import make_recordings

SEED000 = r"""
import os, time, json
os.environ["BRAINESTIMATORS_CACHE"] = "off"
import brainmass, braintools, brainunit as u, jax.numpy as jnp, numpy as np
import brainestimators as be
node = brainmass.HopfStep(1, a=1.5, w=0.3, init_x=braintools.init.Constant(0.5),
                          init_y=braintools.init.Constant(0.0))
x = brainmass.Simulator(node, dt=0.1 * u.ms).run(300.0 * u.ms, monitors=["x"],
                                                 transient=150.0 * u.ms)["x"]
X = np.asarray(u.get_magnitude(x))[None]
def amp(x):
    return jnp.sqrt(jnp.mean(jnp.asarray(x) ** 2)) * jnp.sqrt(2.0)
def loss(p, t):
    return (amp(p) - amp(t)) ** 2
opt = {BACKEND!r}
est = be.HopfRegressor(w=0.3, initial_state={{"x": 0.5, "y": 0.0}}, transient=150.0,
                       bounds={{"a": (0.05, 3.0)}}, objective=loss, backend=opt[0],
                       optimizer=opt[1], max_iter=12, random_state={SEED})
times = []
for _ in range(2):
    t = time.perf_counter()
    est.fit(X)
    times.append(time.perf_counter() - t)
print(json.dumps({{"cold_s": times[0], "warm_s": times[1], "a": est.best_params_["a"],
                  "loss": est.best_loss_}}))
"""

SEED000_BACKENDS = {
    "nevergrad": ("nevergrad", {"method": "DE", "n_sample": 6, "popsize": 6}),
    "evosax": ("evosax", {"method": "DifferentialEvolution", "popsize": 6}),
}


def seed000(repeats=3):
    out = {}
    for name, backend in SEED000_BACKENDS.items():
        runs = []
        for seed in range(repeats):
            code = SEED000.format(BACKEND=backend, SEED=seed)
            res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True)
            runs.append(json.loads(res.stdout.strip().splitlines()[-1]))
        out[name] = {k: float(np.median([r[k] for r in runs])) for k in runs[0]}
        r = out[name]
        print(f"seed 000 {name:<10} fresh process {r['cold_s']:6.2f} s, warm {r['warm_s']:6.3f} s, "
              f"median a {r['a']:.4f}, loss {r['loss']:.1e}")
    return out


def cohort(n=16, n_regions=2, n_time=2000, seed=0):
    rng = np.random.default_rng(seed)
    return np.stack([
        make_recordings(be.HopfRegressor(a=a, w=0.3, initial_state={"x": 0.5}, noise_sigma=0.02),
                        1, n_time, n_regions, random_state=int(rng.integers(1 << 30)))[0]
        for a in rng.uniform(0.3, 1.0, n)])


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def subjects(X):
    out = {}
    for name, backend, optimizer in (
            ("nevergrad", "nevergrad", be.Nevergrad("DE", 8)),
            ("evosax", "evosax", be.Evosax("DifferentialEvolution", popsize=8))):
        est = be.HopfRegressor(w=0.3, initial_state={"x": 0.5}, noise_sigma=0.02,
                               bounds={"a": (0.1, 1.5)}, backend=backend, optimizer=optimizer,
                               max_iter=20, random_state=0)
        runs = {"batched": lambda: est.fit_rows(X).theta[:, 0],
                "sequential": lambda: np.array([est.fit(X[i:i + 1]).best_params_["a"]
                                                for i in range(len(X))])}
        res = {}
        for label, fn in runs.items():
            be.clear_cache()
            jax.clear_caches()
            cold, a = _timed(fn)
            warm, _ = _timed(fn)
            res[label] = dict(cold_s=cold, warm_s=warm, a=a)
        b, s = res["batched"], res["sequential"]
        out[name] = dict(batched_cold_s=b["cold_s"], sequential_cold_s=s["cold_s"],
                         batched_warm_s=b["warm_s"], sequential_warm_s=s["warm_s"],
                         speedup_cold=s["cold_s"] / b["cold_s"],
                         speedup_warm=s["warm_s"] / b["warm_s"],
                         max_abs_diff_a=float(np.max(np.abs(b["a"] - s["a"]))))
        r = out[name]
        print(f"16 subjects {name:<10} incl. compile: batched {r['batched_cold_s']:6.2f} s, "
              f"sequential {r['sequential_cold_s']:6.2f} s ({r['speedup_cold']:4.1f}x) | warm: "
              f"batched {r['batched_warm_s']:6.2f} s, sequential {r['sequential_warm_s']:6.2f} s "
              f"({r['speedup_warm']:4.1f}x) | max |a_b - a_s| {r['max_abs_diff_a']:.1e}")
    return out


def main():
    result = {"seed000": seed000(), "subjects16": subjects(cohort())}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
