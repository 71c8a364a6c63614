"""The simulated physics against independent references.

Every check compares recordings made through the public API
(``make_recordings``, ``predict``) with a reference that shares no code with
the package's simulation loop:

- each model family: brainmass's own ``Simulator`` running the brainmass node
  class, built here from the class name, the same parameter values and
  constant initial states (noise off);
- conduction delays: a linear network written out with numpy (its
  exponential-Euler step is exact for a linear node), with an asymmetric
  distance matrix, so a transposed, mis-shifted or sign-flipped delayed
  coupling fails;
- coupling kinds: a hand-written loop calling ``brainmass.*_coupling`` and
  the node's ``update``;
- BOLD: ``brainmass.BOLDSignal`` stepped by hand on the rate trace from
  brainmass's ``Simulator``.
"""

import inspect

import brainmass
import brainstate
import braintools
import brainunit as u
import jax.numpy as jnp
import numpy as np
import pytest

import brainestimators as be
from brainestimators.datasets import make_recordings

# -- model families -----------------------------------------------------------

# regressor: (brainmass class, monitored variable, non-default parameters as
# {estimator name: value}, their brainmass names where they differ, constant
# initial states (two regions, different values so a region swap shows), dt).
FAMILIES = {
    be.HopfRegressor: ("HopfStep", "x", {"a": 0.7, "w": 0.5}, {},
                       {"x": [0.5, -0.3], "y": [0.1, 0.2]}, 0.1),
    be.StuartLandauRegressor: ("StuartLandauStep", "x", {"a": 0.7, "w": 0.5}, {},
                               {"x": [0.5, -0.3], "y": [0.1, 0.2]}, 0.1),
    be.VanDerPolRegressor: ("VanDerPolStep", "x", {"mu": 2.0}, {},
                            {"x": [0.5, -1.0], "y": [0.0, 0.3]}, 0.1),
    be.FitzHughNagumoRegressor: ("FitzHughNagumoStep", "V", {"delta": 0.3}, {},
                                 {"V": [0.5, -1.0], "w": [0.1, 0.3]}, 0.1),
    be.ThresholdLinearRegressor: ("ThresholdLinearStep", "E", {"beta_E": 0.1}, {},
                                  {"E": [0.5, 1.0], "I": [0.2, 0.1]}, 0.1),
    be.Generic2dOscillatorRegressor: ("Generic2dOscillatorStep", "V", {"a": -1.0}, {},
                                      {"V": [0.5, -1.0], "W": [0.2, 0.4]}, 0.1),
    be.LinearRegressor: ("LinearStep", "x", {"gamma": -3.0}, {}, {"x": [0.5, -0.2]}, 0.1),
    be.WilsonCowanRegressor: ("WilsonCowanStep", "rE", {"wEE": 14.0}, {},
                              {"rE": [0.2, 0.5], "rI": [0.1, 0.3]}, 0.1),
    # JansenRit's states carry mV: brainmass's constant (zero) initial states
    be.JansenRitRegressor: ("JansenRitStep", "eeg", {"C": 200.0}, {}, {}, 0.1),
    be.WongWangRegressor: ("WongWangStep", "S1", {"J_N11": 0.3}, {}, {}, 0.1),
    be.WongWangExcInhRegressor: ("WongWangExcInhStep", "S_e", {"J_N": 0.3}, {},
                                 {"S_e": [0.1, 0.3], "S_i": [0.05, 0.2]}, 0.1),
    be.MontbrioPazoRoxinRegressor: ("MontbrioPazoRoxinStep", "r", {"eta": -3.0}, {},
                                    {"r": [0.5, 1.0], "v": [-1.0, 0.5]}, 0.1),
    # the node's own k is exposed as k_node (k is the global coupling)
    be.CoombesByrneRegressor: ("CoombesByrneStep", "r", {"k_node": 1.5}, {"k_node": "k"},
                               {"r": [0.2, 0.5], "v": [-0.5, 0.3]}, 0.1),
    be.LarterBreakspearRegressor: ("LarterBreakspearStep", "V", {"gCa": 1.3}, {},
                                   {"V": [0.1, -0.2], "W": [0.1, 0.2], "Z": [0.0, 0.1]}, 0.1),
    be.EpileptorRegressor: ("EpileptorStep", "x1", {"x0": -2.0}, {}, {}, 0.1),
    # all-to-all coupling of its own (no connectivity), a per-region omega
    be.KuramotoRegressor: ("KuramotoNetwork", "theta", {"omega": [0.5, 1.0], "K": 0.3}, {},
                           {"theta": [0.1, 2.0]}, 0.1),
    # chaotic and fast: a smaller step keeps 12 steps finite
    be.LorenzRegressor: ("LorenzStep", "x", {"rho": 20.0}, {},
                         {"x": [1.0, -2.0], "y": [0.5, 1.0], "z": [2.0, 1.0]}, 0.01),
}

