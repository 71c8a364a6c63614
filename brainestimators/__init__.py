"""scikit-learn estimators for the neural mass models of brainmass.

One regressor per brainmass model family plus :class:`NeuralMassRegressor`
for any node class; each fits its parameters with a backend from
:data:`BACKENDS` (optax gradients, nevergrad, scipy, evosax) on one compiled,
vmapped evaluator. The submodules :mod:`~brainestimators.datasets`,
:mod:`~brainestimators.preprocessing` and :mod:`~brainestimators.plotting`
load on first use.
"""

import importlib

from ._backends import BACKENDS, FitProgress
from ._fit import RowFits
from ._cache import cache_info, clear_cache
from ._config import enable_compilation_cache
from ._cost import FitCostError, FitCostWarning
from ._embedding import GenerativeEmbedding
from ._models import *  # noqa: F401,F403
from ._models import __all__ as _model_all
from ._objectives import (OBJECTIVES, JointObjective, Objective, mse, psd_corr,
                          resolve_objective, std_rmse)
from ._sensor_objectives import (aperiodic_exponent, envelope_fc_corr, log_psd_distance,
                                 spectral_peak)
from ._scoring import ObjectiveScorer, get_scorer, get_scorers, make_objective_scorer
from ._maps import MAPS, surrogate_maps
from ._lyapunov import check_stable, lyapunov
from ._moments import hopf_system, linear_system, stationary_moments
from ._simulation import KeyedWhiteNoise
from ._profiles import profile_loss
from ._map_null import MapNullTest, map_null_test
from ._pareto import ParetoFront, component_losses, pareto_front
from ._sweeps import fit_folds

__version__ = "0.2.0"

_CACHE_DIR = _config.default_compilation_cache()  # noqa: F821 (opt out: BRAINESTIMATORS_CACHE=off)

#: Every per-model regressor class (NeuralMassRegressor excluded).
REGRESSORS = tuple(globals()[n] for n in _model_all if n != "NeuralMassRegressor")

_SUBMODULES = ("datasets", "meeg", "plotting", "preprocessing")

# Each backend's settings class (Optax, Nevergrad, Scipy, Evosax, ...) is
# public under its own name, read from the registry: adding a backend is one
# module plus one registry line.
_SETTINGS = {b.settings.__name__: b.settings for b in BACKENDS.values()}
globals().update(_SETTINGS)

__all__ = [
    *_model_all,
    "REGRESSORS",
    "GenerativeEmbedding",
    "RowFits",
    "BACKENDS",
    "FitProgress",
    *_SETTINGS,
    "Objective",
    "JointObjective",
    "OBJECTIVES",
    "resolve_objective",
    "mse",
    "psd_corr",
    "std_rmse",
    "log_psd_distance",
    "spectral_peak",
    "aperiodic_exponent",
    "envelope_fc_corr",
    "ObjectiveScorer",
    "make_objective_scorer",
    "get_scorer",
    "get_scorers",
    "KeyedWhiteNoise",
    "lyapunov",
    "stationary_moments",
    "hopf_system",
    "linear_system",
    "check_stable",
    "profile_loss",
    "MAPS",
    "surrogate_maps",
    "pareto_front",
    "fit_folds",
    "ParetoFront",
    "map_null_test",
    "MapNullTest",
    "component_losses",
    "cache_info",
    "clear_cache",
    "enable_compilation_cache",
    "FitCostWarning",
    "FitCostError",
]


def __getattr__(name):
    # submodules load lazily, as in scikit-learn
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))
