"""Checks of bounds, units and recordings, with errors that name the fix."""

import numbers
import warnings

import brainstate
import brainunit as u
import numpy as np
from sklearn.exceptions import DataConversionWarning

from ._cache import memoize
from ._specs import get_spec

__all__ = ["as_magnitude", "as_ms", "check_bounds", "monitor_unit", "check_recordings",
           "check_driven", "NONNEGATIVE"]

#: Fitted parameters that cannot be negative, with the reason.
NONNEGATIVE = {"noise_sigma": "a noise level"}


def as_magnitude(value, unit, what):
    """Magnitude of ``value`` in ``unit``; a Quantity of another dimension is an error."""
    if isinstance(value, u.Quantity):
        if not value.unit.has_same_dim(unit):
            raise ValueError(
                f"{what} has units {value.unit} but {unit} (dimension {unit.dim}) was expected."
            )
        return np.asarray(value.to(unit).mantissa, dtype=float)
    return value


def as_ms(value, what):
    """A duration in ms as a float: a number (ms) or a time Quantity."""
    if value is None:
        return None
    value = as_magnitude(value, u.ms, what)
    value = float(np.asarray(value))
    if not np.isfinite(value):
        raise ValueError(f"{what} must be a finite number of ms, got {value!r}.")
    return value


def check_bounds(bounds, units, finite, backend):
    """Validate ``bounds`` against the known parameters.

    Parameters
    ----------
    bounds : dict
        ``{name: (low, high)}``; an end may be None (unbounded).
    units : dict
        Unit of every fittable parameter.
    finite : bool
        Whether the backend needs both ends finite.
    backend : str
        Its name, for messages.

    Returns
    -------
    names : tuple of str
    lo, hi : ndarray
        Magnitudes in each parameter's unit; ``-inf``/``inf`` where unbounded.
    """
    if not isinstance(bounds, dict) or not bounds:
        raise ValueError(
            "bounds must be a non-empty dict {name: (low, high)} naming the fitted "
            f"parameters, got {bounds!r}."
        )
    names, lo, hi = [], [], []
    for name, box in bounds.items():
        if name not in units:
            raise ValueError(
                f"bounds names unknown parameter {name!r}; fittable parameters are "
                f"{sorted(units)}."
            )
        if box is None:
            box = (None, None)
        if not isinstance(box, (tuple, list)) or len(box) != 2:
            raise ValueError(f"bounds[{name!r}] must be a (low, high) pair, got {box!r}.")
        pair = []
        for b, inf in zip(box, (-np.inf, np.inf)):
            if b is None:
                pair.append(inf)
                continue
            b = as_magnitude(b, units[name], f"bounds[{name!r}]")
            if not isinstance(b, (numbers.Real, np.ndarray)) or np.ndim(b) != 0:
                raise ValueError(f"bounds[{name!r}] must hold numbers or None, got {box!r}.")
            if np.isnan(b):
                raise ValueError(f"bounds[{name!r}] contains NaN.")
            pair.append(float(b))
        if not pair[0] < pair[1]:
            raise ValueError(
                f"bounds[{name!r}] = {box!r} is empty or inverted; low must be < high."
            )
        if name in NONNEGATIVE and pair[0] < 0:
            raise ValueError(
                f"bounds[{name!r}] = {box!r} reaches below 0, but {name!r} is "
                f"{NONNEGATIVE[name]}; give a low end >= 0."
            )
        if finite and not np.all(np.isfinite(pair)):
            raise ValueError(
                f"bounds[{name!r}] = {box!r} is open at one end or both, but "
                f"backend={backend!r} with these settings searches a box: give both "
                "ends, or use a backend that maps an open box (backend='grad', or "
                "backend='scipy' with a local method)."
            )
        names.append(name)
        lo.append(pair[0])
        hi.append(pair[1])
    return tuple(names), np.array(lo), np.array(hi)


@memoize(maxsize=256)
def monitor_unit(model, monitor):
    """Unit of a model's monitored variable (read off a one-region instance)."""
    spec = get_spec(model)
    node = spec.cls(1)
    with brainstate.environ.context(dt=0.1 * u.ms):
        brainstate.nn.init_all_states(node)
        if not hasattr(node, monitor):
            raise ValueError(
                f"monitor {monitor!r} is not a state or method of {spec.name}; "
                f"states: {[k for k, v in vars(node).items() if isinstance(v, brainstate.State)]}."
            )
        attr = getattr(node, monitor)
        value = attr() if callable(attr) and not isinstance(attr, brainstate.State) else attr.value
    return u.get_unit(value)


def check_recordings(X, name="X"):
    """Shape checks for a stack of recordings before ``validate_data``."""
    try:
        nd = np.asarray(X).ndim
    except (TypeError, ValueError):
        return  # ragged or exotic input: validate_data reports it
    if nd == 0:
        return
    if nd not in (2, 3):
        raise ValueError(
            f"{name} must be a stack of recordings (n_samples, n_time, n_regions) or "
            f"(n_samples, n_time) for one region; got {nd}-D with shape {np.asarray(X).shape}. "
            f"A single (n_time, n_regions) recording is {name}[None]."
        )


def check_driven(X, y, warn):
    """Shape checks of a validated drive X and target y; returns ``(X, y)``."""
    if X.ndim not in (2, 3):
        raise ValueError(
            "With y given, X is the drive: (n_samples, n_inputs) or "
            f"(n_samples, n_time, n_inputs); got shape {X.shape}."
        )
    if y.ndim > 3:
        raise ValueError(f"y must be 1-, 2- or 3-D, got shape {y.shape}.")
    if y.ndim == 2 and y.shape[1] == 1:
        if warn:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected; using y.ravel().",
                DataConversionWarning, stacklevel=4)
        y = y.ravel()
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"X and y have different numbers of samples: {X.shape[0]} and {y.shape[0]}."
        )
    if y.ndim == 3 and (X.ndim != 3 or X.shape[1] != y.shape[1]):
        raise ValueError(
            f"A trajectory target y of {y.shape[1]} samples needs a time-varying drive X "
            f"of as many samples, (n_samples, {y.shape[1]}, n_inputs); got X of shape "
            f"{X.shape}.")
    return X, y
