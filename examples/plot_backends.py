"""
Write the objective once, swap the backend
==========================================

brainmass's tutorial fits the same problem with a gradient optimizer,
nevergrad and scipy by changing one argument. Here is that tutorial with
:class:`~brainestimators.HopfRegressor`: a single Hopf node whose settled
limit-cycle amplitude is matched to a target generated at :math:`a^* = 1.5`,
with :math:`a` searched in the box :math:`(0.05, 3.0)`.

The objective is written once, as a plain ``objective(prediction, target)``
function (the brainmass contract), and the estimator is fitted three times
with ``backend='grad'``, ``'nevergrad'`` and ``'scipy'``. All three drive
the same compiled, vmapped evaluator.
"""

# %%
# The target
# ----------
# The target is simulated with brainmass directly: one node at ``a = 1.5``,
# started off its fixed point at ``x = 0.5``, run for 300 ms at
# ``dt = 0.1`` ms with the first 150 ms discarded as transient, which leaves
# 1500 samples. ``fit(X)`` takes a stack of recordings
# ``(n_samples, n_time, n_regions)``, so the single recording becomes
# ``X[None]``; the estimator's ``transient=150.0`` and the target's
# ``n_time`` reproduce the same simulation.

import brainmass
import braintools
import brainunit as u
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

from brainestimators import HopfRegressor, Nevergrad, Optax, Scipy

A_TRUE, BOX = 1.5, (0.05, 3.0)

node = brainmass.HopfStep(
    1, a=A_TRUE, w=0.3,
    init_x=braintools.init.Constant(0.5), init_y=braintools.init.Constant(0.0),
)
res = brainmass.Simulator(node, dt=0.1 * u.ms).run(
    300.0 * u.ms, monitors=["x"], transient=150.0 * u.ms
)
X = np.asarray(u.get_magnitude(res["x"]))[None]
print("target shape:", X.shape)

# %%
# The objective
# -------------
# The squared difference of the limit-cycle amplitudes, ``sqrt(2 * mean(x**2))``
# for a sinusoid. Any JAX-traceable ``objective(prediction, target) -> scalar``
# works with every backend; the gradient backend differentiates through it.


def _amplitude(x):
    x = u.get_magnitude(x)
    return jnp.sqrt(jnp.mean(x**2)) * jnp.sqrt(2.0)


def amplitude_loss(prediction, target):
    return (_amplitude(prediction) - _amplitude(target)) ** 2


# %%
# One estimator, three backends
# -----------------------------
# Only ``backend``, ``optimizer`` and ``max_iter`` change. ``max_iter`` counts
# what each backend iterates: optimizer steps for ``'grad'``, generations of
# ``n_sample`` candidates for ``'nevergrad'`` and random restarts of the local
# method for ``'scipy'``. The local methods start where the tutorial's model
# starts (``a = 0.1``); differential evolution starts from the box centre.

runs = {
    "grad (Adam, lr 0.1)": dict(
        backend="grad", optimizer=Optax("adam", learning_rate=0.1), max_iter=150,
        init={"a": 0.1}),
    "nevergrad (DE, 6 x 30)": dict(
        backend="nevergrad", optimizer=Nevergrad("DE", n_sample=6), max_iter=30,
        init={"a": 0.5 * (BOX[0] + BOX[1])}),
    "scipy (Nelder-Mead, 3 restarts)": dict(
        backend="scipy", optimizer=Scipy("Nelder-Mead"), max_iter=3,
        init={"a": 0.1}),
}

fitted = {}
for label, settings in runs.items():
    est = HopfRegressor(
        w=0.3, initial_state={"x": 0.5, "y": 0.0}, transient=150.0,
        bounds={"a": BOX}, objective=amplitude_loss, random_state=0, **settings,
    )
    fitted[label] = est.fit(X)

# %%
# Results
# -------
# Every backend recovers :math:`a^* = 1.5`. ``history_`` holds every
# evaluated loss in order, so its length is the number of model evaluations.

print(f"{'backend':34s} {'fitted a':>9s} {'best loss':>11s} {'evaluations':>12s}")
for label, est in fitted.items():
    print(f"{label:34s} {est.best_params_['a']:9.4f} {est.best_loss_:11.2e} "
          f"{len(est.history_):12d}")

# %%
# Loss histories
# --------------
# Every evaluated loss (faint) and the best loss so far (solid) against the
# number of evaluations, on a log scale. A population method's raw history
# also contains its poor candidates; Nelder-Mead's restarts show as jumps.

fig, ax = plt.subplots(figsize=(6.4, 4.0))
for label, est in fitted.items():
    history = np.asarray(est.history_, dtype=float)
    history[~np.isfinite(history)] = np.nan
    history = np.maximum(history, 1e-16)  # exact zeros cannot be shown on a log axis
    best = np.fmin.accumulate(history)
    n = np.arange(1, len(history) + 1)
    (line,) = ax.plot(n, best, label=label)
    ax.plot(n, history, color=line.get_color(), alpha=0.25, linewidth=0.8)
ax.set_yscale("log")
ax.set_xlabel("evaluations")
ax.set_ylabel("loss")
ax.set_title(r"1-node Hopf amplitude, $a^* = 1.5$")
ax.legend()
fig.tight_layout()
plt.show()
