"""The simulator's integration step linearised at its fixed point.

Near a stable fixed point one step of :func:`~._simulation.simulate` is
``s' = M s + G n`` (``n`` the step's standard normals): the linear model
whose moments (:mod:`._moments`) and spectra (:mod:`._sensor_moments`) are
those the simulated scheme converges to, ``dt`` included.
"""

import dataclasses

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from ._simulation import Loop

__all__ = ["step_system"]


def step_system(cfg, params, n_relax=2000, n_newton=3):
    """``(M, Q, H)``: the simulator's step linearised at its fixed point.

    ``M`` the one-step map in the flattened state, ``Q = G G^T`` the step's
    noise covariance (``G`` its derivative in the step's standard normals),
    ``H`` the derivative of the monitored state (``(n_regions, n_state)``);
    see :func:`discrete_moments`.
    """
    cfg = dataclasses.replace(cfg, observation=None, n_channels=None, sensor_noise=False,
                              noise=True, delays=None)
    loop = Loop(cfg, params, None, jax.random.key(0))
    s0, unravel = ravel_pytree(loop.initial())
    zeros = loop.noise_rows(jnp.zeros((), jnp.int32))
    zeros = jax.tree.map(jnp.zeros_like, zeros)

    def f(s, rows=zeros):
        return ravel_pytree(loop.step(unravel(s), jnp.int32(0), rows))[0]

    # relaxation without gradient; the Newton steps carry the implicit derivative
    s = jax.lax.stop_gradient(jax.lax.fori_loop(0, n_relax, lambda _, v: f(v), s0))
    for _ in range(n_newton):
        s = s - jnp.linalg.solve(jax.jacfwd(f)(s) - jnp.eye(s.size), f(s) - s)
    M = jax.jacfwd(f)(s)
    flat_rows, unravel_rows = ravel_pytree(zeros)
    G = jax.jacfwd(lambda r: f(s, unravel_rows(r)))(flat_rows)
    H = jax.jacfwd(lambda v: loop.read(unravel(v)))(s)  # the monitored state
    return M, G @ G.T, H
