"""Analytic moments of a linear(ised) model: covariance, FC and lagged covariance.

Near a stable fixed point a noisy model is an Ornstein-Uhlenbeck process
``ds = J s dt + B dW``. Its stationary covariance ``P`` solves the Lyapunov
equation ``J P + P J^H + Q = 0`` (``Q = B B^H``), its lag-``tau`` covariance
is ``E[s(t) s(t + tau)^H] = P expm(J^H tau)``, and its functional
connectivity is the correlation matrix of ``P``: the model's *expected* FC,
with no noise of a finite simulation in it.

Two ways to the linear system, both pure JAX (``jit``, ``grad``, ``vmap``):

- closed forms (:func:`hopf_system`, :func:`linear_system`): the
  Hopf / Stuart-Landau network below its bifurcation in the complex ``N x N``
  form ``K = diag(a - k s + i w) + k C`` (``z = x + i y``; x and y get equal
  coupling and equal noise, so ``Cov(x) = Re P / 2``), and the linear rate
  model;
- any family (:func:`discrete_moments`): the simulator's own integration
  step linearised around its fixed point with ``jax.jacfwd`` (fixed point:
  the noise-free map iterated, then Newton steps). That is the exact
  stationary covariance of the *simulated* scheme (the discrete Lyapunov
  equation ``P = M P M^H + G G^H``), so for a linear model it is what the
  mean of many simulations converges to, ``dt`` included.

The moments observe the model's monitored state (Hopf's ``x``), never a BOLD
signal: with ``observation='bold'`` they model the FC of ``x``.

The solver is :func:`~._lyapunov.lyapunov`.
"""

import jax
import jax.numpy as jnp
import numpy as np

from ._linearise import step_system
from ._lyapunov import check_stable, lyapunov

__all__ = ["correlation_matrix", "stationary_moments", "hopf_system", "linear_system",
           "discrete_moments", "model_moments", "checked_moments", "CLOSED_FORMS"]


def correlation_matrix(P):
    """The correlation matrix (FC) of a covariance ``P`` (real part if complex)."""
    C = jnp.real(P)
    d = jnp.sqrt(jnp.clip(jnp.diagonal(C), 1e-30, None))
    return C / d[:, None] / d[None, :]


def stationary_moments(K, Q, lags=(), scale=1.0):
    """Covariance, FC and lagged covariances of ``ds = K s dt + noise`` (continuous).

    Parameters
    ----------
    K : array of shape (n, n)
        Drift (real, or complex for the Hopf form).
    Q : array of shape (n, n)
        Noise covariance per unit time.
    lags : tuple of float
        Lags ``tau`` (same time unit as ``K``) of ``E[s(t) s(t + tau)^T]``.
    scale : float
        Factor on the real part (``0.5`` for Hopf's complex form: ``Cov(x)
        = Re P / 2``).

    Returns
    -------
    dict
        ``'cov'`` ``(n, n)``, ``'fc'`` ``(n, n)``, ``'lagged'`` ``(len(lags), n, n)``
        and ``'jacobian'`` (``K``).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> m = stationary_moments(-jnp.eye(2), 2 * jnp.eye(2), lags=(1.0,))
    >>> [round(float(v), 4) for v in (m['cov'][0, 0], m['lagged'][0, 0, 0])]
    [1.0, 0.3679]
    """
    P = lyapunov(K, Q)
    out = {"cov": scale * jnp.real(P), "fc": correlation_matrix(P), "jacobian": jnp.asarray(K)}
    KH = jnp.conj(jnp.asarray(K).T)
    out["lagged"] = jnp.stack([scale * jnp.real(P @ jax.scipy.linalg.expm(KH * tau))
                               for tau in lags]) if lags else jnp.zeros((0,) + P.shape)
    return out


# -- closed forms ---------------------------------------------------------
def _coupling_matrix(k, C, coupling):
    C = jnp.asarray(C)
    if coupling == "diffusive":
        return k * (C - jnp.diag(jnp.sum(C, axis=-1)))
    return k * C


def hopf_system(params, n_regions, coupling="diffusive"):
    """Drift and noise of the Hopf network linearised at its origin (complex form).

    ``K = diag(a + i w) + k L``, ``L = C - diag(rowsum C)`` (diffusive) or
    ``C`` (additive); the noise ``sigma (dW_x + i dW_y)`` gives ``Q = 2
    sigma^2 I``. Stable for ``max Re eig(K) < 0`` (with diffusive coupling:
    ``a < 0`` everywhere is enough; ``beta`` does not enter).

    Parameters
    ----------
    params : dict
        ``'a'``, ``'w'``, ``'noise_sigma'`` (scalars or per region), and
        ``'k'``, ``'connectivity'`` for a network.
    n_regions : int
    coupling : {'diffusive', 'additive'}

    Returns
    -------
    tuple
        ``(K, Q, scale)`` for :func:`stationary_moments` (``scale = 0.5``).

    Examples
    --------
    >>> import numpy as np
    >>> C = np.ones((3, 3)) - np.eye(3)
    >>> K, Q, scale = hopf_system(dict(a=-0.2, w=0.3, k=0.1, connectivity=C,
    ...                                noise_sigma=0.1), 3)
    >>> fc = stationary_moments(K, Q, (), scale)["fc"]
    >>> round(float(fc[0, 1]), 3)
    0.333
    """
    ones = jnp.ones(n_regions)
    a, w = params["a"] * ones, params["w"] * ones
    K = jnp.diag(a + 1j * w)
    if params.get("connectivity") is not None:
        K = K + _coupling_matrix(params["k"], params["connectivity"], coupling)
    sigma = params["noise_sigma"] * ones
    return K, jnp.diag(2.0 * sigma ** 2), 0.5


