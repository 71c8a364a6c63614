"""scikit-learn estimators for the neural mass models of brainmass.

One regressor per brainmass model family plus :class:`NeuralMassRegressor`
for any node class; each fits its parameters with a gradient (optax),
nevergrad or scipy backend on one compiled, vmapped evaluator.
"""

from ._config import enable_compilation_cache
from ._embedding import GenerativeEmbedding
from ._evaluator import cache_info, clear_cache
from ._generic import NeuralMassRegressor
from ._models import *  # noqa: F401,F403
from ._models import __all__ as _model_all
from ._objectives import OBJECTIVES, Objective, mse, psd_corr, std_rmse
from ._optimizers import Nevergrad, Optax, Scipy
from ._scoring import ObjectiveScorer, get_scorer, get_scorers, make_objective_scorer
from ._simulation import KeyedWhiteNoise

__version__ = "0.1.0"

_CACHE_DIR = _config.default_compilation_cache()  # noqa: F821 (opt out: BRAINESTIMATORS_CACHE=off)

#: Every per-model regressor class (NeuralMassRegressor excluded).
REGRESSORS = tuple(globals()[n] for n in _model_all)

__all__ = [
    "NeuralMassRegressor",
    *_model_all,
    "REGRESSORS",
    "GenerativeEmbedding",
    "Optax",
    "Nevergrad",
    "Scipy",
    "Objective",
    "OBJECTIVES",
    "mse",
    "psd_corr",
    "std_rmse",
    "ObjectiveScorer",
    "make_objective_scorer",
    "get_scorer",
    "get_scorers",
    "KeyedWhiteNoise",
    "cache_info",
    "clear_cache",
    "enable_compilation_cache",
]
