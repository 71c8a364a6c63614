"""The fit plan: the static configuration of a fit, built once from parameters and data.

Data flow: X -> validation -> :func:`make_plan` (frozen :class:`FitPlan`) ->
evaluator -> backend loop -> fitted numpy attributes. The plan reads the
estimator's parameters as values (a :class:`Model`), never the estimator.
"""

from dataclasses import dataclass

import brainunit as u
import jax.numpy as jnp
import numpy as np

from ._backends import get_backend
from ._evaluator import EvalConfig, get_evaluator
from ._layout import Entry, Layout
from ._lead_field import lead_field, model_regions
from ._maps import resolve_maps
from ._objectives import JointObjective, resolve_objective
from ._sensor_moments import sample_interval
from ._observations import get_observation
from ._simulation import SimConfig, init_argument
from ._specs import model_parameters
from ._validation import as_magnitude, as_ms, check_bounds, monitor_unit

__all__ = ["Model", "FitPlan", "make_plan", "start_point", "connectivity", "lead_field",
           "model_regions", "ec_mask"]


@dataclass(frozen=True)
class Model:
    """An estimator's model as values.

    Parameters
    ----------
    key : str or class
        Family name or brainmass class (``SimConfig.model``).
    spec : ModelSpec
        Its description.
    values : dict
        Given values of model parameters (``{name: value}``).
    params : dict
        The estimator's constructor parameters (``get_params(deep=False)``).
    """

    key: object
    spec: object
    values: dict
    params: dict

    @property
    def sensors(self):
        """Whether the recording is channels read through a lead field (EEG, MEG)."""
        return get_observation(self.params["observation"]).sensors

    @property
    def monitor(self):
        """The recorded state (or method): for sensors, the family's source signal."""
        if self.params["monitor"]:
            return self.params["monitor"]
        return self.spec.sensor_source if self.sensors else self.spec.monitor

    @property
    def monitor_unit(self):
        """Unit of a recording: the monitored variable's, or none for BOLD."""
        if self.params["observation"] is not None:  # BOLD; sensors in relative units
            return u.UNITLESS
        return monitor_unit(self.key, self.monitor)

    def units(self):
        """Unit of every fittable parameter."""
        units = {n: unit for n, (_, unit) in model_parameters(self.spec).items()}
        units["noise_sigma"] = u.UNITLESS
        if not self.spec.builtin_network:
            units["k"] = u.UNITLESS
            if self.params.get("connectivity") is not None:
                units["connectivity"] = u.UNITLESS  # effective connectivity
        return units


@dataclass(frozen=True)
class FitPlan:
    """Everything a fit, a prediction or a draw needs besides the data.

    ``config`` keys the compiled evaluator; ``fixed`` holds the traced values
    (model parameters, connectivity, noise level, maps); ``layout`` maps the
    flat parameter vector to names and boxes.
    """

    config: EvalConfig
    layout: Layout
    fixed: dict
    backend: object
    settings: object
    constraints: tuple = ()

    @property
    def evaluator(self):
        return get_evaluator(self.config)

    @property
    def objective(self):
        return self.config.objective


def connectivity(params):
    """The connectivity as a float array, or None."""
    if params["connectivity"] is None:
        return None
    conn = np.asarray(params["connectivity"], dtype=float)
    if conn.ndim != 2 or conn.shape[0] != conn.shape[1]:
        raise ValueError(f"connectivity must be a square (N, N) matrix, got shape {conn.shape}.")
    if not np.all(np.isfinite(conn)):
        raise ValueError("connectivity contains NaN or inf.")
    return conn


def _steps(value, dt, what):
    ratio = value / dt
    n = int(round(ratio))
    if abs(ratio - n) > 1e-6 * max(1.0, abs(ratio)):
        raise ValueError(f"{what}={value} ms is not a whole number of dt={dt} ms steps.")
    return n


def _per_region(per_region):
    """``{name: None (free per region) or maps (n_maps, n_regions)}``."""
    if per_region is None:
        return {}
    if isinstance(per_region, str):
        return {per_region: None}
    if isinstance(per_region, dict):
        return dict(per_region)
    return dict.fromkeys(per_region)


