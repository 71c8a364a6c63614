"""The generic regressor: any brainmass node class, parameters in a dict."""

from ._base import BaseNeuralMassRegressor
from ._docs import COMMON_PARAMETERS, FITTED_ATTRIBUTES
from ._specs import get_spec, model_parameters

__all__ = ["NeuralMassRegressor"]


class NeuralMassRegressor(BaseNeuralMassRegressor):
    __doc__ = """Any brainmass neural mass model as a scikit-learn regressor.

    The per-model classes (:class:`HopfRegressor`, ...) expose every model
    parameter as its own constructor argument; this one takes the model by
    name or class and its fixed parameters as a dict.

    Parameters
    ----------
    model : str or class, default='Hopf'
        A family name (``'Hopf'``, ``'WilsonCowan'``, ...) or a brainmass
        node class (e.g. ``brainmass.WilsonCowanAdaptiveStep``).
    model_params : dict or None, default=None
        Fixed values of model parameters (brainmass names; brainmass
        defaults otherwise).
""" + COMMON_PARAMETERS + FITTED_ATTRIBUTES + """
    Examples
    --------
    >>> from brainestimators import NeuralMassRegressor, Optax
    >>> from brainestimators.datasets import make_recordings
    >>> truth = NeuralMassRegressor('Hopf', model_params={'a': 1.0, 'w': 0.3},
    ...                             initial_state={'x': 0.5})
    >>> X = make_recordings(truth, n_samples=1, n_time=300)
    >>> est = NeuralMassRegressor('Hopf', model_params={'w': 0.3}, initial_state={'x': 0.5},
    ...                           bounds={'a': (0.1, 2.0)}, max_iter=100,
    ...                           optimizer=Optax('adam', learning_rate=0.1)).fit(X)
    >>> round(est.best_params_['a'], 2)
    1.0
    """

    def __init__(
        self,
        model="Hopf",
        *,
        model_params=None,
        bounds=None,
        per_region=None,
        init=None,
        backend="grad",
        optimizer=None,
        objective="timeseries_rmse",
        max_iter=100,
        tol=1e-6,
        n_iter_no_change=None,
        random_state=None,
        verbose=0,
        warm_start=False,
        callback=None,
        dt=0.1,
        sample_dt=None,
        transient=0.0,
        duration=100.0,
        monitor=None,
        observation=None,
        readout="mean",
        noise_sigma=0.0,
        initial_state=None,
        connectivity=None,
        coupling="diffusive",
        k=0.0,
        distance=None,
        speed=None,
    ):
        self.model = model
        self.model_params = model_params
        self.bounds = bounds
        self.per_region = per_region
        self.init = init
        self.backend = backend
        self.optimizer = optimizer
        self.objective = objective
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.callback = callback
        self.dt = dt
        self.sample_dt = sample_dt
        self.transient = transient
        self.duration = duration
        self.monitor = monitor
        self.observation = observation
        self.readout = readout
        self.noise_sigma = noise_sigma
        self.initial_state = initial_state
        self.connectivity = connectivity
        self.coupling = coupling
        self.k = k
        self.distance = distance
        self.speed = speed

    def _model_key(self):
        get_spec(self.model)  # raises a clear error for unknown models
        return self.model

    def _model_params(self):
        given = dict(self.model_params or {})
        known = model_parameters(get_spec(self.model))
        unknown = set(given) - set(known)
        if unknown:
            raise ValueError(
                f"model_params names unknown parameters {sorted(unknown)} of "
                f"{get_spec(self.model).name}; known: {sorted(known)}."
            )
        return given
