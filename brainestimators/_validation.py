"""Checks of bounds, units and recordings, with errors that name the fix."""

import numbers
from functools import lru_cache

import brainstate
import brainunit as u
import numpy as np

from ._specs import get_spec

__all__ = ["as_magnitude", "check_bounds", "monitor_unit", "check_recordings"]


def as_magnitude(value, unit, what):
    """Magnitude of ``value`` in ``unit``; a Quantity of another dimension is an error."""
    if isinstance(value, u.Quantity):
        if not value.unit.has_same_dim(unit):
            raise ValueError(
                f"{what} has units {value.unit} but {unit} (dimension {unit.dim}) was expected."
            )
        return np.asarray(value.to(unit).mantissa, dtype=float)
    return value


def check_bounds(bounds, units, backend):
    """Validate ``bounds`` against the known parameters.

    Returns
    -------
    names : tuple of str
    lo, hi : ndarray
        Magnitudes in each parameter's unit; ``-inf``/``inf`` where unbounded
        (allowed for ``backend='grad'`` only).
    """
    if not isinstance(bounds, dict) or not bounds:
        raise TypeError(
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
                raise TypeError(f"bounds[{name!r}] must hold numbers, got {box!r}.")
            if np.isnan(b):
                raise ValueError(f"bounds[{name!r}] contains NaN.")
            pair.append(float(b))
        if not pair[0] < pair[1]:
            raise ValueError(
                f"bounds[{name!r}] = {box!r} is empty or inverted; low must be < high."
            )
        if backend != "grad" and not np.all(np.isfinite(pair)):
            raise ValueError(
                f"parameter {name!r} has no finite bounds, but backend={backend!r} searches "
                "a box: give bounds[name] = (low, high), or use backend='grad'."
            )
        names.append(name)
        lo.append(pair[0])
        hi.append(pair[1])
    return tuple(names), np.array(lo), np.array(hi)


@lru_cache(maxsize=None)
def monitor_unit(model, monitor):
    """Unit of a model's monitored variable (read off a one-region instance)."""
    spec = get_spec(model)
    node = spec.cls(1)
    import brainunit as bu

    with brainstate.environ.context(dt=0.1 * bu.ms):
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
