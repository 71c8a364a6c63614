"""Bounded, value-keyed caches of compiled functions, cleared together.

Every module-level cache of the package is an :class:`LRU` registered here,
so :func:`clear_cache` empties all of them and :func:`cache_info` reports
all of them. Keys are values (frozen dataclasses, tuples of hyperparameter
values), never ``id()``.
"""

from collections import Counter, OrderedDict

__all__ = ["LRU", "memoize", "register", "cache_info", "clear_cache", "TRACES"]

_REGISTRY = {}

#: How many times each kind of evaluator function was traced (a trace
#: precedes every compilation).
TRACES = Counter()


class LRU:
    """A least-recently-used mapping of at most ``maxsize`` entries.

    Parameters
    ----------
    name : str
        Name under which :func:`cache_info` reports the cache.
    maxsize : int
        Entries kept; the least recently used one is dropped beyond it.
    """

    def __init__(self, name, maxsize):
        self.name = name
        self.maxsize = maxsize
        self._data = OrderedDict()
        _REGISTRY[name] = self

    def get(self, key, build):
        """The value for ``key``, built with ``build()`` on a miss."""
        try:
            self._data.move_to_end(key)
            return self._data[key]
        except KeyError:
            value = self._data[key] = build()
            if len(self._data) > self.maxsize:
                self._data.popitem(last=False)
            return value

    def values(self):
        return list(self._data.values())

    def __len__(self):
        return len(self._data)

    def clear(self):
        self._data.clear()


class _FunctoolsCache:
    """A ``functools.lru_cache``-wrapped function seen through the LRU interface."""

    def __init__(self, fn):
        self.fn, self.name, self.maxsize = fn, fn.__qualname__, fn.cache_info().maxsize

    def __len__(self):
        return self.fn.cache_info().currsize

    def clear(self):
        self.fn.cache_clear()


def memoize(maxsize):
    """``functools.lru_cache(maxsize)`` whose cache :func:`clear_cache` also empties."""
    import functools

    def wrap(fn):
        cached = functools.lru_cache(maxsize=maxsize)(fn)
        entry = _FunctoolsCache(cached)
        _REGISTRY[entry.name] = entry
        return cached

    return wrap


def register(name, mapping):
    """Have :func:`clear_cache` and :func:`cache_info` cover ``mapping`` (a weak
    dictionary, bounded by the objects alive); returns it."""
    mapping.name, mapping.maxsize = name, None
    _REGISTRY[name] = mapping
    return mapping


def cache_info():
    """Sizes of the package's caches and the trace counters.

    Returns
    -------
    dict
        ``evaluators``: compiled evaluator configurations held;
        ``traces``: how many times each kind of evaluator function was
        traced; ``caches``: ``{name: (size, maxsize)}`` of every cache.

    Examples
    --------
    >>> import brainestimators as be
    >>> sorted(be.cache_info())
    ['caches', 'evaluators', 'traces']
    """
    return {
        "evaluators": len(_REGISTRY["evaluators"]) if "evaluators" in _REGISTRY else 0,
        "traces": dict(TRACES),
        "caches": {n: (len(c), c.maxsize) for n, c in _REGISTRY.items()},
    }


def clear_cache():
    """Drop every cached compiled function and reset the trace counters.

    Examples
    --------
    >>> import brainestimators as be
    >>> be.clear_cache()
    >>> be.cache_info()['evaluators']
    0
    """
    for cache in _REGISTRY.values():
        cache.clear()
    TRACES.clear()
