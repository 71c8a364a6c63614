"""Every registered objective's gradient, in every mode the ``grad`` backend uses.

The backend differentiates a few parameters in forward mode (``jvp`` per
parameter, vmapped over rows, jitted) and many in reverse mode; a fit is one
row, restarts, folds and Pareto weightings are several. Each must equal
finite differences of the plain loss: ``fcd_ks``'s ``max`` once gave a
forward-mode gradient 10-20 % off with one row and of the wrong sign with
two (issue 16, r2-03). The default suite checks the objectives alone on
synthetic recordings (fast); the slow set runs the evaluator's programs.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from brainestimators import _evaluator
from brainestimators._evaluator import Evaluator, unbox
from brainestimators._objectives import OBJECTIVES
from brainestimators._border import model_of, setup
from brainestimators.datasets import make_hopf_cohort

from _data import whole_brain_hopf

# 3 regions (the fewest every registered objective accepts) and 60 samples: 7 FCD windows,
# enough for the FCD distances to move with the parameters.
_COHORT = make_hopf_cohort(n_subjects=2, n_regions=3, n_time=60, random_state=0)


def _problem(objective):
    est = whole_brain_hopf(_COHORT, objective=objective, noise_sigma=2e-3,
                           bounds={"k": (0.0, 8e-3), "a": (-2e-4, 5e-5)})
    plan, _, target, _ = setup(est, model_of(est), _COHORT.bold, None, reset=True)
    lo, hi = (jnp.asarray(v, jnp.float32) for v in (plan.layout.lo_flat, plan.layout.hi_flat))
    z0 = unbox(jnp.asarray(plan.x0, jnp.float32), lo, hi)
    return plan, lo, hi, z0, jnp.asarray(target, jnp.float32)


@pytest.mark.slow  # 4 compilations of a simulation per objective (20-90 s each on 2 cores)
@pytest.mark.parametrize("name", sorted(OBJECTIVES))
def test_gradient_equals_finite_differences_in_every_mode(name, monkeypatch):
    """The backend's own programs on a tiny whole-brain fit."""
    plan, lo, hi, z0, target = _problem(name)
    key = jax.random.key(3)
    f = jax.jit(lambda z: plan.evaluator.loss_z_fn(z, lo, hi, plan.fixed, None, target, key))
    rows = jnp.stack([z0, z0 + jnp.asarray([0.4, -0.3])])  # two different points
    h = 1e-2
    fd = np.array([[(f(z + h * e) - f(z - h * e)) / (2 * h) for e in jnp.eye(2)] for z in rows])
    scale = np.abs(fd).max()
    assert scale > 1e-4 * abs(float(f(rows[0]))), f"{name}: the loss does not move here"
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


def _signal(z, t, phases, wiggle):
    """A 3-region recording that moves smoothly with z (2,): no simulation, compiles fast."""
    return jnp.sin(t[:, None] * 0.3 * (1 + 0.2 * z[0]) + phases) + (0.3 + 0.2 * z[1]) * wiggle


@pytest.mark.parametrize("name", sorted(OBJECTIVES))
def test_objective_gradient_batched_over_targets_equals_finite_differences(name):
    """The objectives alone, on synthetic recordings: ``jit(vmap(jvp))`` over rows with a
    batched target (the backend's forward mode) equals finite differences."""
    rng = np.random.default_rng(0)
    t = jnp.arange(80.0)
    phases = jnp.asarray([0.0, 0.7, 1.9])
    wiggle = jnp.asarray(rng.normal(size=(80, 3)), jnp.float32)
    targets = jnp.stack([_signal(jnp.asarray([0.3 * i, -0.2 * i]), t, phases,
                                 jnp.asarray(rng.normal(size=(80, 3)), jnp.float32))
                         for i in range(3)])
    loss = OBJECTIVES[name].loss

    def f(z, targets):
        return jnp.mean(jax.vmap(lambda q: loss(_signal(z, t, phases, wiggle), q))(targets))

    def forward(z, targets):
        return jax.vmap(lambda e: jax.jvp(lambda v: f(v, targets), (z,), (e,))[1])(jnp.eye(2))

    z = jnp.asarray([[-0.3, 0.4], [-0.5, 0.7]], jnp.float32)  # away from the targets: no kink
    h = 1e-2
    fd = np.array([[(f(zz + h * e, targets) - f(zz - h * e, targets)) / (2 * h)
                    for e in jnp.eye(2)] for zz in z])
    batched = jnp.broadcast_to(targets[None], (2,) + targets.shape)
    scale = np.abs(fd).max()
    for got, how in [(jax.jit(jax.vmap(forward))(z, batched), "jit(vmap(jvp))"),
                     (jax.jit(jax.vmap(jax.grad(f)))(z, batched), "jit(vmap(grad))")]:
        np.testing.assert_allclose(got, fd, rtol=0.05, atol=0.02 * scale,
                                   err_msg=f"{name}: {how} vs finite differences")
