"""What brainestimators needs to know about each brainmass model family.

A :class:`ModelSpec` names the brainmass node class, the state (or method)
monitored by default, the ``update`` argument that receives an external drive
or the network coupling, the noise slots, and sensible default bounds. Model
parameters and their brainmass defaults are read from the class signature, so
they cannot drift from brainmass.
"""

import inspect
from dataclasses import dataclass, field

import brainmass
import brainunit as u
import numpy as np

from ._cache import memoize

__all__ = ["ModelSpec", "TimeScale", "MODEL_SPECS", "get_spec", "model_parameters",
           "brainmass_name"]

# Constructor arguments that are not model parameters.
_NOT_PARAMETERS = {"in_size", "method", "conn", "fr_scale"}


@dataclass(frozen=True)
class TimeScale:
    """The fastest time constant of a model family, from its parameter values.

    Parameters
    ----------
    formula : str
        How it is computed, for messages (e.g. ``'1/max(|a|, |w|)'``).
    fn : callable
        ``fn(params) -> ms``, ``params`` a dict of parameter magnitudes in
        brainmass's default units (scalars or one value per region).
    """

    formula: str
    fn: object

    def __call__(self, params):
        return float(np.min(self.fn({k: np.abs(np.asarray(v, float)) for k, v in params.items()})))


def _rates(*names):
    # the inverse of the largest rate (per ms) among ``names``
    return lambda p: 1.0 / np.maximum(np.max([np.max(p[n]) for n in names]), 1e-12)


@dataclass(frozen=True, eq=False)
class ModelSpec:
    """Static description of one brainmass model family.

    Parameters
    ----------
    name : str
        Name of the brainmass class, e.g. ``'HopfStep'``.
    monitor : str
        State attribute (or zero-argument method) recorded by default.
    drive : str
        Keyword of ``update`` that receives the external drive and coupling.
    input_unit : brainunit.Unit
        Unit that ``drive`` expects.
    noise : tuple of (str, brainunit.Unit)
        Constructor noise slots that receive white noise, with their units.
    bounds : dict
        Default fitted parameters and their boxes (in brainmass units).
    description : str
        One line for the docstring.
    builtin_network : bool
        The brainmass class couples its own nodes (``conn=``).
    couple : tuple or None
        Coupled ``(state, update keyword)`` pairs (``None``: the monitor into
        the drive; ``()``: no coupling variable).
    dt : float
        The default integration step (ms) of its regressor: 0.1, or finer
        where the model's equations need it at brainmass's defaults.
    time_scale : TimeScale or None
        Fastest time constant (ms) from the parameter values; ``None`` where
        it has no simple closed form.
    linear : str or None
        The parameter multiplying every coupled state in its own derivative.
    source : str or None
        The signal EEG and MEG see through the lead field (a region's
        dipole-moment proxy); ``None``: the monitored state.
    """

    name: str
    monitor: str
    drive: str
    input_unit: object = u.UNITLESS
    noise: tuple = ()
    bounds: dict = field(default_factory=dict)
    description: str = ""
    builtin_network: bool = False
    # Coupled (state, update keyword) pairs; None: the monitor into the drive,
    # () : no coupling variable.
    couple: tuple = None
    # The fastest time constant (ms) from the parameter values, or None when
    # it has no simple closed form; Euler needs about ten steps per it. The
    # cost guard suggests ``dt = time_scale / 10`` from it.
    time_scale: TimeScale = None
    dt: float = 0.1
    # The parameter multiplying every coupled state in its own derivative
    # (Hopf's ``a`` in ``(a - beta r) x``): diffusive coupling's self term
    # ``-k s_i x_i`` is folded into it (see ``_network.build_network``).
    linear: str = None
    # The state (or method) whose lead-field projection the EEG / MEG
    # observations record: the model's proxy of a region's dipole moment.
    source: str = None

    @property
    def sensor_source(self):
        """What sensors see of a region (``source``, else the monitored state)."""
        return self.source or self.monitor

    @property
    def couplings(self):
        return ((self.monitor, self.drive),) if self.couple is None else self.couple

    @property
    def cls(self):
        return getattr(brainmass, self.name)


