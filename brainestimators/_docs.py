"""Docstring sections shared by every regressor."""

_FIT = """    bounds : dict or None, default=None
        ``{name: (low, high)}``: the fitted parameters and their box, in the
        parameter's brainmass unit (or as Quantities). Any model parameter,
        ``'noise_sigma'`` and (with ``connectivity``) ``'k'`` can be fitted.
        ``None`` uses the model's default bounds. ``'grad'`` optimises an
        unconstrained variable mapped into the box by a sigmoid and also
        accepts ``(None, None)`` (unbounded); the other backends search the box.
    per_region : tuple of str or None, default=None
        Fitted parameters (keys of ``bounds``) fitted with one value per
        region instead of one shared value; their ``best_params_`` entry is
        a list.
    init : dict or None, default=None
        Starting values ``{name: value}``; otherwise the parameter's fixed
        value if inside the box, else the box centre.
    backend : {'grad', 'nevergrad', 'scipy'}, default='grad'
        How the one compiled loss is optimised: optax through the
        differentiable model, nevergrad ask/tell (each generation in one
        vmapped call), or scipy (JAX gradients for gradient methods,
        vectorised differential evolution).
    optimizer : object, default=None
        Backend settings. ``'grad'``: :class:`Optax`, an optax
        ``GradientTransformation``, a braintools optax optimizer or a name.
        ``'nevergrad'``: :class:`Nevergrad`, a method name or a dict such as
        ``{'method': 'DE', 'n_sample': 6}``. ``'scipy'``: :class:`Scipy`, a
        method name or a dict such as ``{'method': 'Nelder-Mead'}``.
        ``None`` is the backend's default (Adam, DE with 6 candidates,
        L-BFGS-B).
    objective : str, Objective or callable, default='timeseries_rmse'
        ``objective(prediction, target) -> scalar`` loss (the brainmass
        contract) or a name from :data:`brainestimators.OBJECTIVES`. With
        ``fit(X)`` it compares the simulated recording with each row; with a
        readout target it compares all predicted readouts with ``y``.
    max_iter : int, default=100
        ``'grad'``: optimizer steps. ``'nevergrad'``: generations (each of
        ``n_sample`` candidates). ``'scipy'``: random restarts of a local
        method, or generations of differential evolution.
    tol : float, default=1e-6
        Improvement below which an iteration counts as no change (with
        ``n_iter_no_change``); passed to scipy as its ``tol``.
    n_iter_no_change : int or None, default=None
        Stop after this many iterations without improving the best loss by
        ``tol``; ``None`` runs all ``max_iter``.
    random_state : int, RandomState instance or None, default=None
        Seeds the noise, nevergrad's sampling and scipy's restarts.
    verbose : int, default=0
        Show a progress bar with the current best loss.
    warm_start : bool, default=False
        Start from the previous fit's ``best_params_``.
    callback : callable or None, default=None
        Called after every iteration with the search state (``best_loss``,
        ``best_theta``, ``n_iter``, ``history``); returning ``True`` stops
        the fit, keeping the best parameters.
    dt : float, default=0.1
        Integration step in ms.
    sample_dt : float or None, default=None
        Sampling interval of the recordings in ms (e.g. a BOLD TR); a whole
        number of ``dt``. ``None`` means every step is a sample. The
        simulated length follows from the target's ``n_time``.
    transient : float, default=0.0
        Simulated time (ms) discarded before the recording starts.
    duration : float, default=100.0
        Simulated time (ms) after the transient for a constant drive with a
        readout target.
    monitor : str or None, default=None
        State (or zero-argument method) recorded; ``None`` is the model's
        default.
    observation : {None, 'bold'}, default=None
        What the recording is: the monitored variable itself (``None``; the
        "variable sampled at the TR" form of Hopf BOLD models) or a BOLD
        signal from brainmass's Balloon-Windkessel model driven by it
        (``'bold'``; dimensionless).
    readout : {'mean', 'std', 'amplitude', 'last'} or callable, default='mean'
        Per-region summary of a driven trajectory compared with a readout
        ``y``; a callable maps ``(n_time, n_regions)`` to ``(n_regions,)``.
    noise_sigma : float or array of shape (n_regions,), default=0.0
        White-noise level of the model's noise inputs (input units per
        sqrt(ms)), global or per region; 0 simulates without noise.
    initial_state : dict or None, default=None
        Constant initial values ``{state: value}`` (scalar or per region),
        e.g. ``{'x': 0.5}`` to start a Hopf node off its fixed point;
        other states keep brainmass's initializers.
"""

_CONN = """    connectivity : array of shape (n_regions, n_regions) or None, default=None
        Structural connectivity; ``None`` leaves the regions uncoupled (or,
        for a model with its own coupling such as Kuramoto, its default).
"""

_NETWORK = """    coupling : {'diffusive', 'additive', 'sigmoidal', 'tanh'}, default='diffusive'
        brainmass coupling function applied to the coupled variable(s):
        ``k sum_j C_ij (x_j - x_i)``, ``k sum_j C_ij x_j``, or TVB's
        sigmoidal / hyperbolic-tangent post-nonlinearities of ``sum_j C_ij x_j``.
    k : float, default=0.0
        Global coupling strength (fit it by naming ``'k'`` in ``bounds``).
    distance : array of shape (n_regions, n_regions) or None, default=None
        Fiber lengths in mm (or a Quantity); with ``speed``, conduction delays
        ``distance / speed`` rounded to whole steps delay each connection.
    speed : float or None, default=None
        Conduction speed in mm/ms (= m/s), needed with ``distance``.
"""

COMMON_PARAMETERS = _FIT + _CONN + _NETWORK
COMMON_PARAMETERS_NO_NETWORK = _FIT + _CONN

FITTED_ATTRIBUTES = """
    Attributes
    ----------
    best_params_ : dict
        Best value of each fitted parameter (plain floats).
    best_loss_ : float
        Loss at ``best_params_``.
    history_ : list of float
        Every evaluated loss, in order (diverged candidates are ``inf``).
    n_iter_ : int
        Iterations run (steps, generations or restarts).
    n_features_in_ : int
        ``X.shape[1]`` at fit (``n_time`` for recordings).
    n_regions_ : int
        Regions simulated.
    n_outputs_ : int
        Output columns of the target.
    fit_mode_ : {'target', 'readout', 'trajectory'}
        Which data contract the fit used.
    stop_reason_ : str
        ``'done'``, ``'callback'`` or ``'interrupted'``.
"""
