"""The fit plan: the static configuration of a fit, built once from parameters and data.

Data flow: X -> the estimator's border -> :func:`make_plan` (frozen
:class:`FitPlan`) -> evaluator -> backend loop -> fitted numpy attributes.
The plan reads the estimator's parameters as values (a :class:`~._model.Model`),
never the estimator. It carries everything a fit needs besides the data:
the start point, the seed and the stopping settings, so that
:func:`~._fit.run_fit` ``(plan, target, drive)`` runs any fit.
"""

from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np
from sklearn.utils import check_random_state

from ._evaluator import EvalConfig, get_evaluator
from ._layout import Entry, Layout
from ._lead_field import lead_field
from ._maps import resolve_maps
from ._model import ec_mask
from ._objectives import JointObjective, resolve_objective
from ._sensor_moments import sample_interval
from ._sim_config import sim_config

__all__ = ["Stopping", "FitPlan", "make_plan", "start_point"]


@dataclass(frozen=True)
class Stopping:
    """When a fit stops and what it reports: the estimator's settings as values."""

    max_iter: int = 100
    tol: float = None
    n_iter_no_change: int = None
    callback: object = None
    verbose: int = 0
    label: str = "fit"


@dataclass(frozen=True)
class FitPlan:
    """Everything a fit, a prediction or a draw needs besides the data.

    ``config`` keys the compiled evaluator; ``fixed`` holds the traced values
    (model parameters, connectivity, noise level, maps); ``layout`` maps the
    flat parameter vector to names and boxes; ``x0``, ``seed`` and
    ``stopping`` are the start point, the seed of the noise and the backend's
    sampling, and the stopping settings; ``candidates`` (parameter sets per
    evaluation) and ``gradient`` (differentiates the loss) are the backend's,
    for the cost guard.
    """

    config: EvalConfig
    layout: Layout
    fixed: dict
    backend: object
    settings: object
    constraints: tuple = ()
    x0: tuple = ()
    seed: int = 0
    stopping: Stopping = Stopping()
    candidates: int = 1
    gradient: bool = False

    @property
    def evaluator(self):
        return get_evaluator(self.config)

    @property
    def objective(self):
        return self.config.objective


def _per_region(per_region):
    """``{name: None (free per region) or maps (n_maps, n_regions)}``."""
    if per_region is None:
        return {}
    if isinstance(per_region, str):
        return {per_region: None}
    if isinstance(per_region, dict):
        return dict(per_region)
    return dict.fromkeys(per_region)


def _layout(model, names, lo, hi, n_regions, resolved):
    """Entries and boxes; the maps of map-based parameters as traced values.

    ``resolved`` holds each map-based parameter's ``(maps, labels)``
    (:func:`~._maps.resolve_maps`).
    """
    per_region = _per_region(model.params["per_region"])
    bounds = model.params["bounds"] or {}
    unknown = set(per_region) - set(names)
    if unknown:
        raise ValueError(
            f"per_region names {sorted(unknown)}, which are not fitted; fitted parameters "
            f"(the keys of bounds) are {list(names)}."
        )
    entries, los, his, maps = [], [], [], {}
    for name, a, b in zip(names, lo, hi):
        if name == "connectivity":
            entries.append(Entry(name, int(ec_mask(model, n_regions)[3].size), name))
            los.append(a), his.append(b)
            continue
        if name in per_region and per_region[name] is None:
            entries.append(Entry(name, n_regions, name))
            los.append(a), his.append(b)
            continue
        entries.append(Entry(name, 1, name))
        los.append(a), his.append(b)
        if name not in per_region:
            continue
        m, labels = resolved[name]
        if not np.all(np.isfinite(m)):
            raise ValueError(f"per_region[{name!r}] has maps with NaN or inf values.")
        maps[name] = m
        for i, label in enumerate(labels):
            coef = f"{name}:{label}"
            # coefficient x map spans at most the base parameter's own box
            width = (b - a) / max(np.max(np.abs(m[i])), 1e-12)
            box = bounds.get(coef, (-width, width))
            if not (isinstance(box, (tuple, list)) and len(box) == 2 and box[0] < box[1]):
                raise ValueError(f"bounds[{coef!r}] must be a (low, high) pair, got {box!r}.")
            entries.append(Entry(coef, 1, name, i))
            los.append(float(box[0])), his.append(float(box[1]))
    return Layout(tuple(entries), tuple(los), tuple(his)), maps


