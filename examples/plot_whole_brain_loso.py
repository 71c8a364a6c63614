"""
Whole-brain fitting, leave one subject out
==========================================

The main job (``python -m brainestimators``) in small: a cohort of subjects
simulated from a whole-brain Hopf model at known parameters (the embedded
default; with the ``data`` extra, :func:`~brainestimators.datasets.load_hcp`
gives the real HCP recordings in the same shape). For every held-out subject,
a coupling gain and a bifurcation parameter per region are fitted by
gradient descent through the simulation to the other subjects' functional
connectivity (FC), and the held-out FC is compared with the model's, with
two references on the same folds: the structural connectivity itself and the
training subjects' mean FC.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

import brainestimators as be
from brainestimators.datasets import make_hopf_cohort, peak_frequencies
from brainestimators.plotting import plot_cv_scores, plot_fc_comparison

data = make_hopf_cohort(n_subjects=4, n_regions=12, n_time=400, random_state=0)
X = data.bold - data.bold.mean(axis=1, keepdims=True)
fc = np.stack([np.corrcoef(x.T) for x in X])
iu = np.triu_indices(X.shape[2], 1)


def corr(A, B):
    return np.corrcoef(A[iu], B[iu])[0, 1]


# %%
# One fold per held-out subject
# -----------------------------
scores, floor, ceiling = [], [], []
for i in range(len(X)):
    train = np.delete(np.arange(len(X)), i)
    est = be.HopfRegressor(
        w=2 * np.pi * peak_frequencies(X[train], data.tr) / 1000, a=-2e-5, k=3.5e-3,
        noise_sigma=6e-4, connectivity=data.sc, dt=data.tr / 10, sample_dt=data.tr,
        transient=50 * data.tr, bounds={"k": (0.0, 8e-3), "a": (-1e-4, 5e-5)},
        per_region=("a", "k"), objective="fc_corr", optimizer=be.Optax("adam", 0.3),
        max_iter=40, random_state=i)
    est.fit(X[train])
    sim = est.simulate(4, random_state=i)
    fc_sim = np.mean([np.corrcoef(s.T) for s in sim], axis=0)
    scores.append(corr(fc_sim, fc[i]))
    floor.append(corr(data.sc, fc[i]))
    ceiling.append(corr(fc[train].mean(axis=0), fc[i]))
    print(f"{data.subjects[i]}: held-out FC corr {scores[-1]:.3f} "
          f"(SC {floor[-1]:.3f}, ceiling {ceiling[-1]:.3f})")

# %%
# Held-out scores against the references, and the last fold's FC
# --------------------------------------------------------------
plot_cv_scores(scores, floor, ceiling, labels=data.subjects)
plot_fc_comparison(X[-1], fc_sim)
plt.show()
