"""The main job: recover known parameters from a synthetic cohort with every backend.

A 6-region Hopf network (random structural connectivity, noise) is simulated
for several subjects at a known bifurcation parameter ``a`` and coupling
``k``; each backend fits both through ``estimator.fit(recordings)`` with the
FC-correlation objective, and a table shows the fitted values, the loss and
the wall time.
"""

import argparse
import time

import numpy as np
from brainmass import objectives

from . import HopfRegressor, Nevergrad, Optax, Scipy, std_rmse
from .datasets import make_recordings

TRUE = {"a": -0.1, "k": 0.6}


def _network(n, seed=0):
    rng = np.random.default_rng(seed)
    C = rng.uniform(0, 1, (n, n)) * (rng.uniform(size=(n, n)) < 0.6)
    C = np.triu(C, 1)
    C = C + C.T
    return C / C.sum(axis=1).mean()


OBJECTIVE = objectives.combine((1.0, objectives.fc_corr(as_loss=True)), (1.0, std_rmse()))


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m brainestimators", description=__doc__.splitlines()[0])
    p.add_argument("--subjects", type=int, default=4)
    p.add_argument("--regions", type=int, default=6)
    p.add_argument("--n-time", type=int, default=2000)
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    C = _network(args.regions)
    common = dict(w=0.3, connectivity=C, noise_sigma=0.05, sample_dt=1.0, transient=50.0)
    truth = HopfRegressor(a=TRUE["a"], k=TRUE["k"], **common)
    X = make_recordings(truth, args.subjects, args.n_time, random_state=0)
    print(f"synthetic cohort: {X.shape[0]} subjects x {X.shape[1]} samples x {X.shape[2]} "
          f"regions, true a={TRUE['a']}, k={TRUE['k']}")
    bounds = {"a": (-0.5, 0.3), "k": (0.0, 1.5)}
    runs = [
        ("grad", Optax("adam", learning_rate=0.1), 60),
        ("nevergrad", Nevergrad("DE", n_sample=8), 25),
        ("scipy", Scipy("differential_evolution", popsize=5), 20),
    ]
    print(f"{'backend':<11}{'a':>8}{'k':>8}{'loss':>9}{'evals':>7}{'time s':>8}")
    for backend, opt, n in runs:
        est = HopfRegressor(bounds=bounds, objective=OBJECTIVE, backend=backend, optimizer=opt,
                            max_iter=n, random_state=0, verbose=not args.quiet, **common)
        t = time.perf_counter()
        est.fit(X)
        dt = time.perf_counter() - t
        bp = est.best_params_
        print(f"{backend:<11}{bp['a']:>8.3f}{bp['k']:>8.3f}{est.best_loss_:>9.4f}"
              f"{len(est.history_):>7}{dt:>8.2f}")
    return 0
