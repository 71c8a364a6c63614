"""
Whole-brain fitting, leave one subject out
==========================================

The README's quick example in small. :meth:`HopfRegressor.for_recordings
<brainestimators.HopfRegressor.for_recordings>` builds a whole-brain Hopf
model whose every setting follows from the sampling interval and the
connectome by a stated rule (intrinsic frequencies from the training
subjects' spectra, the coupling box per unit of node strength, the
integration step from the connectome's stiffness), with regional
heterogeneity on three brain maps and a joint FC + FCD objective. The same
call, unchanged, goes straight into ``cross_val_score``: every map and
frequency of a fold comes from that fold's training subjects.

Here it runs on a small synthetic cohort with a shortened fit (15 gradient
steps) so that the gallery builds quickly; with the ``data`` extra,
``load_gw(cortical_only=True)`` or ``load_hcp(cortical_only=True)`` give the
real recordings in the same shape (``benchmarks/bench_realdata.py`` runs the
full recipe on both).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import LeaveOneOut, cross_validate

import brainestimators as be
from brainestimators.datasets import make_hopf_cohort
from brainestimators.plotting import plot_cv_scores, plot_fc_comparison

data = make_hopf_cohort(n_subjects=4, n_regions=12, n_time=300, random_state=0)
X = data.bold  # (n_subjects, n_time, n_regions)

est = be.HopfRegressor.for_recordings(data.tr, data.sc, max_iter=15, random_state=0)
print({k: est.get_params()[k] for k in ("dt", "bounds", "per_region", "objective")})

# %%
# Held-out FC correlation and FCD KS distance, one fit per held-out subject
# --------------------------------------------------------------------------
# ``get_scorers`` of the joint objective reports its terms; all scores of a
# fold come from one simulation.
cv = cross_validate(est, X, cv=LeaveOneOut(), scoring=be.get_scorers(est.objective),
                    return_estimator=True)
print("held-out FC correlation:", np.round(cv["test_fc_corr"], 3))
print("held-out FCD KS distance:", np.round(-cv["test_fcd_ks"], 3))

# %%
# Against the references: the structural connectivity alone and the other
# subjects' mean FC (the most a group model can reach)
fc = np.stack([np.corrcoef(x.T) for x in X])
iu = np.triu_indices(X.shape[2], 1)


def corr(A, B):
    return np.corrcoef(A[iu], B[iu])[0, 1]


floor = [corr(data.sc, fc[i]) for i in range(len(X))]
ceiling = [corr(np.delete(fc, i, axis=0).mean(axis=0), fc[i]) for i in range(len(X))]
plot_cv_scores(cv["test_fc_corr"], floor, ceiling, labels=data.subjects)

# %%
# The last fold's fitted maps and its simulated FC
# ------------------------------------------------
last = cv["estimator"][-1]
print({k: round(v, 6) for k, v in last.best_params_.items()})
plot_fc_comparison(X[-1], np.corrcoef(last.simulate(1, X=X[-1:], random_state=0)[0].T))
plt.show()
