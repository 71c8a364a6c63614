"""Synthetic recordings from a model at known parameters."""

import numbers

from sklearn.base import clone

__all__ = ["make_recordings"]


def make_recordings(estimator, n_samples=1, n_time=100, n_regions=None, *, random_state=None):
    """Simulate recordings from an estimator's model at its constructor values.

    The ground truth of a recovery test: the returned stack is what
    ``estimator.fit(X)`` should explain, generated at known parameters.

    Parameters
    ----------
    estimator : BaseNeuralMassRegressor
        Its model, fixed parameters, connectivity, noise and timing are used;
        ``bounds`` are ignored. It is not modified.
    n_samples : int, default=1
        Independent noise realisations (rows).
    n_time : int, default=100
        Samples per recording (each ``sample_dt`` ms, after ``transient``).
    n_regions : int or None, default=None
        Regions; the connectivity's size when given, else 1.
    random_state : int, RandomState instance or None, default=None
        Seeds the noise and random initial states.

    Returns
    -------
    X : ndarray of shape (n_samples, n_time, n_regions)

    Examples
    --------
    >>> from brainestimators import HopfRegressor
    >>> from brainestimators.datasets import make_recordings
    >>> truth = HopfRegressor(a=1.0, w=0.3, initial_state={'x': 0.5})
    >>> make_recordings(truth, n_samples=2, n_time=50, n_regions=3).shape
    (2, 50, 3)
    """
    for name, v in (("n_samples", n_samples), ("n_time", n_time)):
        if not isinstance(v, numbers.Integral) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}.")
    est = clone(estimator)
    conn = est._connectivity()
    if n_regions is None:
        n_regions = 1 if conn is None else conn.shape[0]
    return est._draw(n_samples, n_time, n_regions, random_state)