_ONE = u.UNITLESS
MODEL_SPECS = {
    "Hopf": ModelSpec(
        "HopfStep", "x", "x_inp", _ONE, (("noise_x", _ONE), ("noise_y", _ONE)),
        {"a": (-1.0, 1.0)}, "supercritical Hopf normal form (Stuart-Landau with saturation beta)",
        couple=(("x", "x_inp"), ("y", "y_inp")),
        time_scale=TimeScale("1/max(|a|, |w|)", _rates("a", "w")), linear="a"),
    "StuartLandau": ModelSpec(
        "StuartLandauStep", "x", "x_inp", _ONE, (("noise_x", _ONE), ("noise_y", _ONE)),
        {"a": (-1.0, 1.0)}, "Stuart-Landau oscillator", couple=(("x", "x_inp"), ("y", "y_inp")),
        time_scale=TimeScale("1/max(|a|, |w|)", _rates("a", "w")), linear="a"),
    "VanDerPol": ModelSpec(
        "VanDerPolStep", "x", "x_inp", _ONE, (("noise_x", _ONE), ("noise_y", _ONE)),
        {"mu": (0.1, 5.0)}, "Van der Pol relaxation oscillator",
        time_scale=TimeScale("1/max(1, |mu|)", lambda p: 1.0 / np.maximum(1.0, p["mu"]))),
    "FitzHughNagumo": ModelSpec(
        "FitzHughNagumoStep", "V", "V_inp", _ONE, (("noise_V", _ONE), ("noise_w", _ONE)),
        {"delta": (-1.0, 1.0)}, "FitzHugh-Nagumo excitable population"),
    "ThresholdLinear": ModelSpec(
        "ThresholdLinearStep", "E", "E_inp", _ONE, (("noise_E", _ONE), ("noise_I", _ONE)),
        {"beta_E": (0.01, 0.5)}, "threshold-linear excitatory-inhibitory rate model",
        time_scale=TimeScale("min(tau_E, tau_I)", lambda p: 1e3 * np.minimum(p["tau_E"], p["tau_I"]))),
    "Generic2dOscillator": ModelSpec(
        "Generic2dOscillatorStep", "V", "V_inp", _ONE, (("noise_V", _ONE), ("noise_W", _ONE)),
        {"a": (-5.0, 5.0)}, "generic two-dimensional oscillator (TVB)"),
    "Linear": ModelSpec(
        "LinearStep", "x", "x_inp", _ONE, (("noise_x", _ONE),),
        {"gamma": (-20.0, -0.1)}, "linear (Ornstein-Uhlenbeck) rate model",
        time_scale=TimeScale("1/|gamma|", _rates("gamma"))),
    "WilsonCowan": ModelSpec(
        "WilsonCowanStep", "rE", "rE_inp", _ONE, (("noise_E", _ONE), ("noise_I", _ONE)),
        {"wEE": (5.0, 20.0)}, "Wilson-Cowan excitatory-inhibitory rate model",
        time_scale=TimeScale("min(tau_E, tau_I)", lambda p: np.minimum(p["tau_E"], p["tau_I"]))),
    "JansenRit": ModelSpec(
        "JansenRitStep", "eeg", "E_inp", u.Hz, (("noise_E", u.Hz),),
        {"C": (50.0, 250.0)}, "Jansen-Rit cortical column (EEG proxy E - I)",
        couple=(), time_scale=TimeScale("1/max(be, bi)", lambda p: 1e3 / np.maximum(p["be"], p["bi"])),
        source="eeg"),  # the pyramidal PSP y1 - y2 (brainmass's E - I)
    "WongWang": ModelSpec(
        "WongWangStep", "S1", "coherence", _ONE, (),
        {"J_N11": (0.1, 0.5)}, "Wong-Wang two-population decision model"),
    "WongWangExcInh": ModelSpec(
        "WongWangExcInhStep", "S_e", "coupling", _ONE, (("noise_e", _ONE), ("noise_i", _ONE)),
        {"J_N": (0.05, 0.5)}, "reduced Wong-Wang excitatory-inhibitory model (Deco 2014)",
        time_scale=TimeScale("min(tau_e, tau_i)", lambda p: np.minimum(p["tau_e"], p["tau_i"]))),
    "MontbrioPazoRoxin": ModelSpec(
        "MontbrioPazoRoxinStep", "r", "r_inp", u.Hz, (("noise_r", u.Hz), ("noise_v", _ONE)),
        {"eta": (-10.0, 5.0)}, "Montbrio-Pazo-Roxin next-generation mean field (QIF)",
        time_scale=TimeScale("tau", lambda p: p["tau"]), source="v"),  # mean membrane potential
    "CoombesByrne": ModelSpec(
        "CoombesByrneStep", "r", "v_inp", _ONE, (("noise_r", _ONE), ("noise_v", _ONE)),
        {"eta": (-5.0, 5.0)}, "Coombes-Byrne next-generation mean field with synapses"),
    "LarterBreakspear": ModelSpec(
        "LarterBreakspearStep", "V", "V_inp", _ONE, (("noise_V", _ONE),),
        {"gCa": (0.5, 2.0)}, "Larter-Breakspear conductance-based mean field"),
    "Epileptor": ModelSpec(
        "EpileptorStep", "x1", "x1_inp", _ONE, (("noise_x1", _ONE), ("noise_x2", _ONE)),
        {"x0": (-3.0, -1.0)}, "Epileptor seizure model (Jirsa 2014)"),
    "Kuramoto": ModelSpec(
        "KuramotoNetwork", "theta", "theta_inp", _ONE, (("noise_theta", _ONE),),
        {"K": (0.0, 5.0)}, "Kuramoto phase oscillators (own all-to-all or given coupling)",
        builtin_network=True),
    "Lorenz": ModelSpec(
        "LorenzStep", "x", "x_inp", _ONE, (("noise_x", _ONE),),
        {"rho": (0.0, 50.0)}, "Lorenz chaotic system",
        # at dt = 0.1 x passes 1e4 in 12 steps and overflows by step 15
        dt=0.01),
}


