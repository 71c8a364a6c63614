"""An estimator's model as values: the family, its parameters, checked once.

:func:`make_model` is where the estimator's constructor parameters are
checked and turned into plain values (the connectome as an array, times in
ms); everything below it reads the :class:`Model`, never the estimator.
"""

from dataclasses import dataclass

import brainunit as u
import numpy as np

from ._observations import get_observation
from ._specs import model_parameters
from ._validation import as_ms, monitor_unit

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
        Given values of model parameters (``{name: value}``).
    params : dict
        The estimator's constructor parameters (``get_params(deep=False)``).
    conn : ndarray or None
        The checked connectivity ``(N, N)``.
    times : dict
        ``dt``, ``sample_dt``, ``transient``, ``duration`` in ms (None where
        not given).
    sensors : bool
        Whether the recording is channels read through a lead field (EEG, MEG).
    """

    key: object
    spec: object
    values: dict
    params: dict
    conn: object = None
    times: dict = None
    sensors: bool = False

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
            if self.conn is not None:
                units["connectivity"] = u.UNITLESS  # effective connectivity
        return units


def make_model(key, spec, values, params):
    """The :class:`Model` of an estimator's parameters, checked once.

    Parameters
    ----------
    key : str or class
    spec : ModelSpec
    values : dict
        Model-parameter values.
    params : dict
        The estimator's ``get_params(deep=False)``.
    """
    times = {name: as_ms(params.get(name), name)
             for name in ("dt", "sample_dt", "transient", "duration")}
    return Model(key, spec, dict(values), dict(params), connectivity(params), times,
                 get_observation(params["observation"]).sensors)


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
