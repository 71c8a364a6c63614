"""Brain maps for map-based regional heterogeneity, and their null models.

``per_region={'a': maps}`` fits ``a_i = a + sum_m c_m maps[m, i]``
(:mod:`._layout`). A map is a user array (one value per region, e.g. a
T1w/T2w myelin map) or the name of a built-in map from :data:`MAPS`, computed
when the estimator is fitted:

- from the structural connectivity (``'sc_strength'``), or
- from the recordings the estimator is *fitted on* (``'fc_gradient'``,
  ``'fc_strength'``). They are computed once, in ``fit``, from the training
  rows, kept as the fitted attribute ``maps_`` and reused unchanged by
  ``predict``, ``score`` and ``simulate``: a held-out subject never shapes
  the model it is scored with. ``fit_rows`` computes them per row.

Built-in maps are centred and scaled to a largest magnitude of 1, so a
coefficient is the largest regional deviation from the base value it causes.

Model parameters can be computed from the training recordings the same way:
``HopfRegressor(w='peak_frequency')`` takes each region's intrinsic
frequency from the spectra of the rows ``fit`` is given (:data:`VALUES`),
kept as ``derived_params_``.

Null models ask whether a map beats a random map with the same number of
fitted parameters: :func:`surrogate_maps` draws random maps that keep the
map's values (``'permute'``) or, without region coordinates for spin tests,
its spatial autocorrelation on the connectome graph (``'moran'``: Moran
spectral randomisation, Wagner & Dadi's singleton procedure).
"""

from dataclasses import dataclass

import numpy as np

from ._frequencies import peak_frequencies
from ._metrics import functional_connectivity
from ._registry import lookup

__all__ = ["MAPS", "VALUES", "BuiltinMap", "BuiltinValue", "resolve_maps", "resolve_values",
           "surrogate_maps", "fc_gradient", "sc_strength", "fc_strength"]


def _unit(v):
    """Centred, largest magnitude 1 (a constant map stays 0)."""
    v = np.asarray(v, dtype=float)
    v = v - v.mean()
    m = np.max(np.abs(v))
    return v / m if m > 0 else v


def _group_fc(X):
    """Mean FC of the recordings ``(n_samples, n_time, n_regions)``."""
    return np.asarray(functional_connectivity(np.asarray(X, dtype=np.float64)),
                      dtype=float).mean(axis=0)


def sc_strength(connectivity):
    """Node strength of the structural connectivity (row sums), centred, max |value| 1.

    Parameters
    ----------
    connectivity : array of shape (n_regions, n_regions)

    Returns
    -------
    ndarray of shape (n_regions,)
    """
    return _unit(np.asarray(connectivity, dtype=float).sum(axis=1))


def fc_strength(X):
    """Each region's mean FC with the others in the recordings X, centred, max |value| 1.

    Parameters
    ----------
    X : array of shape (n_samples, n_time, n_regions)

    Returns
    -------
    ndarray of shape (n_regions,)
    """
    fc = _group_fc(X)
    n = fc.shape[0]
    return _unit((fc.sum(axis=1) - np.diag(fc)) / max(n - 1, 1))


def fc_gradient(X, sparsity=0.9, alpha=0.5):
    """Principal gradient of the group FC of X (Margulies et al. 2016), centred, max |value| 1.

    The first non-trivial diffusion-map component of the group-mean FC: each
    region's FC profile keeps its strongest ``1 - sparsity`` connections, the
    affinity between regions is the cosine similarity of those profiles
    (negative values set to 0), and the diffusion operator is normalised with
    ``alpha`` (0.5, as BrainSpace). Its sign is fixed so that the region of
    largest magnitude is positive.

    Parameters
    ----------
    X : array of shape (n_samples, n_time, n_regions)
        Recordings (the training rows).
    sparsity : float, default=0.9
        Fraction of each FC row set to 0 before the affinity.
    alpha : float, default=0.5
        Diffusion-map anisotropy.

    Returns
    -------
    ndarray of shape (n_regions,)

    Examples
    --------
    >>> import numpy as np
    >>> from brainestimators.datasets import make_hopf_cohort
    >>> X = make_hopf_cohort(n_subjects=2, n_regions=8, n_time=200, random_state=0).bold
    >>> g = fc_gradient(X)
    >>> g.shape, bool(np.isclose(np.max(np.abs(g)), 1)), bool(np.isclose(g.mean(), 0))
    ((8,), True, True)
    """
    fc = _group_fc(X)
    n = fc.shape[0]
    if n < 3:
        raise ValueError(f"an FC gradient needs at least 3 regions, got {n}.")
    np.fill_diagonal(fc, 0.0)
    # at least 3 neighbours: with fewer, small networks fall apart into
    # components and the leading gradient picks one out
    keep = min(n - 1, max(3, int(round((1 - sparsity) * (n - 1)))))
    thr = -np.sort(-fc, axis=1)[:, keep - 1:keep]
    A = np.where(fc >= thr, fc, 0.0)
    norms = np.linalg.norm(A, axis=1)
    norms = np.where(norms > 0, norms, 1.0)
    K = np.clip((A @ A.T) / np.outer(norms, norms), 0.0, None)
    d = K.sum(axis=1)
    d = np.where(d > 0, d, 1.0)
    K = K / np.outer(d ** alpha, d ** alpha)
    d = K.sum(axis=1)
    d = np.where(d > 0, d, 1.0)
    vals, vecs = np.linalg.eigh(K / np.sqrt(np.outer(d, d)))
    psi = vecs[:, np.argsort(vals)[::-1]] / np.sqrt(d)[:, None]
    g = _unit(psi[:, 1])
    return g if g[np.argmax(np.abs(g))] > 0 else -g


