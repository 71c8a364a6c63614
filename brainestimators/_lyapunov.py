"""A differentiable Lyapunov solver: ``J P + P J^H + Q = 0`` (or ``P = A P A^H + Q``).

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

__all__ = ["lyapunov", "check_stable", "N_DOUBLING"]


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
