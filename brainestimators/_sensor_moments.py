"""The autocovariance of a recording of the linearised model: sensors or regions.

The simulator's step linearised at its fixed point (:func:`~._linearise.step_system`:
``s' = M s + G n``) has the stationary covariance ``P = M P M^T + G G^T``
(:func:`~._moments.lyapunov`); one sampling interval of ``q`` steps maps the
state by ``A = M^q``, so a recording ``y = C s`` (``C``: the lead field,
average-referenced for EEG, times the monitored state's derivative) has the
autocovariance ``E[y(t + m) y(t)^T] = C A^m P C^T`` at a lag of ``m``
samples, plus the sensor noise's variance at lag 0. Its diagonal is what
:func:`~._expected_spectra.expected_welch` turns into the expected Welch
spectrum: the mean sensor spectrum of infinitely many simulations of the
linearised model, ``dt`` included, with no noise draw in it.

Pure JAX: ``jit``, ``vmap`` (candidates, rows), forward and reverse mode.
"""

import jax
import jax.numpy as jnp

from ._linearise import step_system
from ._lyapunov import lyapunov
from ._observations import get_observation

__all__ = ["readout", "sample_interval", "autocovariance", "compiled_autocovariance"]


def readout(cfg, params):
    """``(n_obs, n_regions)``: what a sample records of the monitored region signal."""
    obs = get_observation(cfg.observation)
    if not obs.sensors:
        if cfg.observation is not None:
            raise ValueError(f"the expected spectrum of observation={cfg.observation!r} is not "
                             "modelled; use observation=None, 'eeg' or 'meg', or simulate.")
        return jnp.eye(cfg.n_regions)
    L = jnp.asarray(params["lead_field"])
    return L - jnp.mean(L, axis=0, keepdims=True) if obs.reference else L


def sample_interval(cfg):
    """Integration steps per kept sample (an integer: the lags are whole samples)."""
    if cfg.sample_ratio is not None:
        ratio = round(cfg.sample_ratio)
        if abs(cfg.sample_ratio - ratio) > 1e-6:
            raise ValueError(
                f"the expected spectrum needs a whole number of steps per sample; sample_dt / "
                f"dt is {cfg.sample_ratio:g}: choose dt to divide sample_dt.")
        return ratio
    return cfg.sample_every


def autocovariance(cfg, params, n_lags):
    """``(n_lags, n_obs)``: ``E[y_c(t + m) y_c(t)]`` of each recorded column at lags ``m``.

    NaN where the fixed point is unstable (the Lyapunov solve's).
    """
    M, Q, H = step_system(cfg, params)
    P = lyapunov(M, Q, discrete=True)
    A = jnp.linalg.matrix_power(M, sample_interval(cfg))
    C = readout(cfg, params) @ H
    PCt = P @ C.T

    def lag(B, _):
        return B @ A, jnp.sum(B * PCt.T, axis=1)

    r = jax.lax.scan(lag, C, None, length=int(n_lags))[1]
    if cfg.sensor_noise:  # white, per channel, added after the reference
        r = r.at[0].add(params["sensor_noise"] ** 2)
    return r


#: :func:`autocovariance` compiled once per configuration and number of lags
#: (host-side callers: ``expected_spectrum``).
compiled_autocovariance = jax.jit(autocovariance, static_argnums=(0, 2))
