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

The solver (:func:`lyapunov`) maps the continuous equation to a discrete
one (Cayley transform) and sums it by doubling (squared Smith): 24 steps of
matrix products, complex ones as real pairs. Bartels-Stewart needs an
eigendecomposition, and XLA's complex ``eig`` of HCP's 80-region Hopf system
alone took 630 ms here; the Kronecker form solves 6400 unknowns. The
derivative solves the differentiated equation ``J dP + dP J^H + (dJ P + P
dJ^H + dQ) = 0`` the same way (``jax.custom_jvp``): forward mode for a few
parameters, transposed by JAX into the adjoint equation for reverse mode
(thousands of weights).
"""

import jax
import jax.numpy as jnp
import numpy as np

from ._linearise import step_system

__all__ = ["lyapunov", "correlation_matrix", "stationary_moments", "hopf_system",
           "linear_system", "discrete_moments", "model_moments", "checked_moments",
           "check_stable", "CLOSED_FORMS"]


# -- the solver ----------------------------------------------------------
# Complex matrices travel as (real, imaginary) pairs, imaginary None for a
# real one: XLA's complex64 80 x 80 product took 0.9 ms here against 0.04 ms
# for a float32 one, so four real products beat one complex product.

#: Doubling steps: the solution sums ``2**N_DOUBLING`` terms of ``A^j B A^Hj``,
#: enough for a mode ``1e-7`` times slower than the Cayley shift.
N_DOUBLING = 24


def _mm(a, b):
    (ar, ai), (br, bi) = a, b
    if ai is None and bi is None:
        return ar @ br, None
    if ai is None:
        return ar @ br, ar @ bi
    if bi is None:
        return ar @ br, ai @ br
    return ar @ br - ai @ bi, ar @ bi + ai @ br


def _ct(a):
    return a[0].T, None if a[1] is None else -a[1].T


def _lin(x, a, y=0.0, b=None):
    """``x a + y b`` of pairs (``x``, ``y`` real scalars)."""
    if b is None:
        return x * a[0], None if a[1] is None else x * a[1]
    im = [v for v in (None if a[1] is None else x * a[1], None if b[1] is None else y * b[1])
          if v is not None]
    return x * a[0] + y * b[0], (sum(im) if im else None)


def _inv(a):
    ar, ai = a
    if ai is None:
        return jnp.linalg.inv(ar), None
    n = ar.shape[0]
    big = jnp.linalg.inv(jnp.block([[ar, -ai], [ai, ar]]))  # the real form of ar + i ai
    return big[:n, :n], big[n:, :n]


def _stein(A, B):
    """``P = A P A^H + B`` by doubling (squared Smith): ``P += A P A^H; A = A A``."""
    def body(_, c):
        A, P = c
        return _mm(A, A), _lin(1.0, P, 1.0, _mm(_mm(A, P), _ct(A)))
    return jax.lax.fori_loop(0, N_DOUBLING, body, (A, B))


def _solve(A, Q, discrete, check=True):
    """Stein / Lyapunov solution of pairs; NaN where ``A`` is unstable (with ``check``)."""
    n = A[0].shape[0]
    eye = (jnp.eye(n, dtype=A[0].dtype), None)
    if discrete:
        T, B = A, Q
    else:  # Cayley: A P + P A^H + Q = 0  <=>  P = T P T^H + B
        size = jnp.sum(A[0] ** 2) + (0.0 if A[1] is None else jnp.sum(A[1] ** 2))
        p = jnp.sqrt(size / n)  # a typical eigenvalue's size
        R = _inv(_lin(p, eye, -1.0, A))
        T, B = _mm(R, _lin(p, eye, 1.0, A)), _lin(2 * p, _mm(_mm(R, Q), _ct(R)))
    T_end, P = _stein(T, B)
    P = _lin(0.5, P, 0.5, _ct(P))  # Hermitian to rounding
    if not check:  # a tangent: linear in Q
        return P
    # T^(2^N) vanishes iff every mode is stable (|eig T| < 1)
    ok = jnp.all(jnp.isfinite(P[0])) & (jnp.max(jnp.abs(T_end[0])) < 1.0)
    if T_end[1] is not None:
        ok = ok & (jnp.max(jnp.abs(T_end[1])) < 1.0)
    return tuple(None if v is None else jnp.where(ok, v, jnp.nan) for v in P)


def _make(discrete, real):
    def pair(parts):
        return (parts[0], None) if real else tuple(parts)

    @jax.custom_jvp
    def solve(*args):  # (Ar, Q) or (Ar, Ai, Q)
        P = _solve(pair(args[:-1]), (args[-1], None), discrete)
        return P[0] if real else P

    @solve.defjvp
    def jvp(primals, tangents):
        # differentiating A P + P A^H + Q = 0: the tangent solves the same
        # equation with dA P + P dA^H + dQ (discrete: dA P A^H + A P dA^H + dQ);
        # linear in the tangents, so JAX transposes it into the adjoint solve
        A, dA = pair(primals[:-1]), pair(tangents[:-1])
        P = _solve(A, (primals[-1], None), discrete)
        PG = _mm(P, _ct(A)) if discrete else P
        GP = _mm(A, P) if discrete else P
        M = _lin(1.0, _lin(1.0, _mm(dA, PG), 1.0, _mm(GP, _ct(dA))), 1.0, (tangents[-1], None))
        if real:
            M = (M[0], None)
        dP = _solve(A, M, discrete, check=False)
        return (P[0], dP[0]) if real else (P, dP)

    return solve


_SOLVERS = {(d, r): _make(d, r) for d in (False, True) for r in (False, True)}


def lyapunov(A, Q, discrete=False):
    """Solve ``A P + P A^H + Q = 0`` (or ``P = A P A^H + Q`` with ``discrete``).

    Differentiable in ``A`` and ``Q`` (forward and reverse mode, see the
    module docstring) and ``vmap``-able. Where ``A`` is unstable (an eigenvalue with real part >= 0, or modulus >= 1 for the
    discrete equation) the result is NaN: use :func:`check_stable` for the
    reason.

    Parameters
    ----------
    A : array of shape (n, n), real or complex
        The drift (Jacobian) or, with ``discrete``, the one-step map.
    Q : array of shape (n, n), real
        The noise covariance (per unit time, or per step), symmetric.
    discrete : bool, default=False
        Solve the discrete (Stein) equation.

    Returns
    -------
    jax.Array of shape (n, n)
        ``P``: real for a real ``A``, else complex Hermitian.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> A = jnp.asarray([[-1.0, 0.5], [0.0, -2.0]])
    >>> P = lyapunov(A, jnp.eye(2))
    >>> bool(jnp.allclose(A @ P + P @ A.T + jnp.eye(2), 0.0, atol=1e-5))
    True
    """
    A = jnp.asarray(A)
    real = not jnp.iscomplexobj(A)
    dtype = jnp.result_type(A.real.dtype, jnp.float32)
    Q = jnp.asarray(Q, dtype)
    solve = _SOLVERS[bool(discrete), real]
    if real:
        return solve(A.astype(dtype), Q)
    Pr, Pi = solve(A.real.astype(dtype), A.imag.astype(dtype), Q)
    return Pr + 1j * Pi


def check_stable(A, discrete=False):
    """Raise a ``ValueError`` naming the eigenvalue if ``A``'s fixed point is unstable.

    Host-side (not traced); :func:`lyapunov` returns NaN instead.

    Parameters
    ----------
    A : array of shape (n, n)
        The Jacobian (``discrete``: the one-step map).
    discrete : bool, default=False

    Examples
    --------
    >>> import numpy as np
    >>> try:
    ...     check_stable(np.diag([-1.0, 0.2]))
    ... except ValueError as e:
    ...     print(str(e)[:78])
    the fixed point is unstable: eigenvalue 1 of the Jacobian is 0.2+0j, real part
    """
    lam = np.linalg.eigvals(np.asarray(A, dtype=complex))
    if discrete:
        i = int(np.argmax(np.abs(lam)))
        if abs(lam[i]) >= 1:
            raise ValueError(
                f"the fixed point is unstable: eigenvalue {i} of the one-step map is "
                f"{lam[i]:.4g}, modulus {abs(lam[i]):.6g} >= 1 (analytic moments need a stable "
                "fixed point: lower the excitability or the coupling, or simulate).")
        return
    i = int(np.argmax(lam.real))
    if lam[i].real >= 0:
        raise ValueError(
            f"the fixed point is unstable: eigenvalue {i} of the Jacobian is {lam[i]:.4g}, "
            f"real part {lam[i].real:+.4g} >= 0 (analytic moments need a stable fixed point: "
            "lower the bifurcation parameter or the coupling, or simulate).")


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