@dataclass(frozen=True)
class BuiltinMap:
    """Registry entry of a built-in map.

    Parameters
    ----------
    name : str
        The name used in ``per_region``.
    compute : callable
        ``compute(connectivity, X) -> (n_regions,)``.
    summary : str
        One line for the docs.
    uses_data : bool
        Whether it is computed from the fitted recordings (then per fit, from
        the training rows only).
    """

    name: str
    compute: object
    summary: str
    uses_data: bool


#: Built-in maps by name (``per_region={'a': ['sc_strength', 'fc_gradient']}``).
MAPS = {m.name: m for m in (
    BuiltinMap("sc_strength", lambda conn, X: sc_strength(conn),
               "structural node strength (row sums of ``connectivity``)", False),
    BuiltinMap("fc_gradient", lambda conn, X: fc_gradient(X),
               "principal gradient of the training rows' group FC (diffusion map)", True),
    BuiltinMap("fc_strength", lambda conn, X: fc_strength(X),
               "each region's mean FC in the training rows", True),
)}


def get_map(name):
    """The :class:`BuiltinMap` registered as ``name``.

    Examples
    --------
    >>> get_map("sc_strength").uses_data
    False
    """
    return lookup(MAPS, name, "map")


def map_spec(value):
    """The items of one ``per_region`` value: names and 1-D arrays (a 2-D array, its rows)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and any(isinstance(v, str) for v in value):
        return list(value)
    arr = np.asarray(value, dtype=float)
    return [arr] if arr.ndim == 1 else list(np.atleast_2d(arr))


def map_labels(value):
    """Names of a ``per_region`` value's maps: built-in names, ``'map<i>'`` for arrays."""
    return [v if isinstance(v, str) else f"map{i}" for i, v in enumerate(map_spec(value))]


def uses_data(per_region):
    """Whether any map of ``per_region`` is computed from the recordings."""
    if not isinstance(per_region, dict):
        return False
    return any(isinstance(v, str) and v in MAPS and MAPS[v].uses_data
               for value in per_region.values() if value is not None for v in map_spec(value))


def resolve_maps(per_region, connectivity, X, n_regions):
    """``{name: (maps (n_maps, n_regions), labels)}`` of the map-based entries of ``per_region``.

    Parameters
    ----------
    per_region : dict, str, list or None
        The estimator's ``per_region``; only dict entries with maps count.
    connectivity : array or None
    X : array of shape (n_samples, n_time, n_regions) or None
        The recordings the estimator is fitted on. ``None`` gives zeros for
        maps computed from data (only their number is needed then).
    n_regions : int

    Returns
    -------
    dict
    """
    if not isinstance(per_region, dict):
        return {}
    out = {}
    for name, value in per_region.items():
        if value is None:
            continue
        rows = []
        for v in map_spec(value):
            if isinstance(v, str):
                entry = lookup(MAPS, v, f"per_region[{name!r}]'s map",
                               f" or an array of shape (n_regions,) = ({n_regions},)")
                if entry.uses_data and X is None:
                    rows.append(np.zeros(n_regions))
                    continue
                if not entry.uses_data and connectivity is None:
                    raise ValueError(f"map {v!r} needs a connectivity.")
                rows.append(entry.compute(connectivity, X))
            else:
                rows.append(np.asarray(v, dtype=float))
        shapes = {np.shape(r) for r in rows}
        if shapes != {(n_regions,)}:
            raise ValueError(
                f"per_region[{name!r}] must be maps of shape (n_maps, n_regions) = "
                f"(n_maps, {n_regions}), built-in map names, or a list of them; got maps of "
                f"shapes {sorted(shapes)}.")
        out[name] = (np.stack(rows), tuple(map_labels(value)))
    return out


