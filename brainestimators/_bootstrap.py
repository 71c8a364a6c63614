"""The parametric bootstrap: cohorts simulated at the optimum, refitted as one batched fit."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from ._fit import run_fit
from ._predict import sample as _sample_rows

__all__ = ["bootstrap"]


def bootstrap(plan, theta, target, drive, n_cohorts):
    """Refits of ``n_cohorts`` cohorts simulated at ``theta``, as one batched fit.

    Each cohort is shaped like the fit's ``target`` (and ``drive``); the
    refits use the plan's seed and stopping settings, without the user's
    callback.

    Returns
    -------
    ndarray of shape (n_found, P)
        The refitted parameters (replicates where every candidate diverged
        are left out).
    """
    th = jnp.asarray(theta, jnp.float32)
    n = target.shape[0]
    key = jax.random.key(plan.seed)
    data_keys = jax.random.split(jax.random.fold_in(key, 3), n_cohorts * n)
    if plan.config.mode == "target":
        cohorts = _sample_rows(plan, th, None, data_keys).reshape(
            (n_cohorts, n) + target.shape[1:])
        drives = None
    else:  # every row of every cohort with its own noise, under its own drive
        d = jnp.asarray(drive, jnp.float32)
        cohorts = np.stack([_sample_rows(plan, th, d[i:i + 1], data_keys[i::n])[:, 0]
                            for i in range(n)], axis=1)
        drives = np.broadcast_to(np.asarray(drive)[None], (n_cohorts,) + drive.shape)
    plan = dataclasses.replace(plan, stopping=dataclasses.replace(
        plan.stopping, callback=None, label=plan.stopping.label.replace("]", "] bootstrap")))
    res = run_fit(plan, cohorts, drives, np.tile(theta, (n_cohorts, 1)),
                  keys=jax.random.split(jax.random.fold_in(key, 4), n_cohorts))
    return np.asarray(res.theta, float)[res.found]
