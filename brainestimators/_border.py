"""The estimators' border: their parameters and data, checked once, handed down as values.

An estimator (``_base.py``) and the functions that return fitted estimators
(``fit_folds``, ``pareto_front``, profiles) cross into the numerics here and
only here: :func:`model_of` checks the constructor parameters and returns
them as a :class:`~._model.Model`, :func:`setup` checks the data
(scikit-learn's rules, units, shapes) and builds the frozen plan, and
:func:`store_fit` sets the fitted attributes from a fit's result. Below the
plan nothing sees the estimator.
"""

import jax.numpy as jnp
import numpy as np
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted, validate_data

from ._derived import fitted_maps, per_subset, with_values
from ._layout import expand
from ._maps import derived_names, uses_data
from ._model import make_model
from ._plan import make_plan
from ._validation import as_magnitude, check_driven, check_recordings

__all__ = ["model_of", "recordings", "setup", "fitted_setup", "undriven_setup", "store_fit",
           "UNCERTAINTY_ATTRIBUTES"]

#: Attributes of a fit's uncertainty, cleared by every new fit.
UNCERTAINTY_ATTRIBUTES = ("param_cov_", "param_std_", "identifiability_", "bootstrap_params_",
                          "_layout", "_batched_by")


def model_of(est, fitting=True):
    """The estimator's parameters, validated, as a :class:`~._model.Model`.

    A per-family class declares its family (``_family``) and which
    constructor arguments are model parameters (``_model_param_names``); the
    generic regressor takes them as ``model`` and ``model_params``.
    ``fitting=False``: ``bounds`` are ignored (a draw at constructor values).
    """
    est._validate_params()  # scikit-learn's parameter constraints
    params = est.get_params(deep=False)
    key = params["model"] if est._family is None else est._family
    return make_model(key, _model_values(est, params), params, fitting)


def _model_values(est, params):
    """The model-parameter values as given (numbers, arrays or names of derived values)."""
    if est._family is None:
        return dict(params["model_params"] or {})
    return {n: params[n] for n in est._model_param_names}


def recordings(est, model, X, reset):
    """Validated recordings ``(n, n_time, n_regions)`` and the input's ndim."""
    X = as_magnitude(X, model.monitor_unit, f"X (monitored variable {model.monitor!r})")
    check_recordings(X)
    if reset:
        X = validate_data(est, X, reset=True, allow_nd=True, dtype=np.float64)
    else:  # any length: only the regions must match the fit
        X = check_array(X, allow_nd=True, dtype=np.float64)
    check_recordings(X)
    ndim = X.ndim
    return (X[:, :, None] if ndim == 2 else X), ndim


def _driven(est, model, X, y, reset):
    """Validated ``(drive, target)`` of ``fit(X, y)``."""
    X = as_magnitude(X, model.spec.input_unit, "X (drive)")
    y = as_magnitude(y, model.monitor_unit, f"y (monitored variable {model.monitor!r})")
    X, y = validate_data(
        est, X, y, reset=reset,
        validate_separately=(
            dict(allow_nd=True, dtype=np.float64),
            dict(ensure_2d=False, allow_nd=True, dtype=np.float64),
        ),
    )
    return check_driven(X, y, warn=reset)


def setup(est, model, X, y, *, reset, fitting=True, maps=None, from_data=None, previous=None,
          label=None, seed=None, start=True):
    """``(plan, drive, target, ndim)`` for a fit (``reset``) or a prediction.

    ``maps``: the map-based parameters' maps (default: computed from the
    recordings X for a fit, from the fit for a prediction). Model parameters
    named after values computed from recordings (``w='peak_frequency'``)
    come from X for a fit and from ``derived_params_`` for a prediction.
    ``from_data`` (default: ``reset``) computes both from X without
    resetting the estimator's fitted state: a profile of an unfitted
    estimator is a section of the loss its fit on X would minimise.
    ``previous``: parameters to start from (warm start, profiles);
    ``seed``: the fit's seed (default: drawn from ``random_state``);
    ``start``: whether the plan needs a start point (not for predictions).
    """
    from_data = reset if from_data is None else from_data
    kw = dict(fitting=fitting, previous=previous, label=label, seed=seed, start=start)
    if y is None:
        target, ndim = recordings(est, model, X, reset)
        if from_data:
            model, data_maps, _ = per_subset(model, target, [slice(None)])
            maps = data_maps if maps is None else maps
        else:
            model = with_values(model, None, getattr(est, "derived_params_", None))
        plan = make_plan(model, "target", target.shape[1], target.shape[2],
                         target_shape=target.shape[1:], maps=maps, **kw)
        return plan, None, target, ndim
    if from_data and (uses_data(model.params["per_region"]) or derived_names(model.values)):
        raise ValueError(
            "maps and parameter values computed from recordings (fc_gradient, "
            "peak_frequency, ...) need fit(X) with recordings as the target; with "
            "fit(X, y) give them as arrays.")
    model = with_values(model, None, getattr(est, "derived_params_", None))
    drive, target = _driven(est, model, X, y, reset)
    mode = "trajectory" if target.ndim == 3 else "readout"
    n_time = target.shape[1] if mode == "trajectory" else (
        drive.shape[1] if drive.ndim == 3 else 0)
    n_outputs = 1 if target.ndim == 1 else target.shape[-1]
    plan = make_plan(model, mode, n_time, drive.shape[-1],
                     drive_kind="const" if drive.ndim == 2 else "series",
                     n_outputs=n_outputs, target_shape=target.shape[1:] if mode ==
                     "trajectory" else target.shape, maps=maps, **kw)
    return plan, drive, target, target.ndim


