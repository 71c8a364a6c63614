"""The one lookup every registry uses, and its one error.

Each extension point (backends, objectives, observations, couplings, maps,
values) is a ``{name: frozen entry}`` dict beside its implementations, read
through a ``get_*(name)`` that calls :func:`lookup`, so an unknown name
fails the same way everywhere: naming what was asked for and the choices.
"""

__all__ = ["lookup", "choices_error"]


def choices_error(registry, name, what, alternative=""):
    """The ``ValueError`` for ``name`` missing from ``registry``.

    Parameters
    ----------
    registry : dict
        ``{name: entry}``.
    name : object
        The name asked for.
    what : str
        What the name chooses (``'backend'``, ``'objective'``, ...).
    alternative : str, default=''
        What else is accepted, appended to the choices (``' or a callable'``).

    Examples
    --------
    >>> str(choices_error({'a': 1, 'b': 2}, 'c', 'letter'))
    "letter must be one of ['a', 'b'], got 'c'."
    """
    return ValueError(f"{what} must be one of {sorted(registry, key=str)}{alternative}, "
                      f"got {name!r}.")


def lookup(registry, name, what, alternative=""):
    """The entry of ``registry`` named ``name``, else :func:`choices_error`.

    Examples
    --------
    >>> lookup({'a': 1}, 'a', 'letter')
    1
    """
    try:
        return registry[name]
    except (KeyError, TypeError):  # TypeError: an unhashable name
        raise choices_error(registry, name, what, alternative) from None