def _fixed(model, n_regions, names, maps, objective):
    """Traced values of every parameter (fitted ones are overwritten by theta)."""
    spec, p = model.spec, model.params
    fixed = {}
    if isinstance(objective, JointObjective):
        fixed["objective:weights"] = jnp.asarray(objective.weights, jnp.float32)
    for name, (default, _) in model.parameters.items():
        value = model.values.get(name, default)
        arr = np.asarray(value, dtype=float)
        if arr.ndim not in (0, 1) or (arr.ndim == 1 and arr.shape[0] != n_regions):
            raise ValueError(
                f"parameter {name!r} must be a scalar or one value per region "
                f"({n_regions}), got shape {arr.shape}."
            )
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"parameter {name!r} is not finite: {value!r}.")
        fixed[name] = jnp.asarray(arr, jnp.float32)
    for state, value in model.initial.items():
        arr = np.asarray(value, dtype=float)
        if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n_regions) or not np.all(
                np.isfinite(arr)):
            raise ValueError(
                f"initial_state[{state!r}] must be a finite scalar or one value per region, "
                f"got {value!r}."
            )
        fixed["init:" + state] = jnp.asarray(arr, jnp.float32)
    sigma = np.asarray(p["noise_sigma"], dtype=float)
    if sigma.ndim > 1 or (sigma.ndim == 1 and sigma.shape[0] != n_regions) or not np.all(
            sigma >= 0):
        raise ValueError(
            f"noise_sigma must be >= 0, one value or one per region, got {p['noise_sigma']!r}.")
    fixed["noise_sigma"] = jnp.asarray(sigma, jnp.float32)
    conn = model.conn
    if conn is not None:
        fixed["connectivity"] = jnp.asarray(conn, jnp.float32)
        if not spec.builtin_network:
            fixed["k"] = jnp.asarray(float(p["k"]), jnp.float32)
    elif "k" in names:
        raise ValueError("bounds name the coupling 'k', but there is no connectivity to couple.")
    for name, m in maps.items():
        fixed["maps:" + name] = jnp.asarray(m, jnp.float32)
    if model.sensors:
        fixed["lead_field"] = jnp.asarray(lead_field(p, n_regions), jnp.float32)
        fixed["sensor_noise"] = jnp.asarray(float(p["sensor_noise"]), jnp.float32)
    if "connectivity" in names:
        rows, cols, index, w_sc = ec_mask(model, n_regions)
        fixed.update({"ec:rows": jnp.asarray(rows), "ec:cols": jnp.asarray(cols),
                      "ec:index": jnp.asarray(index), "ec:sc": jnp.asarray(w_sc, jnp.float32),
                      "ec:alpha": jnp.asarray(float(p.get("ec_alpha", 0.0)), jnp.float32)})
    return fixed


def _constraints(given, backend, settings, names):
    if given is None:
        return ()
    items = [given] if isinstance(given, dict) else list(given)
    out = []
    for c in items:
        if not (isinstance(c, dict) and c.get("type") in ("eq", "ineq") and callable(c.get("fun"))):
            raise ValueError(
                "each constraint must be a dict {'type': 'eq' or 'ineq', 'fun': fun} with "
                f"fun(params) -> scalar or array; got {c!r}.")
        out.append({"type": c["type"], "fun": c["fun"]})
    if out and not backend.constraints(settings):
        raise ValueError(
            f"constraints are honoured by backend='scipy' with 'SLSQP', 'trust-constr', "
            f"'COBYLA' or 'COBYQA'; backend={backend.name!r} with "
            f"{type(settings).__name__} cannot. Fitted parameters: {list(names)}.")
    return tuple(out)


