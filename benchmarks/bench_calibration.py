"""Calibration of the uncertainty estimates on synthetic cohorts at known parameters.

Twenty independent cohorts are drawn from a noise-driven Hopf oscillator at
known ``a`` (damping) and ``w`` (frequency); each is fitted with
``uncertainty='sandwich'`` and with ``uncertainty='bootstrap'``, and the
script counts how often the truth lies inside ``conf_int(0.05)`` and how wide
the intervals are against the box. It also times the parametric bootstrap
(B = 32 cohorts refitted as one batched fit) against one fit.

The objective is the mean squared difference of log Welch spectra: smooth
(the sandwich needs a twice differentiable loss) and, unlike a correlation,
without a pull towards sharper simulated spectra (the log-periodogram's noise
does not depend on the parameters).

Run: ``python benchmarks/bench_calibration.py [--cohorts 20]``.
"""

import argparse
import time
import warnings

import braintools
import jax.numpy as jnp
import numpy as np
from sklearn.base import clone

import brainestimators as be
from brainestimators.datasets import make_recordings

TRUTH = {"a": -0.05, "w": 0.1}
BOUNDS = {"a": (-0.25, -0.005), "w": (0.02, 0.3)}
COMMON = dict(noise_sigma=0.05, dt=1.0, sample_dt=5.0, transient=200.0)
N_ROWS, N_TIME = 8, 1000


def log_psd_mse(nperseg=64):
    """Mean squared difference of the log Welch spectra (DC left out)."""

    def loss(prediction, target):
        _, p = braintools.metric.power_spectral_density(prediction, 1.0, nperseg=nperseg)
        _, q = braintools.metric.power_spectral_density(target, 1.0, nperseg=nperseg)
        return jnp.mean((jnp.log(p[1:] + 1e-20) - jnp.log(q[1:] + 1e-20)) ** 2)

    return loss


OBJECTIVE = log_psd_mse()


def estimator(**kw):
    return be.HopfRegressor(**COMMON, bounds=BOUNDS, objective=OBJECTIVE,
                            optimizer=be.Optax("adam", 0.1), max_iter=200, tol=1e-5,
                            n_iter_no_change=10, **kw)


def cohort(c):
    return make_recordings(be.HopfRegressor(**TRUTH, **COMMON), N_ROWS, N_TIME,
                           random_state=1000 + c)


def calibrate(n_cohorts):
    out = {m: {"inside": {k: 0 for k in TRUTH}, "width": {k: [] for k in TRUTH}}
           for m in ("sandwich", "bootstrap")}
    for c in range(n_cohorts):
        X = cohort(c)
        line = [f"cohort {c:2d}"]
        for method in out:
            est = estimator(uncertainty=method, random_state=c).fit(X)
            ci = est.conf_int(0.05)
            for k, v in TRUTH.items():
                lo, hi = ci[k]
                out[method]["inside"][k] += int(lo <= v <= hi)
                out[method]["width"][k].append((hi - lo) / (BOUNDS[k][1] - BOUNDS[k][0]))
                line.append(f"{method[:4]} {k} {est.best_params_[k]:+.4f} [{lo:+.4f}, {hi:+.4f}]")
        print("  ".join(line), flush=True)
    print(f"\n{n_cohorts} cohorts, truth {TRUTH}, box {BOUNDS}")
    print(f"{'method':<10}{'param':>6}{'coverage':>10}{'mean width / box':>18}")
    for method, r in out.items():
        for k in TRUTH:
            print(f"{method:<10}{k:>6}{r['inside'][k]:>7}/{n_cohorts}"
                  f"{np.mean(r['width'][k]):>18.1%}")
    return out


def bootstrap_cost(repeats=5):
    """Seconds of one fit and of the B = 32 bootstrap refit (both compiled), medians."""
    import dataclasses

    from brainestimators._bootstrap import bootstrap
    from brainestimators._border import model_of, setup

    X = cohort(0)
    est = estimator(random_state=0)
    plan, drive, target, _ = setup(est, model_of(est), X, None, reset=True)
    fit_s, boot_s = [], []
    for r in range(repeats + 1):  # the first round compiles
        t = time.perf_counter()
        fitted = clone(est).fit(X)
        t1 = time.perf_counter()
        theta = plan.layout.flatten(fitted.best_params_)
        bootstrap(dataclasses.replace(plan, seed=fitted.noise_seed_), theta, target, drive, 32)
        t2 = time.perf_counter()
        if r:
            fit_s.append(t1 - t)
            boot_s.append(t2 - t1)
    f, b = np.median(fit_s), np.median(boot_s)
    print(f"\none fit {f:.3f} s; bootstrap B=32 (simulate + one batched refit) {b:.3f} s: "
          f"{b / f:.1f}x one fit, {b / (32 * f):.2f}x 32 separate fits (medians of {repeats}, "
          "compiled)")
    return f, b


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cohorts", type=int, default=20)
    p.add_argument("--cost-only", action="store_true")
    args = p.parse_args()
    warnings.simplefilter("ignore", UserWarning)
    bootstrap_cost()
    if not args.cost_only:
        calibrate(args.cohorts)


if __name__ == "__main__":
    main()
