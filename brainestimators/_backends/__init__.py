"""The backend registry: one module per backend, one line here each.

Validation, the docs, the main job's command line and the test
parametrisation read :data:`BACKENDS`.
"""

from . import evosax, grad, nevergrad, scipy
from ._core import (CONSTRAINT_TOL, Backend, FitProgress, Problem, Settings, StopFitting,
                    Tracker, box_points)

__all__ = ["BACKENDS", "SETTINGS_TYPES", "CONSTRAINT_TOL", "Backend", "FitProgress", "Problem",
           "Settings", "StopFitting", "Tracker", "box_points", "get_backend"]

BACKENDS = {b.name: b for b in (
    grad.BACKEND,
    nevergrad.BACKEND,
    scipy.BACKEND,
    evosax.BACKEND,
)}

#: Types an ``optimizer=`` value may have besides None, str and dict.
SETTINGS_TYPES = (Settings, *grad.TRANSFORM_TYPES)


def get_backend(name):
    """The :class:`Backend` registered as ``name``."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise ValueError(f"backend must be one of {sorted(BACKENDS)}, got {name!r}.") from None