def ec_mask(params, n_regions):
    """``(rows, cols, index, w_sc)`` of fitted connectome weights (effective connectivity).

    Weight ``index[m]`` sets ``C[rows[m], cols[m]]``; ``w_sc`` are the
    connectome's values of the weights (their starting point and the
    regulariser's target).
    """
    conn = connectivity(params)
    mask = conn > 0 if params.get("ec_mask") is None else np.asarray(params["ec_mask"]) != 0
    if mask.shape != (n_regions, n_regions):
        raise ValueError(f"ec_mask has shape {mask.shape}; connectivity has {conn.shape}.")
    mask = mask & ~np.eye(n_regions, dtype=bool)
    if params.get("ec_symmetric", True):
        i, j = np.nonzero(np.triu(mask | mask.T, 1))
        rows, cols = np.concatenate([i, j]), np.concatenate([j, i])
        index = np.tile(np.arange(i.size), 2)
        w_sc = 0.5 * (conn[i, j] + conn[j, i])
    else:
        rows, cols = np.nonzero(mask)
        index, w_sc = np.arange(rows.size), conn[rows, cols]
    if index.size == 0:
        raise ValueError("ec_mask (or connectivity > 0) selects no connection to fit.")
    return rows, cols, index, w_sc


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
            entries.append(Entry(name, int(ec_mask(model.params, n_regions)[3].size), name))
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
    for name, (default, unit) in model_parameters(spec).items():
        value = as_magnitude(model.values.get(name, default), unit, f"parameter {name!r}")
        arr = np.asarray(value, dtype=float)
        if arr.ndim not in (0, 1) or (arr.ndim == 1 and arr.shape[0] != n_regions):
            raise ValueError(
                f"parameter {name!r} must be a scalar or one value per region "
                f"({n_regions}), got shape {arr.shape}."
            )
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"parameter {name!r} is not finite: {value!r}.")
        fixed[name] = jnp.asarray(arr, jnp.float32)
    for state, value in (p["initial_state"] or {}).items():
        value = as_magnitude(value, monitor_unit(model.key, state), f"initial_state[{state!r}]")
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
    conn = connectivity(p)
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
        rows, cols, index, w_sc = ec_mask(p, n_regions)
        fixed.update({"ec:rows": jnp.asarray(rows), "ec:cols": jnp.asarray(cols),
                      "ec:index": jnp.asarray(index), "ec:sc": jnp.asarray(w_sc, jnp.float32),
                      "ec:alpha": jnp.asarray(float(p.get("ec_alpha", 0.0)), jnp.float32)})
    return fixed


def _delay_steps(params, conn, dt):
    """Conduction delays ``distance / speed`` in whole steps (static), or None."""
    if params.get("distance") is None:
        return None
    D = np.asarray(as_magnitude(params["distance"], u.mm, "distance"), dtype=float)
    if D.shape != conn.shape:
        raise ValueError(f"distance has shape {D.shape}; connectivity has {conn.shape}.")
    if not np.all(np.isfinite(D)) or np.any(D < 0):
        raise ValueError("distance must be finite and non-negative (mm).")
    speed = params.get("speed")
    v = float(as_magnitude(speed, u.mm / u.ms, "speed")) if speed is not None else np.nan
    if not v > 0:
        raise ValueError(
            f"speed must be a positive number of mm/ms (= m/s) with distance, got {speed!r}.")
    steps = np.rint(D / v / dt).astype(int)
    np.fill_diagonal(steps, 0)
    return tuple(steps.ravel().tolist()) if steps.any() else None


def _sim_config(model, monitor, observation, mode, drive_kind, n_time, n_regions, noise_fitted):
    p, spec = model.params, model.spec
    conn = connectivity(p)
    n_channels = None
    if model.sensors:
        L = lead_field(p, None if conn is None else conn.shape[0])
        n_channels = L.shape[0]
        if mode == "target":
            if n_regions != n_channels:
                raise ValueError(
                    f"X has {n_regions} channels but lead_field has {n_channels} rows. X is a "
                    "stack of epochs (n_epochs, n_time, n_channels); a single (n_time, "
                    "n_channels) recording is X[None].")
            n_regions = L.shape[1]
    if conn is not None:
        if drive_kind != "none" and n_regions not in (1, conn.shape[0]):
            raise ValueError(
                f"X has {n_regions} inputs but connectivity has {conn.shape[0]} regions; "
                "give one input per region or a single shared input."
            )
        if mode == "target" and n_regions != conn.shape[0]:
            raise ValueError(
                f"X has {n_regions} regions but connectivity has {conn.shape[0]}. X is a "
                "stack (n_samples, n_time, n_regions); a single (n_time, n_regions) "
                "recording is X[None]."
            )
        n_regions = conn.shape[0]
        if not spec.couplings and not spec.builtin_network:
            raise ValueError(f"{spec.name} has no coupling variable; connectivity is not supported.")
    dt = as_ms(p["dt"], "dt")
    sample_dt = as_ms(p["sample_dt"], "sample_dt")
    ratio = 1.0 if sample_dt is None else sample_dt / dt
    if not ratio >= 1 - 1e-9:
        raise ValueError(f"sample_dt must be >= dt, got sample_dt={sample_dt} ms, dt={dt} ms.")
    sample_every, sample_ratio = int(round(ratio)), None
    if abs(ratio - sample_every) > 1e-6 * ratio:
        # e.g. a 720 ms TR on a 100 ms grid: the step nearest each sampling time
        sample_every, sample_ratio = 1, ratio
    transient = _steps(as_ms(p["transient"], "transient"), dt, "transient")
    if mode == "readout" and drive_kind == "const":
        n_run = _steps(as_ms(p["duration"], "duration"), dt, "duration")
        if n_run < 1:
            raise ValueError(f"duration must be at least one dt, got {p['duration']}.")
    elif sample_ratio is not None:
        n_run = int(round((n_time - 1) * sample_ratio)) + 1
    else:
        n_run = n_time * sample_every
    given = p["initial_state"] or {}
    for state in given:
        init_argument(spec.cls, state)
    return SimConfig(
        model=model.key, n_regions=int(n_regions), n_steps=transient + n_run,
        dt=dt, transient_steps=transient, sample_every=sample_every,
        sample_ratio=sample_ratio, n_time=n_time if sample_ratio is not None else None,
        monitor=monitor, drive=drive_kind,
        coupling=p.get("coupling") if conn is not None and not spec.builtin_network else None,
        noise=bool((np.any(np.asarray(p["noise_sigma"]) > 0) or noise_fitted) and spec.noise),
        initial=tuple(sorted(given)),
        delays=_delay_steps(p, conn, dt) if conn is not None else None,
        observation=observation,
        n_channels=n_channels,
        sensor_noise=bool(n_channels and float(p.get("sensor_noise") or 0) > 0),
    )


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