KNOWN_FAILURES = {}


def test_every_family_has_a_reference():
    assert set(FAMILIES) == set(be.REGRESSORS)


def _init_argument(cls, state):
    sig = inspect.signature(cls.__init__).parameters
    return f"init_{state}" if f"init_{state}" in sig else f"{state}_init"


def _brainmass_value(cls, name, value):
    default = inspect.signature(cls.__init__).parameters[name].default
    value = np.asarray(value, dtype=np.float32)
    return value * default.unit if isinstance(default, u.Quantity) else value


def _state_unit(cls, state):
    """The unit a state of ``cls`` carries (MPR's r is in Hz), read off one node."""
    node = cls(1)
    with brainstate.environ.context(dt=0.1 * u.ms):
        brainstate.nn.init_all_states(node)
    return u.get_unit(getattr(node, state).value)


def _run_brainmass(name, n, params, init, monitor, dt, n_steps, transient, every):
    cls = getattr(brainmass, name)
    kwargs = {k: _brainmass_value(cls, k, v) for k, v in params.items()}
    for state, value in init.items():
        kwargs[_init_argument(cls, state)] = braintools.init.Constant(
            np.asarray(value, dtype=np.float32) * _state_unit(cls, state))
    node = cls(n, **kwargs)
    mon = {"out": (lambda m: m.eeg()) if monitor == "eeg" else monitor}
    res = brainmass.Simulator(node, dt=dt * u.ms).run(
        n_steps * dt * u.ms, monitors=mon, transient=transient, sample_every=every)
    return np.asarray(u.get_magnitude(res["out"]), dtype=np.float64)


@pytest.mark.parametrize(
    "cls",
    [pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[c]))
     if c in KNOWN_FAILURES else c for c in FAMILIES],
    ids=lambda c: c.__name__)
def test_family_matches_brainmass_simulator(cls):
    """12 steps of dt, a 2-step transient and every 2nd step kept, as brainmass's
    ``Simulator(transient=2, sample_every=2)`` records them."""
    name, monitor, params, renamed, init, dt = FAMILIES[cls]
    est = cls(**params, initial_state={k: np.array(v) for k, v in init.items()} or None,
              dt=dt, sample_dt=2 * dt, transient=2 * dt)
    ours = make_recordings(est, 1, 5, 2)[0]
    ref = _run_brainmass(name, 2, {renamed.get(k, k): v for k, v in params.items()}, init,
                         monitor, dt, n_steps=12, transient=2, every=2)
    assert ours.shape == ref.shape == (5, 2)
    scale = np.abs(ref).max()
    assert np.ptp(ref, axis=0).max() > 1e-3 * scale  # the reference really moves
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-6 * scale)


def test_a_fixed_parameter_reaches_the_model():
    # The reference above uses the non-default values; here the default-valued
    # model must differ from it, or the comparison could not see a dropped value.
    name, monitor, params, _, init, dt = FAMILIES[be.HopfRegressor]
    est = be.HopfRegressor(initial_state={k: np.array(v) for k, v in init.items()}, dt=dt,
                           sample_dt=2 * dt, transient=2 * dt)
    ours = make_recordings(est, 1, 5, 2)[0]
    ref = _run_brainmass(name, 2, params, init, monitor, dt, 12, 2, 2)
    assert np.abs(ours - ref).max() > 1e-3


@pytest.mark.parametrize(
    "cls",
    be.REGRESSORS,
    ids=lambda c: c.__name__)
def test_default_model_stays_finite_over_its_default_duration(cls):
    # the default duration (100 ms) at the default dt (0.1 ms; Lorenz 0.01 ms)
    est = cls()
    n = int(round(est.duration / est.dt))
    assert np.all(np.isfinite(make_recordings(est, 1, n, 2, random_state=0)))


# -- conduction delays --------------------------------------------------------

