"""Synthetic recordings from a model at known parameters."""

import numbers

import numpy as np
from sklearn.base import clone
from sklearn.utils import Bunch, check_random_state

__all__ = ["make_recordings", "make_hopf_cohort"]


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
    est = clone(estimator)  # unfitted: draws at the constructor values
    if n_regions is None:
        conn = est.get_params()["connectivity"]
        n_regions = 1 if conn is None else np.shape(conn)[0]
    template = np.zeros((1, n_time, n_regions))
    return est.simulate(n_samples, X=template, random_state=random_state)


def _structural(n_regions, rng):
    """A symmetric, distance-dependent random SC (max 1) and its distances (mm)."""
    pos = rng.uniform(0, 100, size=(n_regions, 3))
    D = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    W = np.exp(-D / 30.0) * rng.lognormal(0.0, 1.0, size=D.shape)
    W = np.triu(W, 1)
    W = W + W.T
    return W / W.max(), D


def make_hopf_cohort(n_subjects=6, n_regions=20, n_time=600, *, tr=720.0, k=4e-3, a=-2e-5,
                     frequency=0.04, noise_sigma=6e-4, subject_sd=0.05, random_state=None):
    """A resting-state cohort from a whole-brain Hopf model at known parameters.

    Shaped like :func:`load_hcp` (same ``Bunch`` fields), so the main job and
    the examples run on it when the real data are not installed. Each subject
    has its own coupling and bifurcation parameter, drawn around the group
    values with a relative spread ``subject_sd``, and its own noise.

    Parameters
    ----------
    n_subjects, n_regions, n_time : int
        Cohort size, parcellation size, samples per recording.
    tr : float, default=720.0
        Sampling interval in ms.
    k : float, default=4e-3
        Group global coupling (per ms; 4 per second).
    a : float, default=-2e-5
        Group bifurcation parameter (per ms; -0.02 per second).
    frequency : float, default=0.04
        Intrinsic frequency in Hz (each region is given a value within 20 %).
    noise_sigma : float, default=6e-4
        Noise level (per sqrt(ms); 0.02 per sqrt(s)).
    subject_sd : float, default=0.05
        Relative between-subject spread of ``k`` and ``a``.
    random_state : int, RandomState instance or None, default=None
        Seeds the connectivity, the subjects and their noise.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``bold`` (n_subjects, n_time, n_regions), ``sc``, ``distances``,
        ``subjects``, ``tr``, ``labels``, ``DESCR``, plus the ground truth
        ``params`` (group values and per-subject ``k`` and ``a``) and the
        regions' intrinsic angular frequencies ``w`` (per ms).

    Examples
    --------
    >>> from brainestimators.datasets import make_hopf_cohort
    >>> data = make_hopf_cohort(n_subjects=2, n_regions=5, n_time=50, random_state=0)
    >>> data.bold.shape, data.sc.shape
    ((2, 50, 5), (5, 5))
    """
    from .._models import HopfRegressor

    rng = check_random_state(random_state)
    sc, dist = _structural(n_regions, rng)
    w = 2 * np.pi * frequency * rng.uniform(0.8, 1.2, n_regions) / 1000.0
    ks = k * (1 + subject_sd * rng.normal(size=n_subjects))
    As = a * (1 + subject_sd * rng.normal(size=n_subjects))
    dt = tr / 10.0
    bold = np.stack([
        make_recordings(HopfRegressor(a=ai, w=w, k=ki, connectivity=sc, noise_sigma=noise_sigma,
                                      dt=dt, sample_dt=tr, transient=100 * tr),
                        1, n_time, random_state=rng.randint(1 << 30))[0]
        for ki, ai in zip(ks, As)])
    descr = (
        f"Synthetic resting-state cohort: {n_subjects} subjects simulated from a whole-brain "
        f"Hopf model (x and y diffusively coupled) on a random distance-dependent structural "
        f"connectivity of {n_regions} regions, sampled every {tr} ms after a transient of "
        f"{100 * tr / 1000:g} s. Group coupling k = {k} /ms, bifurcation a = {a} /ms, noise "
        f"{noise_sigma} /sqrt(ms), intrinsic frequencies {frequency} Hz +- 20 %; subjects vary "
        f"k and a by {subject_sd:.0%}."
    )
    return Bunch(bold=bold, sc=sc, distances=dist, subjects=[f"sub-{i:02d}" for i in range(n_subjects)],
                 tr=float(tr), labels=[f"region_{i}" for i in range(n_regions)], DESCR=descr,
                 params={"k": float(k), "a": float(a), "noise_sigma": float(noise_sigma),
                         "k_subjects": ks, "a_subjects": As}, w=w)
