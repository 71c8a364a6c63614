"""Seed 000 side by side: brainmass.Fitter vs brainestimators, same problem and budget.

A 1-node Hopf whose settled amplitude is matched to a target generated at
a* = 1.5, box (0.05, 3.0), nevergrad DE with 6 candidates x 12 generations
(72 simulations). Same algorithm: the Fitter's braintools optimizer sets the
DE population to ``n_sample``, so the estimator uses ``options={'popsize': 6}``.
Both start from the box centre: the Fitter's nevergrad search space is
``ng.p.Scalar(lower, upper)``, whose initial value is the centre.

Reported, each as the median of ``--repeats`` seeds:

- ``fitter``: ``brainmass.Fitter(..., backend='nevergrad').fit(n_steps=12)``;
- ``estimator_cold``: ``HopfRegressor.fit`` with every JAX cache cleared and
  the persistent cache off, so tracing and XLA compilation are included;
- ``estimator_fresh_empty_cache``: the first fit of a fresh process whose
  persistent compilation cache (on by default) is empty: a first run ever;
- ``estimator_diskcache``: the same in a fresh process whose default cache
  already holds the programs (every later run of a script, every joblib
  worker);
- ``estimator_warm``: a second fit in the same process;
- ``floor``: the compute alone, all 72 simulations in one compiled call.

Run: ``python benchmarks/bench_seed000.py [--repeats N]``.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

# the in-process rows measure compilation itself: no persistent cache there
# (children get their own cache directory below)
os.environ.setdefault("BRAINESTIMATORS_CACHE", "off")

import brainmass
import brainstate
import braintools
import brainunit as u
import jax
import jax.numpy as jnp
import numpy as np
from brainstate.nn import Param, SigmoidT

from brainestimators import HopfRegressor, Nevergrad, clear_cache

DT = 0.1 * u.ms


def make_hopf(a, trainable=False):
    a_param = Param(a, t=SigmoidT(0.05, 3.0), fit=True) if trainable else a
    return brainmass.HopfStep(in_size=1, a=a_param, w=0.3, init_x=braintools.init.Constant(0.5),
                              init_y=braintools.init.Constant(0.0))


def settled_x(node):
    return brainmass.Simulator(node, dt=DT).run(300.0 * u.ms, monitors=["x"],
                                                transient=150.0 * u.ms)["x"]


def amplitude(x):
    x = u.get_magnitude(x)
    return jnp.sqrt(jnp.mean(x**2)) * jnp.sqrt(2.0)


TARGET_X = np.asarray(u.get_magnitude(settled_x(make_hopf(1.5))))
TARGET_AMP = float(amplitude(TARGET_X))


def run_fitter(seed):
    brainstate.environ.set(dt=DT)
    brainstate.random.seed(seed)

    def loss_fn(model):
        amp = amplitude(settled_x(model))
        return (amp - TARGET_AMP) ** 2, amp

    t = time.perf_counter()
    res = brainmass.Fitter(make_hopf(0.1, trainable=True), {"method": "DE", "n_sample": 6},
                           loss_fn=loss_fn, backend="nevergrad").fit(n_steps=12)
    return time.perf_counter() - t, float(res.best_params["a"]), float(res.best_loss)


def amplitude_loss(prediction, target):
    return (amplitude(prediction) - amplitude(target)) ** 2


def run_estimator(seed):
    est = HopfRegressor(w=0.3, initial_state={"x": 0.5, "y": 0.0}, transient=150.0,
                        bounds={"a": (0.05, 3.0)}, init={"a": 1.525}, objective=amplitude_loss,
                        backend="nevergrad", max_iter=12,
                        # DE with a population of 6, exactly as the Fitter runs it
                        optimizer=Nevergrad("DE", n_sample=6, options={"popsize": 6}),
                        random_state=seed)
    t = time.perf_counter()
    est.fit(TARGET_X[None])
    return time.perf_counter() - t, est.best_params_["a"], est.best_loss_, len(est.history_)


def physical_floor():
    """Compute time of the 72 simulations in one compiled, vmapped call."""
    est = HopfRegressor(w=0.3, initial_state={"x": 0.5, "y": 0.0}, transient=150.0,
                        bounds={"a": (0.05, 3.0)}, objective=amplitude_loss,
                        backend="nevergrad", max_iter=1).fit(TARGET_X[None])
    from brainestimators._evaluator import _CACHE

    ev = next(e for c, e in _CACHE.items() if c.objective.loss is amplitude_loss)
    args = (est._fixed(1, ("a",)), None, jnp.asarray(TARGET_X[None], jnp.float32),
            jax.random.key(0))
    thetas = jnp.linspace(0.05, 3.0, 72, dtype=jnp.float32)[:, None]
    ev.batch_loss(thetas, *args).block_until_ready()
    times = []
    for _ in range(20):
        t = time.perf_counter()
        ev.batch_loss(thetas, *args).block_until_ready()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def run_in_fresh_process(seed, cache):
    """The first fit of a new process with the default cache pointed at ``cache``."""
    env = dict(os.environ, BRAINESTIMATORS_CACHE=cache)
    out = subprocess.run([sys.executable, __file__, "--child", str(seed)], env=env,
                         check=True, capture_output=True, text=True, timeout=600)
    return tuple(json.loads(out.stdout.strip().splitlines()[-1]))


def main(repeats=3):
    rows = {"fitter": [], "estimator_cold": [], "estimator_fresh_empty_cache": [],
            "estimator_diskcache": [], "estimator_warm": []}
    for seed in range(repeats):
        rows["fitter"].append(run_fitter(seed))
    for seed in range(repeats):
        clear_cache()
        jax.clear_caches()
        rows["estimator_cold"].append(run_estimator(seed))
        rows["estimator_warm"].append(run_estimator(seed))
    for seed in range(repeats):
        with tempfile.TemporaryDirectory() as cache:
            rows["estimator_fresh_empty_cache"].append(run_in_fresh_process(seed, cache))
    with tempfile.TemporaryDirectory() as cache:
        run_in_fresh_process(0, cache)  # fills the disk cache
        for seed in range(repeats):
            rows["estimator_diskcache"].append(run_in_fresh_process(seed, cache))
    floor = physical_floor()
    med = {k: float(np.median([r[0] for r in v])) for k, v in rows.items()}
    print(f"seed-000 DE 6x12 (72 simulations), median of {repeats} seeds")
    print(f"{'':<22}{'wall s':>10}{'fitted a':>12}{'best loss':>12}{'vs Fitter':>11}")
    for k, v in rows.items():
        a = np.median([r[1] for r in v])
        loss = np.median([r[2] for r in v])
        print(f"{k:<22}{med[k]:>10.4f}{a:>12.4f}{loss:>12.2e}{med['fitter'] / med[k]:>10.0f}x")
    print(f"{'floor (compute only)':<22}{floor:>10.4f}{'':>24}{med['fitter'] / floor:>10.0f}x")
    result = {"median_wall_s": med, "floor_s": floor,
              "runs": {k: [list(map(float, r)) for r in v] for k, v in rows.items()}}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child is not None:
        print(json.dumps([float(v) for v in run_estimator(args.child)]))
    else:
        main(args.repeats)
