"""The estimator parameters every regressor shares, declared once.

:data:`COMMON` lists each shared constructor parameter with its default, its
scikit-learn constraint and its docstring entry. The generated per-model
classes (``_codegen``), :class:`NeuralMassRegressor`, the
``_parameter_constraints`` of the base class and the docstrings all read it.
Option lists come from the registries (backends, objectives, observations,
couplings), so a new backend or objective shows up everywhere by itself.
"""

import textwrap
from dataclasses import dataclass
from numbers import Integral, Real

import brainunit as u
import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ._backends import BACKENDS, SETTINGS_TYPES
from ._evaluator import READOUTS
from ._maps import VALUES
from ._objectives import OBJECTIVES, Objective
from ._network import COUPLINGS
from ._observations import OBSERVATIONS
from ._uncertainty import UNCERTAINTY

__all__ = ["Param", "COMMON", "NETWORK", "RESERVED", "READOUTS", "common_constraints",
           "parameters_doc", "FITTED_ATTRIBUTES"]

_MS = [Interval(Real, 0, np.inf, closed="neither"), u.Quantity]  # finite, > 0


@dataclass(frozen=True)
class Param:
    """One shared constructor parameter: name, default, constraint, docstring entry."""

    name: str
    default: str  # source text of the default (plain values only)
    constraint: list
    doc: str
    network: bool = False  # not for models with their own coupling (Kuramoto)


def _options(names):
    return "{" + ", ".join(repr(n) for n in names) + "}"


def _backend_doc():
    names = ", ".join(f":class:`{b.settings.__name__}`" for b in BACKENDS.values())
    lines = [f"    backend : {_options(BACKENDS)} or settings object, default='grad'",
             "        How the one compiled loss is minimised:"]
    for b in BACKENDS.values():
        lines.append(f"        ``{b.name!r}``: {b.summary}")
    lines.append(textwrap.fill(
        f"Or a settings object ({names}), which names its backend and holds its settings "
        "at once (``backend=Nevergrad('DE', n_sample=8)``); ``optimizer`` must then be None.",
        width=78, initial_indent=" " * 8, subsequent_indent=" " * 8))
    return "\n".join(lines)