def _check_statistic(model, objective, mode, sim, names):
    """``fc_from='moments'`` needs fit(X), an FC or spectrum objective, noise and no delays."""
    p, spec = model.params, model.spec
    if p.get("fc_from", "simulation") != "moments":
        return
    if mode != "target":
        raise ValueError("fc_from='moments' compares FC with recordings: it needs fit(X) "
                         "(recordings as the target), not fit(X, y).")
    fm = objective.from_moments
    if fm is None:
        raise ValueError(
            f"fc_from='moments' gives the model's expected FC or spectrum, and objective "
            f"{objective.name!r} needs simulated recordings; use an FC objective ('fc_corr', "
            "'fc_rmse', 'fc_lag_corr'), a spectrum objective ('log_psd', 'spectral_peak', "
            "'aperiodic_exponent', or a dict of either), or fc_from='simulation' with n_draws "
            "> 1 for an expected FCD or envelope FC.")
    sensors = model.sensors
    if sensors and getattr(fm, "region", True):
        raise ValueError(f"fc_from='moments' gives the sources' FC, not what the "
                         f"{p['observation']!r} sensors see; use a spectrum objective "
                         "('log_psd', 'spectral_peak', 'aperiodic_exponent'), or "
                         "fc_from='simulation' (n_draws > 1 for an expected statistic).")
    if hasattr(fm, "spectral_lags"):
        if p["observation"] is not None and not sensors:
            raise ValueError(f"fc_from='moments' models the spectrum of the monitored "
                             f"variable or of EEG / MEG sensors, not of "
                             f"observation={p['observation']!r}; simulate.")
        sample_interval(sim)  # whole steps per sample
    if sim.delays is not None:
        raise ValueError("fc_from='moments' does not model conduction delays; drop distance "
                         "and speed, or simulate.")
    if not (np.any(np.asarray(p["noise_sigma"]) > 0) or "noise_sigma" in names) or not spec.noise:
        raise ValueError("fc_from='moments' needs noise (noise_sigma > 0): without it the "
                         "model's covariance is zero and its FC undefined.")