def _check_statistic(p, spec, objective, mode, sim, names):
    """``fc_from='moments'`` needs fit(X), an FC or spectrum objective, noise and no delays."""
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
    sensors = get_observation(p["observation"]).sensors
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
              target_shape=None, fitting=True, maps=None):
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
    """
    p, spec = model.params, model.spec
    objective = resolve_objective(p["objective"])
    backend = get_backend(p["backend"])
    settings = backend.resolve(p["optimizer"])
    if fitting:
        bounds = spec.bounds if p["bounds"] is None else {
            k: v for k, v in p["bounds"].items() if ":" not in k}  # 'a:fc_gradient': a map's box
        names, lo, hi = check_bounds(bounds, model.units(), backend.finite_bounds(settings),
                                     backend.name)
    else:
        names, lo, hi = (), np.zeros(0), np.zeros(0)
    sim = _sim_config(model, model.monitor, p["observation"], mode, drive_kind, n_time,
                      n_regions, "noise_sigma" in names)
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
        maps = resolve_maps(p["per_region"], connectivity(p), None, sim.n_regions)
    layout, maps = _layout(model, names, lo, hi, sim.n_regions, maps)
    # a joint objective's weights are traced (in ``fixed``): every weighting shares one key
    key_objective = objective.canonical if isinstance(objective, JointObjective) else objective
    _check_statistic(p, spec, objective, mode, sim, names)
    config = EvalConfig(sim, mode, key_objective, layout.static, int(n_outputs),
                        p["readout"] if mode == "readout" else "mean",
                        p.get("fc_from", "simulation"), int(p.get("n_draws", 1)))
    if target_shape is not None:
        pred_shape = (sim.n_out, sim.n_obs) if mode == "target" else target_shape
        objective.validate(pred_shape, target_shape)
    return FitPlan(config, layout, _fixed(model, sim.n_regions, names, maps, objective), backend,
                   settings,
                   _constraints(p["constraints"], backend, settings, names))


def start_point(model, plan, previous=None):
    """Starting point: warm start (``previous``), ``init``, the fixed value, or the box centre."""
    layout, fixed = plan.layout, plan.fixed
    init = dict(model.params["init"] or {})
    unknown = set(init) - set(layout.names)
    if unknown:
        raise ValueError(
            f"init names {sorted(unknown)}, which are not fitted; fitted parameters "
            f"(the keys of bounds) are {list(layout.names)}."
        )
    units = model.units()
    x0 = []
    for e, a, b in zip(layout.entries, layout.lo, layout.hi):
        centre = 0.5 * (a + b) if np.isfinite(a) and np.isfinite(b) else (
            a + 1.0 if np.isfinite(a) else b - 1.0 if np.isfinite(b) else 0.0)
        if previous is not None and e.name in previous and np.size(previous[e.name]) == e.size:
            v = np.asarray(previous[e.name], float)
        elif e.target == "connectivity" and e.name not in init:  # the connectome's weights
            v = np.asarray(fixed["ec:sc"], float)
        elif e.name in init:
            v = np.asarray(as_magnitude(init[e.name], units.get(e.target, u.UNITLESS),
                                        f"init[{e.name!r}]"), float)
            if v.size not in (1, e.size):
                raise ValueError(
                    f"init[{e.name!r}] has {v.size} values; give one, or {e.size} (one per "
                    "region) for a per-region parameter.")
            if not np.all(np.isfinite(v)) or np.any(v < a) or np.any(v > b):
                raise ValueError(f"init[{e.name!r}] = {init[e.name]} lies outside bounds ({a}, {b}).")
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
