"""An estimator's model as values: the family, its parameters, checked once.

:func:`make_model` is where the estimator's constructor parameters are
checked and turned into plain values (the connectome as an array, times in
ms); everything below it reads the :class:`Model`, never the estimator.
"""

import dataclasses
from dataclasses import dataclass

import brainunit as u
import numpy as np

from ._backends import resolve_backend
from ._network import init_argument
from ._observations import get_observation
from ._specs import get_spec, model_parameters
from ._validation import as_magnitude, as_ms, check_bounds, monitor_unit

__all__ = ["Model", "make_model", "connectivity", "ec_mask"]


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
        Given values of model parameters (``{name: value}``), as magnitudes
        in the parameter's unit (or the name of a value computed from
        recordings, ``'peak_frequency'``).
    params : dict
        The estimator's constructor parameters (``get_params(deep=False)``).
    conn : ndarray or None
        The checked connectivity ``(N, N)``.
    times : dict
        ``dt``, ``sample_dt``, ``transient``, ``duration`` in ms (None where
        not given).
    sensors : bool
        Whether the recording is channels read through a lead field (EEG, MEG).
    parameters : dict
        ``{name: (brainmass default, unit)}`` of the family's parameters.
    initial : dict
        ``initial_state`` as magnitudes in each state's unit.
    backend, settings : Backend, Settings
        The backend and its resolved settings.
    bounds : tuple
        ``(names, lo, hi)`` of the fitted parameters (magnitudes; empty
        when the model is not fitted).
    init : dict
        ``init`` as magnitudes in each parameter's unit.
    distance, speed : ndarray or None, float or None
        Fibre lengths in mm and the conduction speed in mm/ms.
    """

    key: object
    spec: object
    values: dict
    params: dict
    conn: object = None
    times: dict = None
    sensors: bool = False
    parameters: dict = None
    initial: dict = None
    backend: object = None
    settings: object = None
    bounds: tuple = ((), np.zeros(0), np.zeros(0))
    init: dict = None
    distance: object = None
    speed: float = None

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
        units = {n: unit for n, (_, unit) in self.parameters.items()}
        units["noise_sigma"] = u.UNITLESS
        if not self.spec.builtin_network:
            units["k"] = u.UNITLESS
            if self.conn is not None:
                units["connectivity"] = u.UNITLESS  # effective connectivity
        return units


def make_model(key, values, params, fitting=True):
    """The :class:`Model` of an estimator's parameters, checked once.

    Parameters
    ----------
    key : str or class
        Family name or brainmass class.
    values : dict
        Model-parameter values (numbers, arrays, Quantities or names of
        values computed from recordings).
    params : dict
        The estimator's ``get_params(deep=False)``.
    fitting : bool, default=True
        Whether ``bounds`` name what is fitted (a draw at constructor values
        ignores them).
    """
    spec = get_spec(key)
    parameters = model_parameters(spec)
    unknown = set(values) - set(parameters)
    if unknown:
        raise ValueError(f"model_params names unknown parameters {sorted(unknown)} of "
                         f"{spec.name}; known: {sorted(parameters)}.")
    times = {}
    for name in ("dt", "sample_dt", "transient", "duration"):
        times[name] = as_ms(params.get(name), name)
    magnitudes = {}
    for name, v in values.items():
        magnitudes[name] = v if isinstance(v, str) else as_magnitude(
            v, parameters[name][1], f"parameter {name!r}")
    initial = {}
    for state, v in (params["initial_state"] or {}).items():
        init_argument(spec.cls, state)  # a clear error for a state without an initializer
        initial[state] = as_magnitude(v, monitor_unit(key, state), f"initial_state[{state!r}]")
    conn = connectivity(params)
    distance = None if params.get("distance") is None else np.asarray(
        as_magnitude(params["distance"], u.mm, "distance"), dtype=float)
    speed = None if params.get("speed") is None else float(
        as_magnitude(params["speed"], u.mm / u.ms, "speed"))
    backend, settings = resolve_backend(params["backend"], params["optimizer"])
    model = Model(key, spec, magnitudes, dict(params), conn, times,
                  get_observation(params["observation"]).sensors, parameters, initial,
                  backend, settings, init={}, distance=distance, speed=speed)
    if not fitting:
        return model
    bounds = spec.bounds if params["bounds"] is None else {
        k: v for k, v in params["bounds"].items() if ":" not in k}  # 'a:map': a map's box
    units = model.units()
    bounds = check_bounds(bounds, units, backend.finite_bounds(settings), backend.name)
    init = {}
    for name, v in (params["init"] or {}).items():
        init[name] = as_magnitude(v, units.get(name.split(":")[0], u.UNITLESS), f"init[{name!r}]")
    return dataclasses.replace(model, bounds=bounds, init=init)


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


def ec_mask(model, n_regions):
    """``(rows, cols, index, w_sc)`` of fitted connectome weights (effective connectivity).

    Weight ``index[m]`` sets ``C[rows[m], cols[m]]``; ``w_sc`` are the
    connectome's values of the weights (their starting point and the
    regulariser's target).
    """
    conn, params = model.conn, model.params
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