def make_plan(model, mode, n_time, n_regions, *, drive_kind="none", n_outputs=None,
              target_shape=None, fitting=True, maps=None, previous=None, label=None,
              seed=None, start=True):
    """Build the :class:`FitPlan` of a fit (``fitting=True``) or of a prediction.

    Parameters
    ----------
    model : Model
        The estimator's parameters as values.
    mode : {'target', 'readout', 'trajectory'}
        The data contract.
    n_time : int
        Samples of the recordings or trajectories (0 for a constant drive).
    n_regions : int
        Regions of the target recordings, or inputs of the drive.
    drive_kind : {'none', 'const', 'series'}
        The drive.
    n_outputs : int or None
        Output columns of a driven target (``n_regions`` or 1).
    target_shape : tuple or None
        Shape of one row of the target, for the objective's own checks.
    fitting : bool
        Whether ``bounds`` name what is fitted (a draw at constructor values
        fits nothing).
    maps : dict or None
        ``{name: (maps, labels)}`` of the map-based parameters, resolved from
        the training data (:func:`~._maps.resolve_maps`); ``None`` resolves
        them without data (maps computed from recordings are zeros: enough
        for names and shapes).
    previous : dict or None
        A fit's ``best_params_`` to start from (warm start, profiles).
    label : str or None
        What the progress bar calls the fit.
    seed : int or None
        The fit's seed; None draws it from ``random_state`` (once per plan,
        as a fit draws it once).
    start : bool
        Whether to compute the start point (a prediction needs none, and
        does not check ``init`` again).
    """
    p = model.params
    objective = resolve_objective(p["objective"])
    backend, settings = model.backend, model.settings
    names, lo, hi = model.bounds if fitting else ((), np.zeros(0), np.zeros(0))
    sim = sim_config(model, mode, drive_kind, n_time, n_regions, "noise_sigma" in names)
    if mode == "target":
        if n_regions != sim.n_obs:
            raise ValueError(f"X has {n_regions} regions, the model {sim.n_obs}.")
        n_outputs = sim.n_obs
    elif n_outputs not in (1, sim.n_obs):
        raise ValueError(
            f"y has {n_outputs} outputs; the model has {sim.n_regions} regions. "
            "Give one output per region, or a single output (the region mean)."
        )
    if maps is None:
        maps = resolve_maps(p["per_region"], model.conn, None, sim.n_regions)
    layout, maps = _layout(model, names, lo, hi, sim.n_regions, maps)
    # a joint objective's weights are traced (in ``fixed``): every weighting shares one key
    key_objective = objective.canonical if isinstance(objective, JointObjective) else objective
    _check_statistic(model, objective, mode, sim, names)
    config = EvalConfig(sim, mode, key_objective, layout.static, int(n_outputs),
                        p["readout"] if mode == "readout" else "mean",
                        p.get("fc_from", "simulation"), int(p.get("n_draws", 1)))
    if target_shape is not None:
        pred_shape = (sim.n_out, sim.n_obs) if mode == "target" else target_shape
        objective.validate(pred_shape, target_shape)
    fixed = _fixed(model, sim.n_regions, names, maps, objective)
    if seed is None:
        seed = int(check_random_state(p["random_state"]).randint(np.iinfo(np.int32).max)) \
            if fitting else 0
    stopping = Stopping(p["max_iter"], p["tol"], p["n_iter_no_change"], p["callback"],
                        p["verbose"], label or f"{model.spec.name} [{backend.name}]")
    x0 = start_point(model, layout, fixed, previous) if fitting and start else np.zeros(0)
    return FitPlan(config, layout, fixed, backend, settings,
                   _constraints(p["constraints"], backend, settings, names),
                   tuple(float(v) for v in x0), seed, stopping,
                   int(backend.candidates(settings, layout.size)), bool(backend.gradient(settings)))


def start_point(model, layout, fixed, previous=None):
    """Starting point: warm start (``previous``), ``init``, the fixed value, or the box centre."""
    init = model.init or {}
    unknown = set(init) - set(layout.names)
    if unknown:
        raise ValueError(
            f"init names {sorted(unknown)}, which are not fitted; fitted parameters "
            f"(the keys of bounds) are {list(layout.names)}."
        )
    x0 = []
    for e, a, b in zip(layout.entries, layout.lo, layout.hi):
        centre = 0.5 * (a + b) if np.isfinite(a) and np.isfinite(b) else (
            a + 1.0 if np.isfinite(a) else b - 1.0 if np.isfinite(b) else 0.0)
        if previous is not None and e.name in previous and np.size(previous[e.name]) == e.size:
            v = np.asarray(previous[e.name], float)
        elif e.target == "connectivity" and e.name not in init:  # the connectome's weights
            v = np.asarray(fixed["ec:sc"], float)
        elif e.name in init:
            v = np.asarray(init[e.name], float)
            if v.size not in (1, e.size):
                raise ValueError(
                    f"init[{e.name!r}] has {v.size} values; give one, or {e.size} (one per "
                    "region) for a per-region parameter.")
            if not np.all(np.isfinite(v)) or np.any(v < a) or np.any(v > b):
                raise ValueError(f"init[{e.name!r}] = {model.params['init'][e.name]} lies outside "
                                 f"bounds ({a}, {b}).")
        elif e.map_index is None and e.name in fixed:
            v = np.asarray(fixed[e.name], float)
            if v.size not in (1, e.size) or not (
                    np.all(np.isfinite(v)) and np.all(v > a) and np.all(v < b)):
                v = np.asarray(centre)
        elif e.map_index is not None:
            v = np.asarray(0.0 if a < 0 < b else centre)
        else:
            v = np.asarray(centre)
        x0.extend(np.broadcast_to(v, (e.size,)).tolist())
    return np.clip(np.array(x0, float), layout.lo_flat, layout.hi_flat)
