"""How a fit ends, on every backend: early stopping, warm start, callback, interrupt.

The search state seen by the callback (``best_loss``, ``n_iter``) after each
iteration is the reference: it shows when the best loss last improved, so the
stopping rule can be checked against what actually happened.
"""

import numpy as np
import pytest

import brainestimators as be

from _data import hopf_recordings

# Every backend and the distinct loops inside it. (A backend registry is
# coming; once it exists, build this list from it so a new backend is tested.)
BACKENDS = [
    ("grad", be.Optax("adam", learning_rate=0.1)),
    ("nevergrad", be.Nevergrad("DE", n_sample=4)),
    ("scipy", be.Scipy("Nelder-Mead")),
    ("scipy", be.Scipy("differential_evolution", popsize=4)),
]
IDS = ["grad", "nevergrad", "scipy-local", "scipy-de"]


def _params(xfails):
    """BACKENDS as pytest params, ``xfails = {id: reason}`` marked strict."""
    return [pytest.param(b, o, id=i, marks=[pytest.mark.xfail(strict=True, reason=xfails[i])]
                         if i in xfails else [])
            for (b, o), i in zip(BACKENDS, IDS)]


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


@pytest.mark.parametrize("backend,optimizer", _params({
    "scipy-local": "scipy ignores n_iter_no_change: every restart runs (documented gap)",
    "scipy-de": "scipy ignores n_iter_no_change: differential_evolution stops only on its "
                "own population tolerance, after the best has stalled for longer",
}))
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
    assert est.stop_reason_ == "done" and est.best_loss_ == min(est.history_)


@pytest.mark.parametrize("backend,optimizer", _params({
    "nevergrad": "nevergrad's DE samples its first generation around the previous best "
                 "without evaluating it, so a warm-started fit can end worse than the fit "
                 "it continues",
}))
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


@pytest.mark.parametrize("backend,optimizer", _params(dict.fromkeys(IDS, (
    "bug (issue 12, D9): a callback returning np.True_ (a numpy comparison) is ignored; "
    "the stop test is `callback(state) is True`"))))
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
