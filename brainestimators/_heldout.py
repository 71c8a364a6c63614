"""Held-out scores and descriptive references shared by the main jobs.

FC of recordings, their correlation, FCD values and their KS distance, and
each fold's SC floor, FC ceiling and FCD reference.
"""

import jax.numpy as jnp
import numpy as np

from ._fcd_objectives import fcd_density
from ._metrics import fcd_matrix, functional_connectivity, matrix_correlation, upper_triangle

__all__ = ["fc_of", "corr_upper", "fcd_values", "fcd_ks", "references"]


def fc_of(x):
    """FC of a recording ``(n_time, n_regions)`` or of each of a stack of them."""
    return np.asarray(functional_connectivity(x), dtype=np.float64)


def corr_upper(A, B):
    """Correlation of the upper triangles of two matrices."""
    return float(matrix_correlation(A, B))


def fcd_values(x):
    """The upper triangle of a recording's FCD matrix."""
    return np.asarray(upper_triangle(fcd_matrix(x)))


def fcd_ks(values, reference):
    """KS distance between two sets of FCD values (the package's ``fcd_ks`` density)."""
    from brainmass.objectives import ks_distance

    return float(ks_distance(fcd_density(jnp.asarray(values, jnp.float32)),
                             fcd_density(jnp.asarray(reference, jnp.float32))))


def references(data, X, splits):
    """Per fold: SC floor and FC ceiling (FC correlation), FCD reference (KS)."""
    fcs = fc_of(X)
    out = []
    for train, test in splits:
        i = test[0]
        out.append({
            "subject": str(data.subjects[i]),
            "sc_baseline": corr_upper(data.sc, fcs[i]),
            "ceiling": corr_upper(fcs[train].mean(axis=0), fcs[i]),
            "fcd_reference": fcd_ks(np.concatenate([fcd_values(X[j]) for j in train]),
                                    fcd_values(X[i])),
        })
    return out