def fitted_setup(est, X, y=None):
    """``(plan, theta, drive, target)`` of a fitted estimator, for predict / score / simulate."""
    check_is_fitted(est)
    model = model_of(est)
    maps = fitted_maps(model, getattr(est, "maps_", None), getattr(est, "map_names_", None))
    if est.fit_mode_ == "target":
        plan, drive, target, _ = setup(est, model, X, None, reset=False, maps=maps,
                                       seed=est.noise_seed_, start=False)
        n_cols = getattr(est, "n_channels_", est.n_regions_)
        if target.shape[2] != n_cols:
            what = "channels" if n_cols != est.n_regions_ else "regions"
            raise ValueError(
                f"X has {target.shape[2]} {what}; the model was fitted with {n_cols} {what}.")
    else:
        if y is None:
            X = as_magnitude(X, model.spec.input_unit, "X (drive)")
            X = validate_data(est, X, reset=False, allow_nd=True, dtype=np.float64)
            nd, n_out = est.target_ndim_, est.n_outputs_
            shape = (X.shape[0],) + ((X.shape[1], n_out) if nd == 3 else (n_out,)
                                     if nd == 2 else ())
            y = np.zeros(shape)
        plan, drive, target, _ = setup(est, model, X, y, reset=False, maps=maps,
                                       seed=est.noise_seed_, start=False)
        if drive.ndim == 3 and drive.shape[-1] not in (1, est.n_regions_):
            raise ValueError(
                f"X has {drive.shape[-1]} inputs; the model was fitted with "
                f"{est.n_regions_} regions.")
    if set(plan.layout.names) != set(est.best_params_):
        raise ValueError(
            f"bounds or per_region changed since fit ({sorted(est.best_params_)} -> "
            f"{list(plan.layout.names)}); refit.")
    theta = jnp.asarray(plan.layout.flatten(est.best_params_), jnp.float32)
    d = None if drive is None else jnp.asarray(drive, jnp.float32)
    return plan, theta, d, target


def undriven_setup(est, n_time=None):
    """``(plan, theta)`` of the undriven model, for its moments and expected spectra.

    Fitted: at the fitted parameters, recordings as long as the training
    ones; else at the constructor values (``bounds`` ignored), ``n_time``
    samples (default 2).
    """
    if hasattr(est, "best_params_"):
        if est.fit_mode_ != "target":
            raise ValueError("moments are those of the undriven model: fit(X) models only.")
        n_cols = getattr(est, "n_channels_", est.n_regions_)
        plan, theta, _, _ = fitted_setup(est, np.zeros((1, est.n_features_in_, n_cols)))
        return plan, theta
    model = model_of(est, fitting=False)
    if derived_names(model.values):
        raise ValueError(f"parameters {derived_names(model.values)} are computed from "
                         "recordings in fit: fit first, or give them as numbers.")
    n = 1 if model.conn is None else model.conn.shape[0]
    if model.sensors:
        n = len(model.params["lead_field"])
    return (make_plan(model, "target", n_time or 2, n, fitting=False),
            jnp.zeros(0, jnp.float32))


def store_fit(est, plan, res, r, ndim, row_fixed=None, batched_by=None):
    """Set the fitted attributes of ``est`` from row ``r`` of a :class:`~._fit.FitResult`.

    ``row_fixed``: that row's own traced values (its maps, its computed
    parameter values), where they differ from ``plan.fixed``. Clears the
    uncertainty of an earlier fit. The restart attributes describe the one
    start of row ``r`` (``fit`` replaces them with its restarts').
    ``batched_by``: the function that fitted this row among others
    (``'fit_folds'``, ...), which fits each row once, without restarts or
    uncertainty. Returns ``est``.
    """
    fixed = {**plan.fixed, **(row_fixed or {})}
    est.best_params_ = plan.layout.unflatten(res.theta[r])
    est.best_loss_ = float(res.loss[r])
    est.history_ = [float(v) for v in res.history[r]]
    est.n_iter_ = int(res.n_iter[r])
    est.converged_ = bool(res.converged[r])
    est.constraint_violation_ = float(res.violation[r])
    est.stop_reason_ = res.reason[r]
    est.fit_mode_ = plan.config.mode
    est.n_regions_ = int(plan.config.sim.n_regions)
    est.n_channels_ = int(plan.config.sim.n_obs)  # columns of a recording
    est.n_outputs_ = int(plan.config.n_outputs)
    est.target_ndim_ = int(ndim)
    est.noise_seed_ = plan.seed
    map_names = sorted({e.target for e in plan.layout.entries if e.map_index is not None})
    est.maps_ = {name: np.asarray(fixed["maps:" + name], dtype=float) for name in map_names}
    est.map_names_ = {name: [e.name.split(":", 1)[1] for e in plan.layout.entries
                             if e.target == name and e.map_index is not None]
                      for name in est.maps_}
    est.derived_params_ = {name: np.asarray(fixed[name], dtype=float)
                           for name in derived_names(
                               _model_values(est, est.get_params(deep=False)))}
    est.restart_losses_ = np.asarray(res.loss[r:r + 1], float)
    est.restart_spread_ = plan.layout.unflatten(np.zeros(plan.layout.size))
    for name in UNCERTAINTY_ATTRIBUTES:  # none from an earlier fit
        est.__dict__.pop(name, None)
    if batched_by is not None:
        est._batched_by = batched_by
    est.__dict__.pop("effective_connectivity_", None)
    if "connectivity" in plan.layout.names:
        p = expand(plan.config.fitted, jnp.asarray(res.theta[r], jnp.float32), fixed)
        est.effective_connectivity_ = np.asarray(p["connectivity"], dtype=float)
    return est