COMMON = (
    Param("bounds", "None", [dict, None], """    bounds : dict or None, default=None
        ``{name: (low, high)}``: the fitted parameters and their box, in the
        parameter's brainmass unit (or as Quantities). Any model parameter,
        ``'noise_sigma'`` and (with ``connectivity``) ``'k'`` can be fitted.
        ``None`` uses the model's default bounds. An end may be ``None``
        (unbounded) for the backends that allow it (``'grad'`` maps the box
        with a sigmoid, a half-open box with a softplus)."""),
    Param("per_region", "None", [str, list, tuple, dict, None], """    per_region : str, list of str, dict or None, default=None
        Fitted parameters (keys of ``bounds``) with one value per region
        instead of one shared value; their ``best_params_`` entry is a list.
        A dict ``{name: maps}`` fits ``value_i = base + sum_m c_m maps[m, i]``
        instead: the base (``name``) and one coefficient per map. ``maps`` is
        an array ``(n_maps, n_regions)``, a built-in map name from
        :data:`brainestimators.MAPS` (``'sc_strength'``, ``'fc_gradient'``,
        ``'fc_strength'``), or a list of names and ``(n_regions,)`` arrays;
        maps computed from recordings use the rows ``fit`` is given only.
        Coefficients are named ``'name:<map name>'`` (``'name:map<i>'`` for
        arrays); bound them with ``bounds['a:fc_gradient']`` or they default
        to ``(-w, w) / max|map|``, ``w`` the base's box width. A dict value
        ``None`` is a free per-region parameter."""),
    Param("init", "None", [dict, None], """    init : dict or None, default=None
        Starting values ``{name: value}`` (one value, or one per region for
        a ``per_region`` parameter); otherwise the parameter's fixed value
        if inside the box, else the box centre."""),
    Param("backend", "'grad'", [StrOptions(set(BACKENDS)), *SETTINGS_TYPES], None),
    Param("optimizer", "None", [None, str, dict, *SETTINGS_TYPES], """    optimizer : object, default=None
        Backend settings: the backend's settings object (:class:`Optax`,
        :class:`Nevergrad`, :class:`Scipy`, :class:`Evosax`), a method name,
        or a dict of its parameters such as ``{'method': 'DE', 'n_sample':
        6}``; ``'grad'`` also takes an optax ``GradientTransformation`` or a
        braintools optax optimizer. ``None`` is the backend's default; it
        must be ``None`` when ``backend`` is a settings object, and a
        settings object here must be of the ``backend`` named."""),
    Param("objective", "'timeseries_rmse'",
          [StrOptions(set(OBJECTIVES)), Objective, dict, callable],
          """    objective : str, dict, Objective or callable, default='timeseries_rmse'
        ``objective(prediction, target) -> scalar`` loss (the brainmass
        contract) or a name from :data:`brainestimators.OBJECTIVES`. With
        ``fit(X)`` it compares the simulated recording with each row; with a
        readout target it compares all predicted readouts with ``y``. A
        dict ``{name: weight}`` such as ``{'fc_corr': 1.0, 'fcd_ks': 0.5}``
        minimises the weighted sum of the named losses (a
        :class:`JointObjective`; the weights are traced values, so changing
        them does not recompile, and :func:`get_scorers` reports every
        term)."""),
    Param("fc_from", "'simulation'", [StrOptions({"simulation", "moments"})],
          """    fc_from : {'simulation', 'moments'}, default='simulation'
        Where the model's statistic compared with the data comes from in
        ``fit(X)`` and ``score``. ``'moments'``: the analytic, noise-free
        statistic of the model linearised at its stable fixed point (a
        Lyapunov solve, see :ref:`moments`), for FC objectives (``'fc_corr'``,
        ``'fc_rmse'``, ``'fc_lag_corr'``: the *expected* FC of the monitored
        variable, Hopf's ``x`` also when ``observation='bold'``) and spectrum
        objectives (``'log_psd'``, ``'spectral_peak'``,
        ``'aperiodic_exponent'`` and their builders: the *expected* Welch
        spectrum of the recording, regions or ``'eeg'`` / ``'meg'`` sensors
        with ``sensor_noise``, of the simulator's step linearised, on the
        data's frequency grid) only; an unstable candidate scores as
        diverged. ``'simulation'``: the statistic of ``n_draws`` simulated
        recordings. ``predict`` and ``simulate`` always simulate."""),
    Param("n_draws", "1", [Interval(Integral, 1, None, closed="left")],
          """    n_draws : int, default=1
        Simulated draws (independent noise, batched in one call) whose mean
        summary the objective compares with each row: the mean FC for FC
        objectives, the pooled FCD density for FCD ones, the mean log
        spectrum (peak, exponent) for the spectrum objectives; objectives
        without a summary average their loss over the draws. More draws: a less
        noisy estimate of the model's expected statistic, at ``n_draws``
        times the cost."""),
    Param("max_iter", "100", [Interval(Integral, 1, None, closed="left")],
          """    max_iter : int, default=100
        Iterations: optimizer steps (``'grad'``), generations
        (``'nevergrad'``, ``'evosax'``, scipy's differential evolution) or
        restarts of a local scipy method."""),
    Param("tol", "1e-6", [Interval(Real, 0, None, closed="left")], """    tol : float, default=1e-6
        Improvement of the best loss below which an iteration counts as no
        change (with ``n_iter_no_change``); scipy's ``tol``."""),
    Param("n_iter_no_change", "None", [Interval(Integral, 1, None, closed="left"), None],
          """    n_iter_no_change : int or None, default=None
        Stop after this many iterations without improving the best loss by
        ``tol`` (every backend; per row in per-subject fits); ``None`` runs
        until ``max_iter`` or the backend's own convergence test."""),
    Param("n_restarts", "1", [Interval(Integral, 1, None, closed="left")],
          """    n_restarts : int, default=1
        Independent starts of the search, run as one batch (rows of the
        compiled evaluator; scipy runs them one after another): the first
        from ``init``, the others uniform in the box, each with its own
        sampling seed. The best is kept; ``restart_spread_`` says how far
        apart the restarts ended."""),
    Param("uncertainty", "None", [StrOptions(set(UNCERTAINTY)), None],
          """    uncertainty : {None, 'sandwich', 'bootstrap'}, default=None
        How the fit estimates the uncertainty of its parameters
        (``param_cov_``, ``param_std_``, :meth:`conf_int`,
        ``identifiability_``). ``'sandwich'``: ``H^-1 V H^-1`` from the
        Hessian of the loss and the spread of the per-row gradients (rows are
        independent subjects or sessions) plus that of the model's own noise;
        ``'bootstrap'``: refit ``n_replicates`` cohorts simulated from the
        fitted model, as one batched fit. See :ref:`uncertainty`."""),
    Param("n_replicates", "32", [Interval(Integral, 2, None, closed="left")],
          """    n_replicates : int, default=32
        Simulated cohorts refitted by ``uncertainty='bootstrap'``, or noise
        keys over which ``'sandwich'`` measures the model noise's share."""),
    Param("random_state", "None", ["random_state"], """    random_state : int, RandomState instance or None, default=None
        Seeds the noise and the optimizer's sampling."""),
    Param("verbose", "0", ["verbose"], """    verbose : int, default=0
        Show a progress bar with the current best loss."""),
    Param("warm_start", "False", ["boolean"], """    warm_start : bool, default=False
        Start from the previous fit's ``best_params_``."""),
    Param("callback", "None", [callable, None], """    callback : callable or None, default=None
        Called after every iteration with a read-only :class:`FitProgress`;
        returning a true value (``True``, ``np.True_``) stops the fit,
        keeping the best parameters."""),
    Param("constraints", "None", [dict, list, tuple, None], """    constraints : dict, list of dict or None, default=None
        Constraints on the fitted parameters, as scipy's:
        ``{'type': 'eq' | 'ineq', 'fun': fun}`` with ``fun(params) ->
        scalar or array`` of the fitted parameters by name (``'ineq'``
        means ``fun >= 0``). Honoured by ``backend='scipy'`` with
        ``'SLSQP'``, ``'trust-constr'``, ``'COBYLA'`` or ``'COBYQA'``; any
        other backend raises. ``best_params_`` is the feasible point of
        least loss among those evaluated (total violation at most 1e-6);
        if none was feasible, the point that violates them least, with a
        warning, ``converged_=False`` and its ``constraint_violation_``."""),
    Param("dt", "0.1", _MS, """    dt : float or Quantity, default=0.1
        Integration step in ms (a finer default where the model needs it at
        brainmass's parameters: 0.01 for Lorenz)."""),
    Param("sample_dt", "None", [*_MS, None], """    sample_dt : float, Quantity or None, default=None
        Sampling interval of the recordings in ms (e.g. a BOLD TR); at least
        ``dt`` (a non-multiple keeps the step nearest each sample). ``None``:
        every step is a sample. The simulated length follows from the
        target's ``n_time``."""),
    Param("transient", "0.0", [Interval(Real, 0, np.inf, closed="left"), u.Quantity],
          """    transient : float or Quantity, default=0.0
        Simulated time (ms) discarded before the recording starts."""),
    Param("duration", "100.0", _MS, """    duration : float or Quantity, default=100.0
        Simulated time (ms) after the transient for a constant drive with a
        readout target."""),
    Param("monitor", "None", [str, None], """    monitor : str or None, default=None
        State (or zero-argument method) recorded; ``None`` is the model's
        default."""),
    Param("observation", "None", [StrOptions(set(o for o in OBSERVATIONS if o)), None],
          """    observation : {None, 'bold', 'eeg', 'meg'}, default=None
        What the recording is: the monitored variable itself (``None``), a
        BOLD signal from brainmass's Balloon-Windkessel model driven by it
        (``'bold'``; dimensionless), or sensors: ``lead_field`` times the
        family's source signal (see :ref:`eeg_meg`), average-referenced for
        ``'eeg'``; X is then ``(n_epochs, n_time, n_channels)``."""),
    Param("lead_field", "None", ["array-like", None],
          """    lead_field : array of shape (n_channels, n_regions) or None, default=None
        The forward model of ``observation='eeg'`` or ``'meg'``: sensor gain
        of each region's source (e.g. ``load_head_model().lead_field`` or
        :func:`region_lead_field` of an ``mne.Forward``). Its scale is
        relative: a model's source has no known dipole moment."""),
    Param("sensor_noise", "0.0", [Interval(Real, 0, np.inf, closed="left")],
          """    sensor_noise : float, default=0.0
        Standard deviation of white measurement noise added to every
        channel at every kept sample (``'eeg'``, ``'meg'``), in the units
        of ``lead_field`` times the source."""),
    Param("readout", "'mean'", [StrOptions(set(READOUTS)), callable],
          """    readout : {'mean', 'std', 'amplitude', 'last'} or callable, default='mean'
        Per-region summary of a driven trajectory compared with a readout
        ``y``; a callable maps ``(n_time, n_regions)`` to ``(n_regions,)``."""),
    Param("noise_sigma", "0.0", [Interval(Real, 0, np.inf, closed="left"), "array-like"],
          """    noise_sigma : float or array of shape (n_regions,), default=0.0
        White-noise level of the model's noise inputs (input units per
        sqrt(ms)), global or per region; 0 simulates without noise."""),
    Param("initial_state", "None", [dict, None], """    initial_state : dict or None, default=None
        Constant initial values ``{state: value}`` (scalar or per region),
        e.g. ``{'x': 0.5}`` to start a Hopf node off its fixed point;
        other states keep brainmass's initializers."""),
    Param("connectivity", "None", ["array-like", None], """    connectivity : array of shape (n_regions, n_regions) or None, default=None
        Structural connectivity; ``None`` leaves the regions uncoupled (or,
        for a model with its own coupling such as Kuramoto, its default)."""),
    Param("coupling", "'diffusive'", [StrOptions(set(COUPLINGS))],
          """    coupling : {'diffusive', 'additive', 'sigmoidal', 'tanh'}, default='diffusive'
        brainmass coupling function applied to the coupled variable(s):
        ``k sum_j C_ij (x_j - x_i)``, ``k sum_j C_ij x_j``, or TVB's
        sigmoidal / hyperbolic-tangent post-nonlinearities of ``sum_j C_ij x_j``.""",
          network=True),
    Param("k", "0.0", [Real], """    k : float, default=0.0
        Global coupling strength (fit it by naming ``'k'`` in ``bounds``).""", network=True),
    Param("ec_mask", "None", ["array-like", None],
          """    ec_mask : array of shape (n_regions, n_regions) or None, default=None
        With ``'connectivity'`` in ``bounds`` (effective connectivity, see
        :ref:`moments`): where the connectome's weights are fitted (non-zero
        entries; e.g. SC's support plus homotopic pairs). ``None``: where
        ``connectivity > 0``. Elsewhere the weights are 0.""", network=True),
    Param("ec_symmetric", "True", ["boolean"], """    ec_symmetric : bool, default=True
        Fit one weight per pair (``C_ij = C_ji``, the mask's upper triangle)
        instead of one per directed connection.""", network=True),
    Param("ec_alpha", "0.0", [Interval(Real, 0, None, closed="left")],
          """    ec_alpha : float, default=0.0
        Weight of the penalty ``ec_alpha * mean((w - w_sc)**2) / mean(w_sc**2)``
        pulling the fitted weights ``w`` towards the connectome's ``w_sc``;
        part of the fitting loss only (``score`` reports the objective).""",
          network=True),
    Param("distance", "None", ["array-like", u.Quantity, None],
          """    distance : array of shape (n_regions, n_regions) or None, default=None
        Fiber lengths in mm (or a Quantity); with ``speed``, conduction delays
        ``distance / speed`` rounded to whole steps delay each connection.""", network=True),
    Param("speed", "None", [*_MS, None], """    speed : float, Quantity or None, default=None
        Conduction speed in mm/ms (= m/s), needed with ``distance``.""", network=True),
)

