"""Every registered objective's gradient, in every mode the ``grad`` backend uses.

The backend differentiates a few parameters in forward mode (``jvp`` per
parameter, vmapped over rows, jitted) and many in reverse mode; a fit is one
row, restarts, folds and Pareto weightings are several. Each must equal
finite differences of the plain loss: ``fcd_ks``'s ``max`` once gave a
forward-mode gradient 10-20 % off with one row and of the wrong sign with
two (issue 16, r2-03).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainestimators import _evaluator
from brainestimators._evaluator import Evaluator, unbox
from brainestimators._objectives import OBJECTIVES
from brainestimators._plan import start_point
from brainestimators.datasets import make_hopf_cohort

from _data import whole_brain_hopf

# 3 regions and 40 samples: the fewest every registered objective accepts.
_COHORT = make_hopf_cohort(n_subjects=2, n_regions=3, n_time=40, random_state=0)


def _problem(objective):
    est = whole_brain_hopf(_COHORT, objective=objective, noise_sigma=2e-3,
                           bounds={"k": (0.0, 8e-3), "a": (-2e-4, 5e-5)})
    plan, _, target, _ = est._plan(est._model(), _COHORT.bold, None, reset=True)
    lo, hi = (jnp.asarray(v, jnp.float32) for v in (plan.layout.lo_flat, plan.layout.hi_flat))
    z0 = unbox(jnp.asarray(start_point(est._model(), plan), jnp.float32), lo, hi)
    return plan, lo, hi, z0, jnp.asarray(target, jnp.float32)


@pytest.mark.parametrize("name", sorted(OBJECTIVES))
def test_gradient_equals_finite_differences_in_every_mode(name, monkeypatch):
    plan, lo, hi, z0, target = _problem(name)
    key = jax.random.key(3)
    f = jax.jit(lambda z: plan.evaluator.loss_z_fn(z, lo, hi, plan.fixed, None, target, key))
    rows = jnp.stack([z0, z0 + jnp.asarray([0.4, -0.3])])  # two different points
    h = 1e-2
    fd = np.array([[(f(z + h * e) - f(z - h * e)) / (2 * h) for e in jnp.eye(2)] for z in rows])
    scale = np.abs(fd).max()
    assert scale > 0, f"{name}: the loss does not move, the check would be empty"
    for forward_max in (4, 0):  # 2 parameters: forward mode, then reverse mode
        monkeypatch.setattr(_evaluator, "_FORWARD_MAX", forward_max)
        ev = Evaluator(plan.evaluator.cfg)  # a fresh one: the mode is fixed when compiled
        for n_rows in (1, 2):
            tg = jnp.broadcast_to(target[None], (n_rows,) + target.shape)
            if ev.prepare_rows is not None:
                tg = ev.prepare_rows(tg)
            values, grads = ev.rows_value_and_grad_z(rows[:n_rows], lo, hi, plan.fixed, None,
                                                     tg, key, {})
            mode = "forward" if forward_max else "reverse"
            np.testing.assert_allclose(values, [f(z) for z in rows[:n_rows]], rtol=1e-4,
                                       err_msg=f"{name}, {mode} mode, {n_rows} rows: values")
            np.testing.assert_allclose(
                grads, fd[:n_rows], rtol=0.05, atol=0.02 * scale,
                err_msg=f"{name}, {mode} mode, {n_rows} rows: gradient vs finite differences")
