"""
How much to trust a fitted parameter: a flat objective and a better one
=======================================================================

Four Jansen-Rit recordings are simulated at a known excitatory gain
``Ae = 3.25`` and ``Ae`` is fitted back with two objectives, each fit
reporting its uncertainty (``uncertainty='sandwich'``) and whether the data
identify the parameter (``identifiability_``).

``psd_corr`` compares the *shape* of the spectra. ``Ae`` mostly sets the
*amplitude* of the rhythm, so that loss barely moves with it (across the
whole box it changes by less than its own noise): the fitted value means
little, its interval fills the box (the warning says so), its profile is
nearly flat, and ``identifiability_`` flags it. Adding an amplitude term
(the squared log-ratio of the standard deviations) lets the data pin ``Ae``
down: the same data now give a narrow interval around the truth, and
nothing is flagged. See :ref:`uncertainty` for what the intervals mean.
"""

# %%
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
from brainmass import objectives

import brainestimators as be
from brainestimators.datasets import make_recordings
from brainestimators.plotting import plot_profile

common = dict(noise_sigma=0.5, dt=0.1, sample_dt=2, transient=500)
X = make_recordings(be.JansenRitRegressor(Ae=3.25, **common), n_samples=4, n_time=2000,
                    random_state=0)


def log_std_mse(prediction, target):
    """Squared log-ratio of the amplitudes (smooth, unlike an RMSE of one number)."""
    return jnp.mean(jnp.log(jnp.std(prediction, axis=0) / jnp.std(target, axis=0))) ** 2


OBJECTIVES = {
    "psd_corr": "psd_corr",
    "psd_corr + amplitude": objectives.combine((1.0, be.psd_corr(as_loss=True)),
                                               (1.0, log_std_mse)),
}

# %%
# Fits with intervals
# -------------------
fits = {}
for name, objective in OBJECTIVES.items():
    est = be.JansenRitRegressor(**common, bounds={"Ae": (2.0, 5.0)}, objective=objective,
                                optimizer=be.Optax("adam", 0.1), max_iter=60,
                                n_iter_no_change=10, tol=1e-5, uncertainty="sandwich",
                                n_replicates=16, random_state=0).fit(X)
    fits[name] = est
    low, high = est.conf_int(0.05)["Ae"]
    ident = est.identifiability_
    print(f"{name:>22}: Ae = {est.best_params_['Ae']:.2f}, 95 % interval "
          f"[{low:.2f}, {high:.2f}] (truth 3.25); "
          + ("FLAGGED: " + ident["reason"] if ident["flagged"] else "identified")
          + f" (signal to noise {ident['signal_to_noise']:.3g})")

# %%
# Profiles
# --------
# With one fitted parameter the profile is the loss itself along a grid of
# values (with more, :func:`~brainestimators.profile_loss` refits the others
# at every value, all values in one batched fit).
grid = np.linspace(2.0, 5.0, 13)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
for ax, (name, est) in zip(axes, fits.items()):
    plot_profile(be.profile_loss(est, X, "Ae", grid), ax=ax, estimator=est, truth=3.25)
    ax.set_title(name)
fig.tight_layout()
