"""What a backend is: its settings class and its registry entry.

A backend is one module declaring a settings class (a small estimator, so
``optimizer__*`` and ``backend__*`` are grid-searchable) and one frozen
:class:`Backend` subclass whose methods say what it can do with a given
settings object and run the search. ``run`` minimises a stack of
independent problems (rows) at once; a plain fit is one row. Every loss it
evaluates goes through the tracker (:class:`~._tracker.Tracker`), which keeps
the history, the best point of each row, ``n_iter_no_change`` and the
callback, so a stopped, interrupted or diverging search still returns its
best point.
"""

from dataclasses import dataclass

from sklearn.base import BaseEstimator

__all__ = ["Backend", "Settings"]


class Settings(BaseEstimator):
    """Base of the backend settings classes (validated like estimators)."""

    #: the constructor argument a bare string sets (``'DE'`` -> method='DE')
    PRIMARY = "method"

    def validated(self):
        """Check the parameters against ``_parameter_constraints``; return self."""
        self._validate_params()
        return self


@dataclass(frozen=True)
class Backend:
    """Registry entry of one backend: what it is as fields, what it can do as methods.

    Each backend subclasses this in its own module, overrides :meth:`run` and
    whichever capabilities differ from the defaults here, and registers one
    instance in :data:`~brainestimators.BACKENDS`.

    Parameters
    ----------
    name : str
        The ``backend=`` value.
    settings : type
        Its :class:`Settings` class (the ``optimizer=`` object, or the
        ``backend=`` object that names the backend by itself).
    summary : str
        One line for the docs.
    max_iter : str
        What ``max_iter`` counts, for the docs.
    extra : str or None, default=None
        The pip extra it needs (``pip install "brainestimators[extra]"``).
    plateau_converges : bool, default=False
        Whether a ``n_iter_no_change`` stop is the backend's own convergence
        test (a loss plateau for gradient descent).
    """

    name: str
    settings: type
    summary: str
    max_iter: str
    extra: str = None
    plateau_converges: bool = False

    def gradient(self, settings):
        """Whether the search differentiates the loss with these settings.

        Parameters
        ----------
        settings : Settings
            The resolved settings (:meth:`resolve`).

        Returns
        -------
        bool
            ``False`` here: derivative-free.
        """
        return False

    def finite_bounds(self, settings):
        """Whether both ends of every box must be finite with these settings.

        Parameters
        ----------
        settings : Settings

        Returns
        -------
        bool
            ``True`` here: the search samples the box.
        """
        return True

    def constraints(self, settings):
        """Whether the search honours ``constraints`` with these settings.

        Parameters
        ----------
        settings : Settings

        Returns
        -------
        bool
            ``False`` here: a fit with constraints is refused.
        """
        return False

    def candidates(self, settings, n_params):
        """Parameter sets evaluated in one call (for the cost guard).

        Parameters
        ----------
        settings : Settings
        n_params : int
            Length of the flat parameter vector.

        Returns
        -------
        int
            ``1`` here: one point at a time.
        """
        return 1

    def coerce(self, optimizer):
        """Settings for an ``optimizer=`` value of a form besides the settings class.

        Parameters
        ----------
        optimizer : object

        Returns
        -------
        object or None
            The settings it stands for, or ``None`` (here, always) when it is
            not such a form.
        """
        return None

    def owns(self, optimizer):
        """Whether ``optimizer`` is this backend's settings (so ``backend=optimizer`` names it).

        Parameters
        ----------
        optimizer : object

        Returns
        -------
        bool
        """
        return isinstance(optimizer, self.settings) or self.coerce(optimizer) is not None

    def run(self, problem, settings, tracker):
        """Minimise every row of ``problem``; the results are left in ``tracker``.

        Parameters
        ----------
        problem : Problem
            The rows: evaluator, start points, box, keys, per-row values.
        settings : Settings
            The resolved settings (:meth:`resolve`).
        tracker : Tracker
            Receives every evaluated loss (:meth:`~._tracker.Tracker.record`)
            and each iteration's end; its ``max_iter``, ``tol``,
            ``n_iter_no_change`` and callback decide when to stop.
        """
        raise NotImplementedError

    def resolve(self, optimizer):
        """The validated settings object for an ``optimizer=`` value.

        Parameters
        ----------
        optimizer : None, str, dict, Settings or a form :meth:`coerce` takes
            ``None``: the defaults; a string: the settings' primary argument
            (a method name); a dict: its parameters (unknown ones go to
            ``options`` where the settings have them).

        Returns
        -------
        Settings

        Raises
        ------
        TypeError
            For another backend's settings object, or a value of no accepted form.
        """
        out = self.coerce(optimizer)
        if out is not None:
            return out
        if optimizer is None:
            return self.settings().validated()
        if isinstance(optimizer, self.settings):
            return optimizer.validated()
        if isinstance(optimizer, Settings):
            raise TypeError(
                f"optimizer {type(optimizer).__name__} does not fit backend={self.name!r}; "
                f"use {self.settings.__name__}(...), a method name or a dict of its parameters.")
        if isinstance(optimizer, str):
            return self.settings(**{self.settings.PRIMARY: optimizer}).validated()
        if isinstance(optimizer, dict):
            names = set(self.settings().get_params())
            given = dict(optimizer)
            if "method" in given and "method" not in names:
                given[self.settings.PRIMARY] = given.pop("method")
            known = {k: v for k, v in given.items() if k in names}
            extra = {k: v for k, v in given.items() if k not in names}
            if extra:
                if "options" not in names:
                    raise ValueError(f"{self.settings.__name__} has no parameters {sorted(extra)}.")
                known["options"] = {**(known.get("options") or {}), **extra}
            return self.settings(**known).validated()
        raise TypeError(
            f"backend={self.name!r} takes {self.settings.__name__}(...), a method name or a "
            f"dict of its parameters, got {type(optimizer).__name__}.")
