"""The model as its training recordings define it.

Parameter values such as ``w='peak_frequency'`` and maps such as
``'fc_gradient'`` are computed from the rows a fit is given, never from
held-out ones; prediction reuses the fit's (``derived_params_``, ``maps_``).
Batched fits of several row subsets (``fit_rows``, ``fit_folds``) compute
each subset's own and pass them as traced per-row values.
"""

import dataclasses

import jax.numpy as jnp
import numpy as np

from ._lead_field import lead_field, model_regions
from ._maps import derived_names, map_labels, resolve_maps, resolve_values, uses_data
from ._plan import make_plan
from ._predict import sample

__all__ = ["with_values", "fitted_maps", "per_subset", "draw_unfitted"]


def with_values(model, X, fitted=None):
    """``model`` with its values computed from recordings filled in.

    From the training recordings ``X``; with ``X=None`` from a fit's
    ``derived_params_`` (``fitted``), else zeros (names and shapes only).
    """
    names = derived_names(model.values)
    if not names:
        return model
    if X is None and fitted is not None and set(names) <= set(fitted):
        return dataclasses.replace(model, values={**model.values, **{
            k: np.asarray(fitted[k], dtype=float) for k in names}})
    sample_dt = model.times["sample_dt"] or model.times["dt"]
    conn = model.conn
    n = X.shape[2] if X is not None else (1 if conn is None else conn.shape[0])
    return dataclasses.replace(model, values=resolve_values(model.values, X, sample_dt, n))


def fitted_maps(model, fitted, names=None):
    """A fit's ``maps_`` as ``make_plan`` takes them, in ``per_region``'s current order.

    ``names``: the fit's ``map_names_`` (each map's name, in ``maps_``'s
    order). Maps are matched to coefficients by name, so reordering
    ``per_region``'s maps after the fit reorders the fitted maps with them.
    None without maps, or when ``per_region`` names other maps than the
    fit's (then the coefficients' names differ too, and the plan's check
    says so).
    """
    per_region = model.params["per_region"]
    if not fitted or not isinstance(per_region, dict) or set(fitted) - set(per_region):
        return None
    out = {}
    for name, m in fitted.items():
        now = tuple(map_labels(per_region[name]))
        was = tuple(names[name]) if names and name in names else now
        m = np.asarray(m, dtype=float)
        if was != now:
            if sorted(was) != sorted(now) or len(set(was)) != len(was):
                return None
            m = m[[was.index(label) for label in now]]
        out[name] = (m, now)
    return out


def per_subset(model, X, subsets):
    """Values and maps of each subset of X's rows, from those rows alone.

    Parameters
    ----------
    model : Model
    X : ndarray of shape (n_samples, n_time, n_regions)
    subsets : list of index arrays or slices
        The rows each batched problem is fitted to.

    Returns
    -------
    model : Model
        With the first subset's values (the plan's).
    maps : dict
        The first subset's maps (``resolve_maps``).
    row_fixed : dict
        ``{name: array (len(subsets), ...)}`` for the traced values that
        differ between subsets (none unless a value or map uses the data).
    """
    per_region, conn = model.params["per_region"], model.conn
    from_data, derived = uses_data(per_region), derived_names(model.values)
    n_regions = model_regions(model, X.shape[2])
    maps, values = [], []
    for s in subsets if from_data else subsets[:1]:
        maps.append(resolve_maps(per_region, conn, X[s], n_regions))
    for s in subsets if derived else subsets[:1]:
        values.append(resolve_values(model.values, X[s], model.times["sample_dt"] or
                                     model.times["dt"], X.shape[2]) if derived else model.values)
    row_fixed = {}
    if from_data:
        row_fixed.update({"maps:" + name: np.stack([m[name][0] for m in maps])
                          for name in maps[0]})
    row_fixed.update({k: np.stack([np.asarray(v[k], dtype=float) for v in values])
                      for k in derived})
    return dataclasses.replace(model, values=values[0]), maps[0], row_fixed


def draw_unfitted(model, keys, X, n_time):
    """Recordings at the constructor values (nothing fitted), one per noise key."""
    if derived_names(model.values):
        raise ValueError(
            f"parameters {derived_names(model.values)} are computed from the recordings "
            "in fit (e.g. w='peak_frequency'): fit the estimator first, or give them as "
            "numbers to simulate without fitting.")
    conn = model.conn
    if X is not None:
        X = np.asarray(X)
        n_time = n_time or X.shape[1]
        n_regions = X.shape[2] if X.ndim == 3 else 1
    else:
        if n_time is None:
            raise ValueError("An unfitted model needs n_time (or X) to simulate.")
        n_regions = 1 if conn is None else conn.shape[0]
        if model.sensors:  # a recording's columns are the lead field's channels
            n_regions = lead_field(model.params).shape[0]
    plan = make_plan(model, "target", n_time, n_regions, fitting=False)
    return sample(plan, jnp.zeros(0, jnp.float32), None, keys)