def linear_system(params, n_regions, coupling="diffusive"):
    """Drift and noise of the linear rate model ``dx = (gamma x + k L x) dt + sigma dW``.

    Parameters and returns as :func:`hopf_system` (``Q = sigma^2 I``, ``scale = 1``).

    Examples
    --------
    >>> K, Q, scale = linear_system(dict(gamma=-1.0, noise_sigma=1.0), 2)
    >>> float(stationary_moments(K, Q, (), scale)["cov"][0, 0])
    0.5
    """
    K = jnp.diag(params["gamma"] * jnp.ones(n_regions))
    if params.get("connectivity") is not None:
        K = K + _coupling_matrix(params["k"], params["connectivity"], coupling)
    sigma = params["noise_sigma"] * jnp.ones(n_regions)
    return K, jnp.diag(sigma ** 2), 1.0


#: Families with a closed-form linearisation: ``{family: system(params, n, coupling)}``.
CLOSED_FORMS = {"Hopf": hopf_system, "StuartLandau": hopf_system, "Linear": linear_system}


# -- any family: the simulator's step, linearised -------------------------
def discrete_moments(cfg, params, lags=(), n_relax=2000, n_newton=3):
    """Moments of the monitored state from the simulator's step linearised at its fixed point.

    The one-step map ``s -> step(s, noise)`` of :func:`~._simulation.simulate`
    (without observation model) is linearised with ``jax.jacfwd``: ``M`` in
    the state, ``G`` in the step's standard normals; the fixed point is the
    noise-free map iterated ``n_relax`` times, then ``n_newton`` Newton steps.
    The stationary covariance solves ``P = M P M^T + G G^T``; lagged ones
    are ``P (M^T)^m``, ``m`` the lag in steps.

    Parameters
    ----------
    cfg : SimConfig
        The simulation (its ``dt``, coupling, ``n_regions``); noise must be on.
    params : dict
        Traced parameter values, as for :func:`~._simulation.simulate`.
    lags : tuple of int
        Lags in integration steps.

    Returns
    -------
    dict
        As :func:`stationary_moments`, for the monitored variable;
        ``'jacobian'`` is the one-step map ``M``.
    """
    M, Q, H = step_system(cfg, params, n_relax, n_newton)
    P = lyapunov(M, Q, discrete=True)
    cov = H @ P @ H.T
    lagged = []
    for m in lags:
        lagged.append(H @ P @ jnp.linalg.matrix_power(M.T, int(m)) @ H.T)
    return {"cov": cov, "fc": correlation_matrix(cov), "jacobian": M,
            "lagged": jnp.stack(lagged) if lags else jnp.zeros((0,) + cov.shape)}


def _closed_form(cfg):
    return (isinstance(cfg.model, str) and cfg.model in CLOSED_FORMS
            and cfg.coupling in (None, "diffusive", "additive"))


def model_moments(cfg, params, lags=()):
    """Moments of the monitored state of ``cfg``'s model at ``params`` (closed form or
    linearised step; lags in the model's time unit, ms). Traceable; NaN where unstable."""
    family = cfg.model if _closed_form(cfg) else None
    if family is not None:
        K, Q, scale = CLOSED_FORMS[family](params, cfg.n_regions, cfg.coupling or "diffusive")
        return stationary_moments(K, Q, lags, scale)
    return discrete_moments(cfg, params, tuple(int(round(t / cfg.dt)) for t in lags))


def checked_moments(cfg, params, lags=()):
    """:func:`model_moments` as numpy arrays, raising where the fixed point is unstable.

    Host-side: the error names the eigenvalue (:func:`check_stable`).
    """
    out = {k: np.asarray(v) for k, v in model_moments(cfg, params, lags).items()}
    if not np.all(np.isfinite(out["cov"])):
        check_stable(out["jacobian"], discrete=not _closed_form(cfg))
        raise ValueError("the analytic moments are not finite (the Lyapunov solve did not "
                         "converge: a mode at the edge of stability?).")
    return {k: np.real(v).astype(float) for k, v in out.items() if k != "jacobian"}