# An asymmetric network: C[i, j] weighs source j into target i; D[i, j] is the
# fibre length (mm) of that connection. At speed 1 mm/ms and dt = 1 ms, the
# delays are D in steps: a zero, 1-step, 2-step and 3-step connections, and
# D != D.T everywhere, so a transposed delay matrix changes every delay.
C3 = np.array([[0.0, 0.9, 0.4],
               [0.3, 0.0, 0.6],
               [0.8, 0.5, 0.0]])
D3 = np.array([[0.0, 1.0, 2.0],
               [0.0, 0.0, 1.0],
               [3.0, 2.0, 0.0]])
GAMMA = -0.5


def _linear_network(x0, drive, gamma, k, coupling, steps, n_steps, dt=1.0):
    """``dx_i/dt = gamma x_i + drive_i + c_i``, with ``c_i = k sum_j C_ij x_j(t - d_ij)``
    (additive) or ``k sum_j C_ij (x_j(t - d_ij) - x_i(t))`` (diffusive), stepped
    exactly over each dt with the input held; before t = 0 each region held its
    initial state (a constant history).
    Returns the states after each step, ``(n_steps, n)``."""
    n = len(x0)
    xs = [np.asarray(x0, float)]
    a = (np.exp(gamma * dt) - 1.0) / gamma
    for m in range(n_steps):
        x = xs[-1]
        inp = np.array(drive[m], float) if drive is not None else np.zeros(n)
        for i in range(n):
            for j in range(n):
                past = m - steps[i, j]
                xj = xs[past][j] if past >= 0 else x0[j]
                inp[i] += k * C3[i, j] * (xj - (x[i] if coupling == "diffusive" else 0.0))
        xs.append(x + a * (gamma * x + inp))
    return np.array(xs[1:])


def test_the_reference_network_sees_the_delays():
    # guards the references below: transposed or removed delays change them
    rng = np.random.default_rng(0)
    drive = rng.normal(size=(12, 3))
    steps = D3.astype(int)
    ref = _linear_network(np.zeros(3), drive, GAMMA, 0.7, "diffusive", steps, 12)
    for other in (steps.T, 0 * steps, steps + 1):
        alt = _linear_network(np.zeros(3), drive, GAMMA, 0.7, "diffusive", other, 12)
        assert np.abs(ref - alt).max() > 1e-2


@pytest.mark.parametrize("coupling", ["additive", "diffusive"])
def test_delayed_coupling_matches_a_hand_shifted_network(coupling):
    # A driven network started at rest: its trajectory (predict on the drive)
    # against the numpy network at the fitted gamma.
    rng = np.random.default_rng(1)
    n_time = 12
    drive = rng.normal(size=(1, n_time, 3))
    est = be.LinearRegressor(
        k=0.7, connectivity=C3, distance=D3, speed=1.0, dt=1.0, coupling=coupling,
        initial_state={"x": 0.0}, bounds={"gamma": (-0.6, -0.4)}, init={"gamma": GAMMA},
        max_iter=1, random_state=0,
    ).fit(drive, np.zeros((1, n_time, 3)))
    pred = est.predict(drive)[0]
    gamma = est.best_params_["gamma"]
    ref = _linear_network(np.zeros(3), drive[0], gamma, 0.7, coupling, D3.astype(int), n_time)
    np.testing.assert_allclose(pred, ref, rtol=1e-4, atol=1e-5)


def test_delayed_coupling_sees_the_initial_state():
    # Undriven, from a non-zero start: x_j(t - d) is x_j(0) at t = d.
    x0 = np.array([1.0, -0.5, 0.25])
    est = be.LinearRegressor(gamma=GAMMA, k=0.7, connectivity=C3, distance=D3, speed=1.0,
                             dt=1.0, coupling="additive", initial_state={"x": x0})
    ours = make_recordings(est, 1, 8)[0]
    ref = _linear_network(x0, None, GAMMA, 0.7, "additive", D3.astype(int), 8)
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-5)