def get_spec(model):
    """Return the :class:`ModelSpec` for a family name or brainmass class."""
    if isinstance(model, ModelSpec):
        return model
    if isinstance(model, str):
        if model in MODEL_SPECS:
            return MODEL_SPECS[model]
        for spec in MODEL_SPECS.values():
            if spec.name == model:
                return spec
        raise ValueError(
            f"Unknown model {model!r}; choose one of {sorted(MODEL_SPECS)} "
            "or pass a brainmass node class."
        )
    if inspect.isclass(model):
        for spec in MODEL_SPECS.values():
            if spec.cls is model:
                return spec
        return _spec_from_class(model)
    raise TypeError(
        f"model must be a family name or a brainmass node class, got {type(model).__name__}."
    )


@memoize(maxsize=256)
def _spec_from_class(cls):
    """Spec for a brainmass-style class not in the table (generic regressor)."""
    upd = [p for p in inspect.signature(cls.update).parameters if p != "self"]
    if not upd:
        raise ValueError(f"{cls.__name__}.update takes no input; it cannot be driven or coupled.")
    sig = inspect.signature(cls.__init__).parameters
    noise = tuple((n, _ONE) for n in sig if n.startswith("noise_"))
    node = cls(1)
    import brainstate

    brainstate.nn.init_all_states(node)
    states = [k for k, v in vars(node).items() if isinstance(v, brainstate.State)]
    if not states:
        raise ValueError(f"{cls.__name__} has no state to monitor.")
    return ModelSpec(cls.__name__, states[0], upd[0], _ONE, noise, {}, cls.__name__)


#: Names the network and observation layers give their own traced values (the
#: coupling ``k``, the noise level, the connectome, the lead field). A model
#: parameter of such a name is exposed with a ``_node`` suffix (CoombesByrne's
#: ``k``); the estimators' other shared parameter names are checked against the
#: models' when the classes are generated (``_codegen``).
RESERVED = frozenset({"k", "noise_sigma", "connectivity", "lead_field", "sensor_noise"})


def brainmass_name(name):
    """The brainmass argument behind an estimator parameter name."""
    if name.endswith("_node") and name[:-5] in RESERVED:
        return name[:-5]
    return name


@memoize(maxsize=256)
def _parameters_of(cls):
    out = {}
    for name, p in inspect.signature(cls.__init__).parameters.items():
        if name in _NOT_PARAMETERS or name == "self" or name.startswith(("noise_", "init_")):
            continue
        if name.endswith("_init"):
            continue
        d = p.default
        key = name + "_node" if name in RESERVED else name
        if isinstance(d, u.Quantity):
            out[key] = (float(np.asarray(d.mantissa)), d.unit)
        elif isinstance(d, (int, float)) and not isinstance(d, bool):
            out[key] = (float(d), _ONE)
    return out


def model_parameters(spec):
    """``{name: (brainmass default magnitude, unit)}`` of a model's numeric parameters.

    Names are estimator parameter names (see :func:`brainmass_name`).
    """
    return dict(_parameters_of(get_spec(spec).cls))