NETWORK = frozenset(p.name for p in COMMON if p.network)

#: Names no model parameter may take; a model parameter of such a name is
#: exposed with a ``_node`` suffix (CoombesByrne's ``k``).
RESERVED = frozenset(p.name for p in COMMON) | {"model", "model_params"}

#: Constraints of the generic regressor's own parameters.
GENERIC = {"model": [str, type], "model_params": [dict, None]}

#: Constraints of a model parameter (a value, one per region, a Quantity, or the
#: name of a value computed from the training recordings, e.g. 'peak_frequency').
MODEL_PARAMETER = [Real, "array-like", u.Quantity, StrOptions(set(VALUES))]


def common_constraints(network=True):
    """``_parameter_constraints`` entries of the shared parameters."""
    return {p.name: p.constraint for p in COMMON if network or not p.network}


def parameters_doc(network=True):
    """The numpydoc entries of the shared parameters."""
    return "\n".join(_backend_doc() if p.name == "backend" else p.doc
                     for p in COMMON if network or not p.network) + "\n"


FITTED_ATTRIBUTES = """
    Attributes
    ----------
    best_params_ : dict
        Best value of each fitted parameter (plain floats; a list for a
        per-region parameter).
    best_loss_ : float
        Loss at ``best_params_``.
    history_ : list of float
        Every evaluated loss, in order (diverged candidates are ``inf``).
    n_iter_ : int
        Iterations run (steps, generations or restarts).
    converged_ : bool
        Whether the backend's own convergence test held when the fit ended
        (gradient norm or loss plateau, population spread, scipy's
        ``success``); ``False`` when it stopped on ``max_iter``.
    constraint_violation_ : float
        How much ``best_params_`` violates ``constraints`` (the sum of
        ``max(0, -fun)`` over inequalities and ``|fun|`` over equalities);
        0.0 when it satisfies them (to within 1e-6) or there are none.
    stop_reason_ : str
        ``'converged'``, ``'max_iter'``, ``'no_change'``
        (``n_iter_no_change``), ``'callback'`` or ``'interrupted'``.
    restart_losses_ : ndarray of shape (n_restarts,)
        Best loss of each restart (``inf`` where all diverged).
    restart_spread_ : dict
        Standard deviation of the restarts' end points, shaped like
        ``best_params_`` (zeros for one restart): a spread with equal
        ``restart_losses_`` means a ridge or several equally good optima.
    param_cov_ : ndarray of shape (n_params, n_params)
        With ``uncertainty`` set: covariance of the fitted parameters, in
        :meth:`param_names` order (NaN where it cannot be estimated).
    param_std_ : dict
        With ``uncertainty`` set: standard errors shaped like
        ``best_params_``.
    identifiability_ : dict
        With ``uncertainty`` set: eigen-analysis of the Hessian of the loss
        in box-scaled coordinates: ``condition_number``, ``eigenvalues``,
        ``stiffest`` and ``sloppiest`` directions (``{name: weight}``;
        weights of one sign move together), ``signal_to_noise`` (rise of
        the loss over one box width along the sloppiest direction, in
        standard errors of the loss), ``widest_interval`` (95 % width
        along the least determined direction, fraction of the box),
        ``flagged`` (condition number > 100, no curvature, a signal to
        noise < 10 or an interval wider than half the box) and
        ``reason``.
    bootstrap_params_ : ndarray of shape (n_replicates, n_params)
        With ``uncertainty='bootstrap'``: the refitted parameters of each
        simulated cohort.
    n_features_in_ : int
        ``X.shape[1]`` at fit (``n_time`` of the training recordings, or
        the drive's inputs). In ``fit(X)`` mode, ``predict``, ``score`` and
        ``simulate`` accept recordings of any length.
    n_regions_ : int
        Regions simulated.
    n_channels_ : int
        Columns of a recording: the lead field's channels for
        ``observation='eeg'`` or ``'meg'``, else ``n_regions_``.
    n_outputs_ : int
        Output columns of the target.
    fit_mode_ : {'target', 'readout', 'trajectory'}
        Which data contract the fit used.
    derived_params_ : dict
        ``{name: array (n_regions,)}``: model parameters given as the name of
        a value computed from recordings (``w='peak_frequency'``), as
        computed from the training rows; ``predict``, ``score`` and
        ``simulate`` reuse them.
    maps_ : dict
        ``{name: array (n_maps, n_regions)}``: the maps of each map-based
        ``per_region`` parameter as fitted. Maps computed from recordings
        (``'fc_gradient'``) come from the training rows and are reused
        unchanged by ``predict``, ``score`` and ``simulate``.
    map_names_ : dict
        ``{name: [map name, ...]}``: the name of each row of ``maps_``
        (``'fc_gradient'``, ``'map0'`` for an array). Coefficients find
        their maps by name, so reordering ``per_region``'s maps after the
        fit keeps each coefficient on its own map.
"""
