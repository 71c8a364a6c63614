"""The effective-connectivity model's time scale, chosen by the simulated FCD.

The EC model is fitted analytically (``fc_from='moments'``): its FC is the
linearised model's. Two things the analytic FC fit leaves open decide its
FCD (the similarity of 30-TR windows' FCs, compared as a distribution by
``fcd_ks``):

- the FC's *contrast* (the spread of its off-diagonal values). ``fc_corr`` is
  blind to it: on HCP the EC fitted to ``fc_corr`` alone has edges of spread
  0.08 against the data's 0.24, so its windows' FCs are mostly sampling noise
  and its FCD sits near 0.1 (the data's 0.44; KS 0.92, and still 0.78 at the
  best time scale). Fitting the EC to ``fc_corr + fc_rmse`` (the FC's values
  too) gives the contrast (spread 0.18) at a held-out analytic FC of 0.806
  instead of 0.816: that is the job's EC objective;
- the model's *speed*. Scaling the bifurcation parameter ``a`` and the
  coupling ``k`` by one factor ``m`` (the EC and the intrinsic frequencies
  ``w`` fixed) makes the linearised dynamics about ``m`` times faster: the FC
  barely moves (HCP, factors 1-6: held-out expected FC 0.800-0.806) while
  the windows see more independent samples and the FCD rises (mean 0.26 at
  ``m = 1`` to 0.48 at ``m = 6``; held-out KS 0.49 at 1, 0.26 at 3).

:func:`choose_timescale` picks ``m`` from :data:`FACTORS` by simulation on the
training subjects only: each factor's ``n_draws`` recordings, scored as the
*expected* statistics (FC of the draws' mean FC against the training mean FC,
FCD KS of the draws' pooled FCD against the training subjects' pooled FCD),
``(1 - FC) + FCD_WEIGHT * KS``, in increasing order, stopping after
:data:`PATIENCE` factors in a row whose loss is above the best so far (the
largest factors cost the most: the integration step shrinks with ``k``). On
HCP the training loss fell to a minimum at 3 or 4 and rose after it; on GW
it still fell at 6 in 4 of 5 folds, with rises of up to 0.005 on the way
from draw noise, so one rise is not enough to stop and the grid goes on to
12. The noise is set by :data:`LINEAR_NOISE`
relative to ``|a|`` so that the simulated nonlinear Hopf model is in the
regime its analytic fit describes (its simulated mean FC then equals the
analytic FC: HCP, 16 draws, 0.806 and 0.806; at the recipe's noise, 6e-4,
the model is far into its nonlinear regime and the same EC's mean FC falls
to 0.756, its FCD KS is 0.63). Figures: ``benchmarks/bench_ec_timescale.py``.

:func:`expected_scores` is what a held-out subject is scored with: the FC
correlation of the mean FC of ``n_draws`` simulations (the model's expected
FC; one 1200-TR draw is a noisy estimate of it) and the KS distance of the
draws' pooled FCD, together with the mean one-draw FC for comparison.
"""

import numpy as np

from ._heldout import corr_upper, fc_of, fcd_ks, fcd_values
from ._recipes import TRANSIENT_MS, integration_step

__all__ = ["FACTORS", "FCD_WEIGHT", "LINEAR_NOISE", "PATIENCE", "at_timescale",
           "choose_timescale", "expected_scores"]

#: Candidate speed-up factors of ``a`` and ``k`` (the EC's time scale). On HCP
#: the training FCD chose 3 or 4 in every fold; on GW the training loss still
#: fell at 6.
FACTORS = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0)
#: Factors in a row above the best training loss after which the search stops.
PATIENCE = 2
#: Weight of the FCD KS against ``1 - FC`` in the choice (the recipe's
#: ``fcd_ks`` weight, ``_recipes.OBJECTIVE``). The FC moves by less than 0.01
#: over :data:`FACTORS`, so the FCD decides: weights 0.25-2 chose the same
#: factors on HCP.
FCD_WEIGHT = 0.5
#: ``noise_sigma / |a|``: the simulated model's stationary ``|z|^2`` is then
#: about ``LINEAR_NOISE**2 |a| / 2``, negligible against ``|a|`` (the cubic
#: term does not act), whatever the factor.
LINEAR_NOISE = 0.1