def surrogate_maps(m, n, method="moran", weights=None, random_state=None):
    """``n`` random maps that share properties of the map ``m``: the null of a map test.

    Parameters
    ----------
    m : array of shape (n_regions,)
        The map.
    n : int
        Surrogates to draw.
    method : {'moran', 'permute'}, default='moran'
        ``'permute'``: the map's values in random order (keeps its value
        distribution, destroys its spatial structure: an easy null).
        ``'moran'``: Moran spectral randomisation on the graph ``weights``
        (Wagner & Dadi, BrainSpace's singleton procedure): the centred map
        is expanded on the eigenvectors of the doubly centred weight matrix
        and each coefficient's sign is flipped at random, which keeps the
        map's norm and its Moran autocorrelation spectrum on that graph (the
        graph counterpart of a spin test, which needs region coordinates
        these data do not have).
    weights : array of shape (n_regions, n_regions) or None
        The graph of ``'moran'`` (e.g. the structural connectivity; it is
        symmetrised). Required for ``'moran'``.
    random_state : int, RandomState or None

    Returns
    -------
    ndarray of shape (n, n_regions)
        Each surrogate centred and scaled like the map (same mean; for
        ``'moran'``, same norm around it).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> W = rng.random((10, 10)); m = rng.normal(size=10)
    >>> s = surrogate_maps(m, 5, "moran", W, random_state=0)
    >>> s.shape, bool(np.allclose(np.linalg.norm(s - m.mean(), axis=1),
    ...                           np.linalg.norm(m - m.mean())))
    ((5, 10), True)
    """
    from sklearn.utils import check_random_state

    rng = check_random_state(random_state)
    m = np.asarray(m, dtype=float)
    if m.ndim != 1:
        raise ValueError(f"the map must be 1-D (one value per region), got shape {m.shape}.")
    if method == "permute":
        return np.stack([m[rng.permutation(m.size)] for _ in range(n)])
    if method != "moran":
        raise ValueError(f"method must be 'moran' or 'permute', got {method!r}.")
    if weights is None:
        raise ValueError("method='moran' needs the graph: weights=(n_regions, n_regions).")
    W = np.asarray(weights, dtype=float)
    if W.shape != (m.size, m.size):
        raise ValueError(f"weights must be ({m.size}, {m.size}), got {W.shape}.")
    W = (W + W.T) / 2
    np.fill_diagonal(W, 0.0)
    # eigenvectors of the doubly centred W, in an orthonormal basis of the
    # maps with zero mean (so the constant vector is excluded exactly)
    Q = np.linalg.qr(np.eye(m.size) - 1.0 / m.size)[0][:, :m.size - 1]
    _, U = np.linalg.eigh(Q.T @ W @ Q)
    V = Q @ U
    mean = m.mean()
    b = V.T @ (m - mean)
    resid = 0.0
    signs = rng.choice([-1.0, 1.0], size=(n, b.size))
    return mean + (signs * b) @ V.T + resid


def peak_angular_frequency(X, sample_dt):
    """2 pi times each region's BOLD spectral peak (0.008-0.08 Hz), in rad per ms.

    :func:`brainestimators.datasets.peak_frequencies` in the unit of the Hopf
    and Stuart-Landau ``w`` (brainmass time is in ms).
    """
    return 2 * np.pi * peak_frequencies(X, sample_dt) / 1000.0


@dataclass(frozen=True)
class BuiltinValue:
    """Registry entry of a model-parameter value computed from the training recordings.

    ``compute(X, sample_dt) -> (n_regions,)`` in the parameter's unit.
    """

    name: str
    compute: object
    summary: str


#: Model-parameter values computed in ``fit`` from the training rows
#: (``HopfRegressor(w='peak_frequency')``).
VALUES = {v.name: v for v in (
    BuiltinValue("peak_frequency", peak_angular_frequency,
                 "2 pi x each region's spectral peak in 0.008-0.08 Hz, rad/ms (Hopf ``w``)"),
)}


def get_value(name):
    """The :class:`BuiltinValue` registered as ``name``.

    Examples
    --------
    >>> get_value("peak_frequency").name
    'peak_frequency'
    """
    return lookup(VALUES, name, "value")


def derived_names(values):
    """Model parameters given as names of :data:`VALUES`."""
    return sorted(k for k, v in values.items() if isinstance(v, str))


def resolve_values(values, X, sample_dt, n_regions):
    """``values`` with every name from :data:`VALUES` replaced by its value on X.

    ``X=None`` gives zeros (enough for names and shapes).
    """
    out = dict(values)
    for k in derived_names(values):
        entry = lookup(VALUES, values[k], f"parameter {k!r}, a value computed from recordings,",
                       " or a number")
        out[k] = (np.zeros(n_regions) if X is None
                  else np.asarray(entry.compute(X, sample_dt), dtype=float))
    return out
