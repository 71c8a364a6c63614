"""
Several metrics, one simulation per fold
========================================

Objectives double as scikit-learn scorers with the right sign: the FC
correlation and the PSD correlation are maximised, RMSE and the FCD
Kolmogorov-Smirnov distance are minimised (scored as their negative).
``cross_validate`` with a dict of scorers simulates the fitted model once per
fold and scores that one prediction with every metric.
"""

# %%
import numpy as np
import pandas as pd
from sklearn.model_selection import LeaveOneGroupOut, cross_validate

import brainestimators as be
from brainestimators.datasets import make_recordings

# 4 subjects x 2 sessions from a 4-region Hopf network at coupling k = 0.5
rng = np.random.default_rng(0)
C = rng.uniform(0, 1, (4, 4))
C = np.triu(C, 1) + np.triu(C, 1).T
common = dict(a=-0.05, w=0.3, connectivity=C, noise_sigma=0.05, sample_dt=1.0, transient=100.0)
X = make_recordings(be.HopfRegressor(k=0.5, **common), n_samples=8, n_time=500, random_state=0)
subjects = np.repeat(np.arange(4), 2)

# fit k on the training subjects (FC RMSE); score the held-out subject with four metrics
est = be.HopfRegressor(bounds={"k": (0.0, 2.0)}, objective="fc_rmse", backend="nevergrad",
                       max_iter=5, random_state=0, **common)
scoring = be.get_scorers("fc_corr", "psd_corr", "std_rmse", "fcd_ks")
be.clear_cache()
res = cross_validate(est, X, groups=subjects, cv=LeaveOneGroupOut(), scoring=scoring,
                     return_estimator=True)

# %%
# One row per held-out subject: the fitted coupling and every metric
# (greater is better for all of them; distances are negated).
table = pd.DataFrame({"k": [e.best_params_["k"] for e in res["estimator"]],
                      **{name: res[f"test_{name}"] for name in scoring}})
print(table.round(3))
