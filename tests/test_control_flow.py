"""How a fit ends, on every backend: early stopping, warm start, callback, interrupt.

The search state seen by the callback (``best_loss``, ``n_iter``) after each
iteration is the reference: it shows when the best loss last improved, so the
stopping rule can be checked against what actually happened.
"""

import importlib.util

import numpy as np
import pytest

import brainestimators as be

from _data import hopf_recordings

# Every distinct loop of every registered backend (the registry test below
# fails when a backend is added without a loop here).
LOOPS = {
    "grad": [("grad", be.Optax("adam", learning_rate=0.1))],
    "nevergrad": [("nevergrad", be.Nevergrad("DE", n_sample=4))],
    "scipy": [("scipy-local", be.Scipy("Nelder-Mead")),
              ("scipy-de", be.Scipy("differential_evolution", popsize=4))],
    "evosax": [("evosax", be.Evosax("CMA_ES", popsize=6))],
}
BACKENDS = [(name, opt) for name in be.BACKENDS for _, opt in LOOPS[name]]
IDS = [i for name in be.BACKENDS for i, _ in LOOPS[name]]
_NEEDS = {"evosax": importlib.util.find_spec("evosax") is not None}


def _params(xfails):
    """BACKENDS as pytest params, ``xfails = {id: reason}`` marked strict."""
    out = []
    for (b, o), i in zip(BACKENDS, IDS):
        marks = [pytest.mark.xfail(strict=True, reason=xfails[i])] if i in xfails else []
        if not _NEEDS.get(b, True):
            marks.append(pytest.mark.skip(reason=f"needs the {b} extra"))
        out.append(pytest.param(b, o, id=i, marks=marks))
    return out


def test_every_registered_backend_has_its_loops_here():
    assert set(LOOPS) == set(be.BACKENDS)


@pytest.fixture(scope="module")
def X():
    # one noise-free region: every backend reaches a loss near 0 at a = 0.8
    return hopf_recordings(a=0.8, n_samples=1, n_time=60, n_regions=1)


def _est(backend, optimizer, **kw):
    kw.setdefault("random_state", 0)
    return be.HopfRegressor(w=0.3, initial_state={"x": 0.5}, bounds={"a": (0.2, 1.5)},
                            init={"a": 0.3}, backend=backend, optimizer=optimizer, **kw)


def _no_change_stop(bests, tol, patience):
    """The iteration (1-based) at which "``patience`` iterations without improving the
    best loss by ``tol``" first holds on a trace of best losses, or None."""
    ref, count = np.inf, 0
    for i, b in enumerate(bests):
        if b < ref - tol:
            ref, count = b, 0
        else:
            count += 1
        if count >= patience:
            return i + 1
    return None


@pytest.mark.parametrize("backend,optimizer", _params({}))
def test_n_iter_no_change_stops_when_the_best_stalls(X, backend, optimizer):
    bests = []
    max_iter, patience, tol = 60, 4, 1e-4
    est = _est(backend, optimizer, max_iter=max_iter, n_iter_no_change=patience, tol=tol,
               callback=lambda state: bests.append(state.best_loss)).fit(X)
    assert len(bests) == est.n_iter_
    assert patience < est.n_iter_ < max_iter
    # the last window improved the best loss by less than tol ...
    assert bests[-1 - patience] - bests[-1] < tol
    # ... and the fit stopped as soon as that held, not later
    assert est.n_iter_ == _no_change_stop(bests, tol, patience)
    assert est.stop_reason_ == "no_change" and est.best_loss_ == min(est.history_)
    # a plateau is gradient descent's own convergence test, not the others'
    assert est.converged_ == (backend == "grad")


@pytest.mark.parametrize("backend,optimizer", _params({}))
def test_warm_start_starts_at_the_previous_best(X, backend, optimizer):
    est = _est(backend, optimizer, max_iter=15, warm_start=True).fit(X)
    first_loss = est.best_loss_
    est.set_params(max_iter=1).fit(X)
    assert est.history_[0] == pytest.approx(first_loss, rel=1e-5, abs=1e-9)
    assert est.best_loss_ <= first_loss
    # a cold fit starts elsewhere (at init a = 0.3, far from a = 0.8)
    cold = _est(backend, optimizer, max_iter=1).fit(X)
    assert cold.history_[0] != pytest.approx(first_loss, rel=1e-3)


def _stop_at_two(value_type):
    seen = []

    def callback(state):
        seen.append(state.best_loss)
        return value_type(state.n_iter >= 2)

    return callback, seen


@pytest.mark.parametrize("backend,optimizer", _params({}))
def test_callback_returning_true_stops_and_keeps_the_best(X, backend, optimizer):
    callback, seen = _stop_at_two(bool)
    est = _est(backend, optimizer, max_iter=30, callback=callback)
    with pytest.warns(RuntimeWarning, match="stopped early"):
        est.fit(X)
    assert est.n_iter_ == 2 and est.stop_reason_ == "callback"
    assert est.best_loss_ == min(seen) == min(est.history_)


@pytest.mark.parametrize("backend,optimizer", _params({}))
def test_callback_returning_numpy_true_stops(X, backend, optimizer):
    callback, _ = _stop_at_two(np.bool_)
    est = _est(backend, optimizer, max_iter=30, callback=callback)
    with pytest.warns(RuntimeWarning, match="stopped early"):
        est.fit(X)
    assert est.n_iter_ == 2 and est.stop_reason_ == "callback"


@pytest.mark.parametrize("backend,optimizer", _params({}))
def test_keyboard_interrupt_keeps_the_best_and_warns(X, backend, optimizer):
    def interrupt(state):
        if state.n_iter >= 2:
            raise KeyboardInterrupt

    est = _est(backend, optimizer, max_iter=30, callback=interrupt)
    with pytest.warns(RuntimeWarning, match="interrupted"):
        est.fit(X)
    assert est.stop_reason_ == "interrupted" and est.n_iter_ == 2
    assert est.best_loss_ == min(est.history_) and np.isfinite(est.best_loss_)
    assert 0.2 <= est.best_params_["a"] <= 1.5
    assert est.predict(X).shape == X.shape


@pytest.mark.parametrize("backend,optimizer", _params({}))
def test_a_single_iteration_is_not_converged(X, backend, optimizer):
    if optimizer.get_params().get("method") == "Nelder-Mead":
        # one restart of a local method may converge: cap its own iterations
        optimizer = be.Scipy("Nelder-Mead", options={"maxiter": 2})
    est = _est(backend, optimizer, max_iter=1).fit(X)
    assert est.stop_reason_ == "max_iter" and est.converged_ is False


@pytest.mark.parametrize("backend,optimizer", _params({}))
def test_a_long_search_converges_by_its_own_test(X, backend, optimizer):
    # every backend's own criterion: gradient norm below tol (grad), the
    # population's losses agreeing (DE, evosax), scipy's success (Nelder-Mead)
    est = _est(backend, optimizer, max_iter=400, tol=1e-3).fit(X)
    assert est.converged_ is True and est.stop_reason_ == "converged", est.stop_reason_
    assert est.n_iter_ < 400 or backend == "scipy"
    assert est.best_params_["a"] == pytest.approx(0.8, rel=0.02)
