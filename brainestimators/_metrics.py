"""Array metrics shared by the objectives, the transformers, the plots and the main job.

Every function here is pure JAX: jit-, grad- and vmap-safe, unit-aware (a
brainunit Quantity is read as its magnitude) and computed so that float32
neither overflows nor underflows for data anywhere between about 1e-30 and
1e30: each column is divided by its largest magnitude before anything is
squared. Correlations of a constant column are 0 (with a finite gradient);
a NaN or infinite input gives NaN, so a diverged simulation stays visible to
the backends instead of scoring as a poor fit.

``braintools.metric.functional_connectivity`` and
``functional_connectivity_dynamics`` are bypassed for three measured reasons
(braintools 0.3.0, float32): on data scaled by 1e30 every FC entry is NaN
(the covariance overflows) and becomes 0, so ``fc_corr`` returns exactly 1.0
for every candidate; one constant region makes the gradient of the FC NaN; and
a NaN in the input is replaced by 0, so a diverged simulation gets a finite
loss.
"""

import brainunit as u
import jax.numpy as jnp

__all__ = [
    "rescale",
    "standardize",
    "correlation",
    "functional_connectivity",
    "upper_triangle",
    "matrix_correlation",
    "n_windows",
    "fcd_matrix",
]


def _unitless(x):
    return jnp.asarray(u.get_magnitude(x))


def rescale(x, axis=None):
    """Divide ``x`` by its largest magnitude along ``axis`` (all-zero slices stay 0).

    Squares of 1e30 overflow float32 and squares of 1e-20 underflow it; after
    this they do neither. Any statistic invariant to a positive factor (a
    correlation, a cosine, the shape of a spectrum) can be computed on the
    result instead.
    """
    x = _unitless(x)
    if x.size == 0:
        return x
    m = jnp.max(jnp.abs(x), axis=axis, keepdims=True)
    return x / jnp.where(m > 0, m, 1.0)


def standardize(x, axis=0):
    """Z-score ``x`` along ``axis``: zero mean, unit mean square.

    Parameters
    ----------
    x : array or Quantity
        Data; only its magnitude is used.
    axis : int, default=0
        Axis to standardise along (time for a ``(n_time, n_regions)`` recording).

    Returns
    -------
    jax.Array
        Same shape as ``x``. A constant slice becomes 0; a slice holding a NaN
        or an infinity becomes NaN.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> z = standardize(jnp.asarray([[1.0, 5.0], [3.0, 5.0]]) * 1e30)
    >>> jnp.round(z, 6).tolist()
    [[-1.0, 0.0], [1.0, 0.0]]
    """
    x = rescale(x, axis)
    if x.size == 0:
        return x
    # Constant means max == min (exact): the mean of equal float32 values is
    # not always exactly that value, so ``x - mean`` cannot tell. ``!=`` keeps
    # a NaN slice NaN; the double ``where`` keeps a constant slice's gradient
    # finite.
    varies = jnp.max(x, axis=axis, keepdims=True) != jnp.min(x, axis=axis, keepdims=True)
    x = x - jnp.mean(x, axis=axis, keepdims=True)
    ms = jnp.where(varies, jnp.mean(x * x, axis=axis, keepdims=True), 1.0)
    return jnp.where(varies, x / jnp.sqrt(ms), 0.0)


def correlation(a, b, axis=-1):
    """Pearson correlation of ``a`` and ``b`` along ``axis`` (0 if either is constant or empty).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> round(float(correlation(jnp.arange(4.0), 2e25 * jnp.arange(4.0) - 7)), 6)
    1.0
    """
    za, zb = standardize(a, axis), standardize(b, axis)
    if za.shape[axis] == 0:  # e.g. the FC of one region has no off-diagonal value
        return jnp.sum(za * zb, axis=axis)  # zeros
    return jnp.mean(za * zb, axis=axis)


def functional_connectivity(x):
    """Functional connectivity: Pearson correlation between regions.

    The one FC computation of the package (objectives, transformers, plots
    and the main job use it).

    Parameters
    ----------
    x : array or Quantity of shape (..., n_time, n_regions)
        A recording, or a stack of recordings (leading axes are batch axes).

    Returns
    -------
    jax.Array of shape (..., n_regions, n_regions)
        Unit diagonal; a constant region has zero correlation with every
        other region; a region holding a NaN or an infinity has NaN ones.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(200, 3))
    >>> bool(np.allclose(functional_connectivity(x), np.corrcoef(x.T), atol=1e-6))
    True
    """
    z = standardize(x, axis=-2)
    fc = jnp.swapaxes(z, -1, -2) @ z / z.shape[-2]
    # Unit diagonal, also for a constant region (whose z-scores are 0), but a
    # NaN region keeps its NaN diagonal.
    return jnp.where(jnp.eye(fc.shape[-1], dtype=bool) & ~jnp.isnan(fc), 1.0, fc)


def upper_triangle(m, k=1):
    """The upper triangle of the last two axes, as a vector ``(..., n (n - 1) / 2)``."""
    i, j = jnp.triu_indices(m.shape[-1], k)
    return m[..., i, j]


def matrix_correlation(a, b):
    """Pearson correlation of the upper triangles of two square matrices (e.g. two FCs).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> A = jnp.asarray([[1.0, 0.2, 0.5], [0.2, 1.0, 0.1], [0.5, 0.1, 1.0]])
    >>> round(float(matrix_correlation(A, A)), 6)
    1.0
    """
    return correlation(upper_triangle(_unitless(a)), upper_triangle(_unitless(b)))


def n_windows(n_time, window_size, step_size):
    """Number of sliding windows of ``window_size`` samples, ``step_size`` apart."""
    return 0 if n_time < window_size else (n_time - window_size) // step_size + 1


def fcd_matrix(x, window_size=30, step_size=5):
    """Functional-connectivity dynamics: correlations between sliding-window FCs.

    Same definition as ``braintools.metric.functional_connectivity_dynamics``
    (window FCs by :func:`functional_connectivity`, their upper triangles
    correlated between windows), with its scale and constant-window safety.

    Parameters
    ----------
    x : array or Quantity of shape (n_time, n_regions)
        One recording.
    window_size, step_size : int
        Window length and step in samples.

    Returns
    -------
    jax.Array of shape (n_windows, n_windows)

    Raises
    ------
    ValueError
        If the recording is shorter than one window.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(100, 4))
    >>> fcd_matrix(x, window_size=30, step_size=10).shape
    (8, 8)
    """
    x = _unitless(x)
    n_time = x.shape[0]
    count = n_windows(n_time, window_size, step_size)
    if count < 1:
        raise ValueError(
            f"A recording of {n_time} samples is shorter than one FCD window "
            f"(window_size={window_size}); use a window of at most {n_time} samples."
        )
    idx = jnp.arange(count)[:, None] * step_size + jnp.arange(window_size)[None, :]
    edges = upper_triangle(functional_connectivity(x[idx]))  # (n_windows, n_edges)
    z = standardize(edges, axis=-1)
    fcd = z @ z.T / z.shape[-1]
    return jnp.where(jnp.eye(count, dtype=bool) & ~jnp.isnan(fcd), 1.0, fcd)
