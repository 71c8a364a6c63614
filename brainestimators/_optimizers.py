"""Optimizer settings as small estimators, so ``optimizer__*`` is grid-searchable.

Like ``MLPRegressor(solver=...)``, the backend is picked by name and its
settings live in a small :class:`~sklearn.base.BaseEstimator`: ``clone``,
``get_params(deep=True)`` and ``GridSearchCV`` see ``optimizer__learning_rate``
and friends without any custom routing.
"""

import numbers

import optax
from sklearn.base import BaseEstimator

__all__ = ["Optax", "Nevergrad", "Scipy", "resolve_optimizer"]

GRADIENT_METHODS = {"L-BFGS-B", "BFGS", "CG", "TNC", "SLSQP", "trust-constr", "Newton-CG"}
DE_NAMES = {"differential_evolution", "DE"}


class Optax(BaseEstimator):
    """Settings of the ``'grad'`` backend: an optax optimizer by name.

    Parameters
    ----------
    name : str, default='adam'
        Any optax optimizer factory (``'adam'``, ``'sgd'``, ``'adamw'``, ...).
    learning_rate : float, default=0.05
        Step size, in the unconstrained (sigmoid) space of bounded parameters.
    options : dict or None, default=None
        Extra keyword arguments of the optax factory.

    Examples
    --------
    >>> from brainestimators import HopfRegressor, Optax
    >>> est = HopfRegressor(optimizer=Optax('adam', learning_rate=0.1))
    >>> est.get_params()['optimizer__learning_rate']
    0.1
    """

    def __init__(self, name="adam", learning_rate=0.05, options=None):
        self.name = name
        self.learning_rate = learning_rate
        self.options = options

    def build(self):
        """The optax transform, hyperparameters injected into its state."""
        factory = getattr(optax, self.name, None)
        if factory is None or not callable(factory):
            raise ValueError(f"optax has no optimizer named {self.name!r}.")
        return optax.inject_hyperparams(factory)(
            learning_rate=self.learning_rate, **(self.options or {}))


class Nevergrad(BaseEstimator):
    """Settings of the ``'nevergrad'`` backend.

    Parameters
    ----------
    method : str, default='DE'
        A nevergrad optimizer name (``'DE'``, ``'TwoPointsDE'``, ``'CMA'``,
        ``'PSO'``, ``'OnePlusOne'``, ...) from nevergrad's registry.
        (``NGOpt`` is avoided as a default: it breaks with numpy 2.)
    n_sample : int, default=6
        Candidates asked per generation, all evaluated in one vmapped call.
    options : dict or None, default=None
        Extra keyword arguments of the nevergrad optimizer. For ``'DE'``
        they configure nevergrad's ``DifferentialEvolution`` family, e.g.
        ``{'popsize': 6}`` for a population of 6, as braintools'
        ``NevergradOptimizer`` (and so ``brainmass.Fitter``) runs DE; the
        default is the registry's DE with its own population.

    Examples
    --------
    >>> from brainestimators import Nevergrad
    >>> Nevergrad('DE', n_sample=8)
    Nevergrad(n_sample=8)
    """

    def __init__(self, method="DE", n_sample=6, options=None):
        self.method = method
        self.n_sample = n_sample
        self.options = options


class Scipy(BaseEstimator):
    """Settings of the ``'scipy'`` backend.

    Parameters
    ----------
    method : str, default='L-BFGS-B'
        A ``scipy.optimize.minimize`` method (gradient methods get exact JAX
        gradients; derivative-free ones such as ``'Nelder-Mead'`` or
        ``'Powell'`` need none) or ``'differential_evolution'`` (the whole
        population is evaluated in one vmapped call per generation).
    popsize : int, default=15
        Population multiplier of differential evolution.
    options : dict or None, default=None
        ``options`` of ``minimize``, or extra keyword arguments of
        ``differential_evolution`` (``mutation``, ``recombination``, ...).

    Examples
    --------
    >>> from brainestimators import Scipy
    >>> Scipy('Nelder-Mead')
    Scipy(method='Nelder-Mead')
    """

    def __init__(self, method="L-BFGS-B", popsize=15, options=None):
        self.method = method
        self.popsize = popsize
        self.options = options


_DEFAULTS = {"grad": Optax, "nevergrad": Nevergrad, "scipy": Scipy}


def resolve_optimizer(backend, optimizer):
    """Normalise ``optimizer`` to the settings object (or optax transform) of ``backend``."""
    if backend not in _DEFAULTS:
        raise ValueError(f"backend must be one of {sorted(_DEFAULTS)}, got {backend!r}.")
    kind = _DEFAULTS[backend]
    if optimizer is None:
        return kind()
    if isinstance(optimizer, kind):
        return optimizer
    if isinstance(optimizer, (Optax, Nevergrad, Scipy)):
        raise TypeError(
            f"optimizer {type(optimizer).__name__} does not fit backend={backend!r}; "
            f"use {kind.__name__}(...) or a {'name or options dict' if backend != 'grad' else 'optax optimizer'}."
        )
    if backend == "grad":
        if isinstance(optimizer, str):
            return Optax(optimizer)
        if isinstance(optimizer, optax.GradientTransformation):
            return optimizer
        tx = getattr(optimizer, "tx", None)  # braintools.optim.OptaxOptimizer
        if isinstance(tx, optax.GradientTransformation):
            return tx
        raise TypeError(
            "backend='grad' needs an optax GradientTransformation, a braintools optax "
            f"optimizer, an optimizer name or Optax(...), got {type(optimizer).__name__}."
        )
    if isinstance(optimizer, str):
        return kind(method=optimizer)
    if isinstance(optimizer, dict):
        opts = dict(optimizer)
        method = opts.pop("method", kind().method)
        if backend == "nevergrad":
            n_sample = opts.pop("n_sample", 6)
            if not isinstance(n_sample, numbers.Integral) or n_sample < 1:
                raise ValueError(f"n_sample must be a positive integer, got {n_sample!r}.")
            return Nevergrad(method, n_sample, opts or None)
        popsize = opts.pop("popsize", 15)
        return Scipy(method, popsize, opts or None)
    raise TypeError(
        f"backend={backend!r} takes a method name, an options dict or "
        f"{kind.__name__}(...), got {type(optimizer).__name__}."
    )
