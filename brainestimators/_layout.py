"""Where each fitted number lives: the flat parameter vector and its boxes.

Every backend searches a flat vector ``theta``. A :class:`Layout` says which
model parameter each entry feeds: one shared value, one value per region, or
a coefficient on a brain map (``value_i = base + sum_m c_m maps[m, i]``).
Its static part (names, sizes, targets) is part of the evaluator's cache key;
the boxes and the maps are values.
"""

from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

__all__ = ["Entry", "Layout", "expand", "box_points"]


@dataclass(frozen=True)
class Entry:
    """One fitted coordinate block.

    Parameters
    ----------
    name : str
        Its name in ``best_params_`` (``'a'``, or ``'a:map0'`` for a map
        coefficient).
    size : int
        1, or ``n_regions`` for a per-region parameter.
    target : str
        The model parameter it sets or adds to.
    map_index : int or None
        For a map coefficient, the row of ``maps`` it multiplies.
    """

    name: str
    size: int
    target: str
    map_index: int = None


@dataclass(frozen=True)
class Layout:
    """The fitted entries with their boxes, in the order of ``theta``."""

    entries: tuple
    lo: tuple  # per entry
    hi: tuple

    @property
    def static(self):
        """Hashable description for cache keys (no box values)."""
        return self.entries

    @property
    def names(self):
        return tuple(e.name for e in self.entries)

    @property
    def size(self):
        return sum(e.size for e in self.entries)

    @property
    def sizes(self):
        return [e.size for e in self.entries]

    @property
    def lo_flat(self):
        return np.repeat(np.asarray(self.lo, float), self.sizes)

    @property
    def hi_flat(self):
        return np.repeat(np.asarray(self.hi, float), self.sizes)

    @property
    def flat_names(self):
        """One name per entry of ``theta``: ``'k'``, ``'a[0]'``, ``'a[1]'``, ..."""
        return [e.name if e.size == 1 else f"{e.name}[{i}]" for e in self.entries
                for i in range(e.size)]

    def flatten(self, params):
        """Flat vector from ``{name: value or list}``."""
        out = []
        for e in self.entries:
            v = np.atleast_1d(np.asarray(params[e.name], dtype=float))
            if v.size != e.size:
                raise ValueError(f"{e.name!r} has {v.size} values; {e.size} expected.")
            out.extend(v.tolist())
        return np.array(out, dtype=float)

    def named(self, theta):
        """``{name: entry of theta}`` without conversion (traced values stay traced)."""
        out, i = {}, 0
        for e in self.entries:
            out[e.name] = theta[i] if e.size == 1 else theta[i:i + e.size]
            i += e.size
        return out

    def unflatten(self, theta):
        """``{name: float or list of float}`` from a flat vector."""
        return {name: float(v) if np.ndim(v) == 0 else [float(x) for x in v]
                for name, v in self.named(np.asarray(theta, dtype=float)).items()}


def expand(entries, theta, fixed):
    """Model parameter values from ``theta`` (traced): fixed values overwritten or mapped.

    ``fixed['maps:' + target]`` holds the ``(n_maps, n_regions)`` maps of a
    map-based parameter; fitted connectome weights (``'connectivity'``) are
    scattered into the matrix at ``fixed['ec:rows']``, ``fixed['ec:cols']``
    (weight ``fixed['ec:index']`` of each).
    """
    p, i = dict(fixed), 0
    for e in entries:
        v = theta[i] if e.size == 1 else theta[i:i + e.size]
        i += e.size
        if e.target == "connectivity":  # weights on a mask (``fixed['ec:*']``)
            C = jnp.zeros_like(fixed["connectivity"])
            p[e.target] = C.at[fixed["ec:rows"], fixed["ec:cols"]].set(v[fixed["ec:index"]])
        elif e.map_index is None:
            p[e.target] = v
        else:
            p[e.target] = p[e.target] + v * fixed["maps:" + e.target][e.map_index]
    return p


def box_points(lo, hi, rng, n):
    """``n`` points drawn uniformly in the box ``[lo, hi]`` (half-open: a unit-scale span)."""
    lo = np.where(np.isfinite(lo), lo, np.where(np.isfinite(hi), hi - 1, -1))
    hi = np.where(np.isfinite(hi), hi, lo + np.maximum(1.0, np.abs(lo)))
    return rng.uniform(lo, hi, size=(n, len(lo)))
