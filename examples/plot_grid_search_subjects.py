"""
Grid search across subjects
===========================

Subjects are samples: a stack of recordings ``(n_subjects, n_time,
n_regions)`` goes straight into scikit-learn's model selection. Here a
cohort of 6 synthetic subjects is simulated from a 4-region Hopf network at
a known coupling ``k = 0.5``; a :class:`~sklearn.model_selection.GridSearchCV`
picks the coupling whose simulated functional connectivity (FC) is closest to
held-out subjects' FC, while the noise level is fitted on the training
subjects inside every fold. The compiled evaluator is shared by every candidate and fold.
"""

# %%
# A synthetic cohort at known parameters
# --------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV, KFold

import brainestimators as be
from brainestimators.datasets import make_recordings

rng = np.random.default_rng(0)
C = rng.uniform(0, 1, (4, 4))
C = np.triu(C, 1) + np.triu(C, 1).T
common = dict(a=-0.05, w=0.3, connectivity=C, sample_dt=1.0, transient=100.0)
truth = be.HopfRegressor(k=0.5, noise_sigma=0.05, **common)
X = make_recordings(truth, n_samples=6, n_time=600, random_state=0)
print("cohort:", X.shape)

# %%
# Grid search over a fixed parameter, fitting another inside each fold
# --------------------------------------------------------------------
# ``k`` is a constructor argument, so ``GridSearchCV`` searches it by name;
# ``bounds`` fits the noise level ``noise_sigma`` (matching the regions'
# standard deviations) on the training subjects of every fold; candidates are
# ranked by the RMSE between simulated and held-out FC (the FC correlation,
# blind to the strength of the correlations, keeps rising with k).
est = be.HopfRegressor(bounds={"noise_sigma": (0.01, 0.2)}, objective="std_rmse",
                       backend="nevergrad", max_iter=4, random_state=0, **common)
be.clear_cache()
gs = GridSearchCV(est, {"k": [0.0, 0.25, 0.5, 1.0, 2.0]}, cv=KFold(3),
                  scoring=be.get_scorers("fc_rmse", "fc_corr"), refit="fc_rmse")
gs.fit(X)
print("best k:", gs.best_params_["k"], " held-out FC RMSE: %.3f" % -gs.best_score_)
print("evaluators compiled:", be.cache_info()["evaluators"])

# %%
# Held-out FC correlation against the coupling
# --------------------------------------------
ks = gs.cv_results_["param_k"].astype(float)
mean, sd = gs.cv_results_["mean_test_fc_rmse"], gs.cv_results_["std_test_fc_rmse"]
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.errorbar(ks, -mean, yerr=sd, marker="o")
ax.axvline(0.5, ls="--", c="gray", label="true k")
ax.set_xlabel("global coupling k")
ax.set_ylabel("held-out FC RMSE")
ax.legend()
fig.tight_layout()