def at_timescale(est, factor, k, a):
    """``est`` (fitted EC, ``fc_from='simulation'``) with ``a`` and ``k`` scaled by ``factor``.

    Also sets the noise (:data:`LINEAR_NOISE`), an integration step for the
    faster coupling and a transient of whole steps. Modifies and returns ``est``.
    """
    k, a = k * factor, a * factor
    rho = float(np.max(np.abs(np.linalg.eigvals(est.effective_connectivity_))))
    dt = integration_step(est.sample_dt, 2 * k * rho)
    return est.set_params(k=k, a=a, noise_sigma=LINEAR_NOISE * abs(a), dt=dt,
                          transient=dt * np.ceil(TRANSIENT_MS / dt - 1e-9))


def _draw_stats(est, like, n_draws, seed):
    runs = est.simulate(n_draws, X=like, random_state=seed)
    fcs = fc_of(runs)
    return fcs, np.concatenate([fcd_values(r) for r in runs])


def choose_timescale(est, X_train, factors=FACTORS, n_draws=8, weight=FCD_WEIGHT,
                     random_state=0):
    """Pick the time-scale factor on the training subjects (see the module docstring).

    Parameters
    ----------
    est : HopfRegressor
        A fitted EC model (``bounds={'connectivity': ...}``); switched to
        simulation and left at the chosen factor.
    X_train : ndarray of shape (n_subjects, n_time, n_regions)
        The training recordings (demeaned).
    factors : sequence of float
        Candidate factors of ``a`` and ``k``, tried in increasing order until
        :data:`PATIENCE` in a row are worse than the best.
    n_draws : int
        Simulations per factor (the expected FC is their mean FC, the FCD
        their pooled FCD).
    weight : float
        Weight of the FCD KS.
    random_state : int
        Seed of the draws (the same for every factor).

    Returns
    -------
    est : HopfRegressor
        ``est`` at the chosen factor.
    table : list of dict
        Per factor tried: ``factor``, training ``fc``, ``fcd_ks`` and ``loss``.
    """
    k, a = est.k, est.a
    target_fc = fc_of(X_train).mean(axis=0)
    target_fcd = np.concatenate([fcd_values(x) for x in X_train])
    est.set_params(fc_from="simulation")
    table = []
    for factor in sorted(factors):
        fcs, fcd = _draw_stats(at_timescale(est, factor, k, a), X_train[:1], n_draws,
                               random_state)
        fc, ks = corr_upper(fcs.mean(axis=0), target_fc), fcd_ks(fcd, target_fcd)
        table.append({"factor": float(factor), "fc": fc, "fcd_ks": ks,
                      "loss": (1.0 - fc) + weight * ks})
        best = min(range(len(table)), key=lambda j: table[j]["loss"])
        if len(table) - 1 - best >= PATIENCE:
            break
    best = min(table, key=lambda r: r["loss"])
    return at_timescale(est, best["factor"], k, a), table


def expected_scores(est, X, n_draws=16, random_state=0):
    """Held-out scores of ``est``'s expected statistics against one recording ``X[0]``.

    Returns
    -------
    dict
        ``fc``: FC correlation of the mean FC of ``n_draws`` simulations;
        ``fcd_ks``: KS distance of their pooled FCD to ``X[0]``'s FCD;
        ``fc_one_draw``: the mean over draws of one draw's FC correlation.
    """
    fcs, fcd = _draw_stats(est, X[:1], n_draws, random_state)
    held = fc_of(X[0])
    return {"fc": corr_upper(fcs.mean(axis=0), held),
            "fcd_ks": fcd_ks(fcd, fcd_values(X[0])),
            "fc_one_draw": float(np.mean([corr_upper(f, held) for f in fcs]))}
