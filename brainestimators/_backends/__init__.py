"""The backend registry: one module per backend, one line here each.

Validation, the docs, the main job's command line and the test
parametrisation read :data:`BACKENDS`; :func:`resolve_backend` turns an
estimator's ``backend=`` and ``optimizer=`` into the entry and settings a
fit runs with.
"""

from .._registry import choices_error, lookup
from . import evosax, grad, nevergrad, scipy
from ._backend import Backend, Settings
from .._layout import box_points
from ._problem import Problem
from ._tracker import CONSTRAINT_TOL, FitProgress, StopFitting, Tracker

__all__ = ["BACKENDS", "SETTINGS_TYPES", "CONSTRAINT_TOL", "Backend", "FitProgress", "Problem",
           "Settings", "StopFitting", "Tracker", "box_points", "get_backend", "resolve_backend"]

#: The backends by their ``backend=`` name, ``{name: Backend}``.
BACKENDS = {b.name: b for b in (
    grad.BACKEND,
    nevergrad.BACKEND,
    scipy.BACKEND,
    evosax.BACKEND,
)}

#: Types an ``optimizer=`` value may have besides None, str and dict; a
#: ``backend=`` value besides a name (the object then names its backend).
SETTINGS_TYPES = (Settings, *grad.TRANSFORM_TYPES)


def get_backend(name):
    """The :class:`Backend` registered as ``name``.

    Examples
    --------
    >>> get_backend("grad").name
    'grad'
    """
    return lookup(BACKENDS, name, "backend")


def _owner(optimizer):
    """The backend whose settings ``optimizer`` is, or None."""
    return next((b for b in BACKENDS.values() if b.owns(optimizer)), None)


def resolve_backend(backend, optimizer=None):
    """The backend entry and validated settings of an estimator's ``backend=`` / ``optimizer=``.

    Parameters
    ----------
    backend : str or settings object
        A name from :data:`BACKENDS`, or a settings object (:class:`~.grad.Optax`,
        :class:`~.nevergrad.Nevergrad`, :class:`~.scipy.Scipy`,
        :class:`~.evosax.Evosax`, or an optax transform for ``'grad'``), which
        names its backend by itself.
    optimizer : None, str, dict or settings object, default=None
        The settings, with a name as ``backend``; must be None with a
        settings object as ``backend`` (the two could disagree).

    Returns
    -------
    backend : Backend
    settings : object
        The validated settings (:meth:`Backend.resolve`).

    Raises
    ------
    ValueError
        An unknown backend name, or a settings object as ``backend`` together
        with an ``optimizer``.
    TypeError
        An ``optimizer`` settings object of another backend than ``backend``.

    Examples
    --------
    >>> from brainestimators import Nevergrad
    >>> backend, settings = resolve_backend(Nevergrad("DE", n_sample=4))
    >>> backend.name, settings.n_sample
    ('nevergrad', 4)
    >>> resolve_backend("scipy", "Nelder-Mead")[1]
    Scipy(method='Nelder-Mead')
    """
    if isinstance(backend, str):
        entry = get_backend(backend)
        owner = _owner(optimizer) if isinstance(optimizer, Settings) else entry
        if owner is not None and owner is not entry:
            raise TypeError(
                f"optimizer {type(optimizer).__name__} does not fit backend={entry.name!r}: it "
                f"holds the settings of backend={owner.name!r}. Give it alone as "
                f"backend={type(optimizer).__name__}(...), or use "
                f"{entry.settings.__name__}(...) with backend={entry.name!r}.")
        return entry, entry.resolve(optimizer)
    entry = _owner(backend)
    if entry is None:
        names = ", ".join(f"{b.settings.__name__}(...)" for b in BACKENDS.values())
        raise choices_error(BACKENDS, backend, "backend", f" or a settings object ({names})")
    if optimizer is not None:
        raise ValueError(
            f"backend={backend!r} names the backend ({entry.name!r}) and holds its settings, "
            f"so optimizer must be None, got {optimizer!r}. Give the settings once: "
            f"backend={backend!r} alone, or backend={entry.name!r} with optimizer=...")
    return entry, entry.resolve(backend)