def test_zero_distance_is_no_delay():
    x0 = np.array([1.0, -0.5, 0.25])
    common = dict(gamma=GAMMA, k=0.7, connectivity=C3, dt=1.0, coupling="additive",
                  initial_state={"x": x0})
    plain = make_recordings(be.LinearRegressor(**common), 1, 8)[0]
    zero = make_recordings(be.LinearRegressor(distance=0 * D3, speed=1.0, **common), 1, 8)[0]
    ref = _linear_network(x0, None, GAMMA, 0.7, "additive", np.zeros((3, 3), int), 8)
    np.testing.assert_allclose(plain, ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(zero, ref, rtol=1e-4, atol=1e-5)


# -- coupling kinds -----------------------------------------------------------

C_HOPF = np.array([[0.0, 0.9, 0.1],
                   [0.2, 0.0, 0.7],
                   [0.6, 0.3, 0.0]])
HOPF_INIT = {"x": np.array([0.5, -0.3, 0.8]), "y": np.array([0.1, 0.4, -0.2])}


def _coupled_hopf_reference(coupling, k, n_steps, dt=0.1):
    """brainmass's HopfStep with x and y both coupled (the Deco et al. form the
    regressor documents), each coupled input from ``brainmass.*_coupling``."""
    a = 0.25 - (k * C_HOPF.sum(axis=1) if coupling == "diffusive" else 0.0)
    node = brainmass.HopfStep(3, a=a, w=0.2, **{
        f"init_{s}": braintools.init.Constant(v.astype(np.float32))
        for s, v in HOPF_INIT.items()})
    conn = jnp.asarray(C_HOPF, jnp.float32)

    def couple(v):
        src = jnp.broadcast_to(v, (3, 3))  # row i: the sources as seen by target i
        if coupling == "diffusive":
            # the self term -k s_i v_i goes into the node's linear coefficient
            # (a_i = a - k s_i, integrated exactly by exponential Euler), the rest
            # stays explicit; together they are brainmass's diffusive coupling
            folded = brainmass.additive_coupling(src, conn, k)
            np.testing.assert_allclose(
                folded - k * conn.sum(axis=1) * v,
                brainmass.diffusive_coupling(src, v, conn, k), rtol=1e-5, atol=1e-6)
            return folded
        if coupling == "additive":
            return brainmass.additive_coupling(src, conn, k)
        if coupling == "sigmoidal":
            return brainmass.sigmoidal_coupling(src, conn, k)
        return brainmass.hyperbolic_tangent_coupling(src, conn, k)

    out = []
    with brainstate.environ.context(dt=dt * u.ms):
        brainstate.nn.init_all_states(node)
        for i in range(n_steps):
            with brainstate.environ.context(i=i, t=i * dt * u.ms):
                x, y = node.x.value, node.y.value
                node.update(x_inp=couple(x), y_inp=couple(y))
            out.append(np.asarray(node.x.value, float))
    return np.array(out)


COUPLINGS = ["diffusive", "additive", "sigmoidal", "tanh"]


def _hopf_network(coupling, k=0.8):
    return be.HopfRegressor(a=0.25, w=0.2, k=k, connectivity=C_HOPF, coupling=coupling,
                            initial_state=HOPF_INIT, dt=0.1)


@pytest.mark.parametrize("coupling", COUPLINGS)
def test_coupling_kind_matches_brainmass_coupling_function(coupling):
    ours = make_recordings(_hopf_network(coupling), 1, 3)[0]
    ref = _coupled_hopf_reference(coupling, 0.8, 3)
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6)
    # the coupling is not negligible in these steps
    uncoupled = _coupled_hopf_reference(coupling, 0.0, 3)
    assert np.abs(ref - uncoupled).max() > 1e-3


def test_the_four_coupling_kinds_give_different_recordings():
    # all four in one process, so one shared (mis-keyed) compiled evaluator shows
    recs = {c: make_recordings(_hopf_network(c), 1, 20)[0] for c in COUPLINGS}
    for i, a in enumerate(COUPLINGS):
        for b in COUPLINGS[i + 1:]:
            assert np.abs(recs[a] - recs[b]).max() > 1e-3, (a, b)


# -- BOLD ---------------------------------------------------------------------

def _bold_of(rates, dt):
    """brainmass 0.1.1's BOLDSignal stepped on a rate trace; its step is unitless seconds."""
    hemo = brainmass.BOLDSignal(rates.shape[1])
    brainstate.nn.init_all_states(hemo)

    def step(z):
        with brainstate.environ.context(dt=dt / 1000.0):
            hemo.update(z)
        return hemo.bold()

    return np.asarray(brainstate.transform.for_loop(step, jnp.asarray(rates, jnp.float32)))


def test_bold_matches_balloon_windkessel_on_the_rate_trace():
    dt, sample_dt, transient, n_time = 0.5, 50.0, 100.0, 10
    init = {"rE": [0.5, 0.1], "rI": [0.1, 0.3]}
    est = be.WilsonCowanRegressor(observation="bold", dt=dt, sample_dt=sample_dt,
                                  transient=transient,
                                  initial_state={k: np.array(v) for k, v in init.items()})
    ours = make_recordings(est, 1, n_time, 2)[0]

    every, n_tr = int(sample_dt / dt), int(transient / dt)
    n_steps = n_tr + n_time * every
    rates = _run_brainmass("WilsonCowanStep", 2, {}, init, "rE", dt, n_steps, 0, 1)
    bold = _bold_of(rates, dt)
    ref = bold[n_tr::every]
    assert ours.shape == ref.shape == (n_time, 2)
    assert np.ptp(ref, axis=0).min() > 0  # the BOLD signal responds to the rates
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-7)


# -- delays with BOLD and with gradients --------------------------------------

def test_delays_with_bold():
    # Noise-free, started off the fixed point so the delayed coupling shapes the
    # rates: the delayed network's BOLD equals BOLDSignal on its own rate trace.
    C = np.array([[0.0, 0.9, 0.2], [0.1, 0.0, 0.8], [0.7, 0.3, 0.0]])
    D = np.array([[0, 10.0, 30.0], [2.0, 0, 5.0], [40.0, 15.0, 0]])
    dt, sample_dt, transient, n_time = 0.5, 25.0, 50.0, 8
    common = dict(k=1.0, connectivity=C, distance=D, speed=2.0, dt=dt,
                  initial_state={"rE": np.array([0.6, 0.1, 0.3]), "rI": 0.1})
    bold = make_recordings(be.WilsonCowanRegressor(
        observation="bold", sample_dt=sample_dt, transient=transient, **common), 1, n_time)[0]
    every, n_tr = int(sample_dt / dt), int(transient / dt)
    rates = make_recordings(be.WilsonCowanRegressor(**common), 1, n_tr + n_time * every)[0]
    np.testing.assert_allclose(bold, _bold_of(rates, dt)[n_tr::every], rtol=1e-4, atol=1e-7)
    # the delays shape the rate trace that drives the BOLD signal
    plain = make_recordings(be.WilsonCowanRegressor(
        **{**common, "distance": None, "speed": None}), 1, n_tr + n_time * every)[0]
    assert np.abs(plain - rates).max() > 0.1

    # ... and a fit through both runs, finite
    X = make_recordings(be.WilsonCowanRegressor(
        observation="bold", sample_dt=sample_dt, transient=transient, noise_sigma=0.05,
        **common), 2, n_time, random_state=0)
    est = be.WilsonCowanRegressor(
        observation="bold", sample_dt=sample_dt, transient=transient, noise_sigma=0.05,
        bounds={"k": (0.2, 2.0)}, backend="nevergrad", optimizer={"method": "DE", "n_sample": 3},
        max_iter=2, random_state=0, **{n: v for n, v in common.items() if n != "k"}).fit(X)
    assert np.all(np.isfinite(X)) and np.isfinite(est.best_loss_)
    assert np.all(np.isfinite(est.history_)) and len(est.history_) == 6
    pred = est.predict(X)
    assert pred.shape == X.shape and np.all(np.isfinite(pred))


def test_delays_with_grad_fit_move_k_towards_the_truth():
    # Noise-free delayed Hopf network generated at k = 0.6; started at k = 0.2,
    # gradient steps through the delayed coupling must raise k (a zero, NaN or
    # sign-flipped gradient would not).
    common = dict(a=0.25, w=0.2, connectivity=C_HOPF, distance=D3, speed=0.5, dt=0.5,
                  initial_state=HOPF_INIT)
    X = make_recordings(be.HopfRegressor(k=0.6, **common), 1, 60)
    est = be.HopfRegressor(bounds={"k": (0.0, 1.0)}, init={"k": 0.2}, backend="grad",
                           optimizer=be.Optax("adam", learning_rate=0.2), max_iter=6,
                           random_state=0, **common).fit(X)
    assert np.all(np.isfinite(est.history_)) and len(est.history_) == 6
    assert est.history_[-1] < est.history_[0]
    assert est.best_params_["k"] > 0.3
