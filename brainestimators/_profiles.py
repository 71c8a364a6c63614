"""Profiles of a fitted (or unfitted) estimator's loss, and the intervals read off them.

Each profile value is a row of one batched fit (:func:`~._fit.run_fit`), on
the estimator's plan with the profiled parameter fixed row by row.
"""

import numbers
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from scipy.stats import norm
from sklearn.utils import Bunch

from ._border import model_of, setup
from ._model import make_model
from ._derived import fitted_maps
from ._fit import run_fit
from ._profile_rise import crossing, rise

__all__ = ["profile_loss", "profile_intervals"]


def profile_loss(estimator, X, name, values, y=None):
    """Profile of the loss: fix ``name`` at each value and refit the other parameters.

    All values are refitted at once, as one batched per-row fit (the rows
    are the profile values) with the estimator's backend and settings. The
    profiled parameter leaves the fitted layout and enters each row as a
    per-row fixed value; a degenerate box (``low == high``) instead would
    divide by zero in the derivative-free backends' box normalisation.
    A fitted estimator starts every row at its ``best_params_`` and uses its
    fit's noise key, so the profile is a section of the loss it minimised.
    With nothing else fitted, the profile is the loss at each value.

    Parameters
    ----------
    estimator : BaseNeuralMassRegressor
        Fitted or not; its ``bounds`` name the parameters. It is not modified.
    X : array-like
        The fit's data (recordings for ``fit(X)``, else the drive).
    name : str
        A fitted parameter with one value (not per region, not a map
        coefficient).
    values : array-like of shape (n_values,)
        Values at which to fix it.
    y : array-like, optional
        Target of a driven fit.

    Returns
    -------
    profile : :class:`~sklearn.utils.Bunch`
        ``name``, ``grid`` (the values), ``loss`` (best loss at each value), ``params``
        (the other parameters at each value, one dict each), ``converged``
        and ``best`` (the value of least loss).

    Examples
    --------
    >>> import numpy as np
    >>> from brainestimators import HopfRegressor, profile_loss
    >>> from brainestimators.datasets import make_recordings
    >>> truth = HopfRegressor(a=0.8, w=0.3, initial_state={'x': 0.5})
    >>> X = make_recordings(truth, n_samples=1, n_time=100)
    >>> est = HopfRegressor(w=0.3, initial_state={'x': 0.5}, bounds={'a': (0.1, 2.0),
    ...                     'w': (0.1, 0.5)}, max_iter=30)
    >>> prof = profile_loss(est, X, 'a', [0.4, 0.8, 1.6])
    >>> float(prof.best)
    0.8
    """
    model = model_of(estimator)
    values = np.asarray(values, dtype=float).ravel()
    if values.size < 1 or not np.all(np.isfinite(values)):
        raise ValueError(f"values must be a non-empty array of finite numbers, got {values!r}.")
    fitted = getattr(estimator, "best_params_", None)
    # The section of the loss the fit minimised: a fitted estimator's own maps and values
    # computed from recordings, else those of X (as fit(X) would compute them).
    maps = None if fitted is None else fitted_maps(model, getattr(estimator, "maps_", None))
    from_data = fitted is None
    seed = getattr(estimator, "noise_seed_", None) if fitted is not None else None
    full, drive, target, _ = setup(estimator, model, X, y, reset=False, maps=maps,
                                   from_data=from_data, seed=seed)
    entry = {e.name: e for e in full.layout.entries}.get(name)
    per_region = model.params["per_region"] or ()
    if entry is None or entry.size != 1 or entry.map_index is not None or (
            name in (per_region if not isinstance(per_region, str) else (per_region,))):
        scalars = [e.name for e in full.layout.entries if e.size == 1 and e.map_index is None]
        raise ValueError(f"profile_loss profiles a fitted parameter with one value; {name!r} "
                         f"is not one. Such parameters here: {scalars}.")
    seed = full.seed
    bounds = {k: v for k, v in (model.params["bounds"] or model.spec.bounds).items() if k != name}
    if not bounds:  # nothing else to refit: the profile is the loss itself
        ev = full.evaluator
        loss = np.asarray(ev.rows_loss(
            jnp.asarray(values[None, :, None], jnp.float32), full.fixed,
            None if drive is None else jnp.asarray(drive[None], jnp.float32),
            jnp.asarray(target[None], jnp.float32), jax.random.key(seed)), float)[0]
        loss = np.where(np.isfinite(loss), loss, np.inf)
        return Bunch(name=name, grid=values, loss=loss, params=[{} for _ in values],
                     converged=np.ones(values.size, bool), best=values[int(np.argmin(loss))])
    params = {**model.params, "bounds": bounds,
              "init": {k: v for k, v in (model.params["init"] or {}).items() if k != name}}
    if name == "noise_sigma":  # switch the noise on
        params["noise_sigma"] = float(np.max(np.abs(values)))
    reduced = make_model(model.key, model.values, {**params, "callback": None})
    plan, drive, target, _ = setup(estimator, reduced, X, y, reset=False, maps=maps,
                                   from_data=from_data, previous=fitted, seed=seed,
                                   label=f"profile of {name}")
    R = values.size
    res = run_fit(plan, np.broadcast_to(target[None], (R,) + target.shape),
                  None if drive is None else np.broadcast_to(drive[None], (R,) + drive.shape),
                  row_fixed={entry.target: values})
    loss = np.where(res.found, res.loss, np.inf)
    return Bunch(name=name, grid=values, loss=loss,
                 params=[plan.layout.unflatten(t) for t in res.theta],
                 converged=np.asarray(res.converged), best=values[int(np.argmin(loss))])




def profile_intervals(estimator, X, y=None, alpha=0.05, names=None, n_points=6, n_keys=None):
    """Profile intervals: the values the data cannot tell from the fitted one.

    Each parameter is fixed at values around its estimate and the others are
    refitted (:func:`profile_loss`, one batched fit per pass). A value ``v``
    is inside the ``1 - alpha`` interval while the rise of the loss from the
    fit to ``v``, ``D(v)``, stays within ``z(1 - alpha/2) / 2`` of its own
    standard error (the rows' paired differences and the model's noise, as
    in the sandwich). Where the loss is quadratic this is the sandwich's
    interval (``D = h d**2 / 2`` and ``se(D) = s |d|``, with ``s / h`` the
    sandwich's standard error); unlike it, it needs no Hessian, so it serves
    a kinked loss (``fcd_ks``, one region's ``std_rmse``) and a parameter at
    a bound of its box, and it follows an asymmetric profile. Values are
    first spaced geometrically out to the box, then ``n_points`` more fill
    each bracketing pair; the ends are interpolated linearly there.

    Parameters
    ----------
    estimator : BaseNeuralMassRegressor
        Fitted. Not modified.
    X, y : array-like
        The fit's data.
    alpha : float, default=0.05
        ``1 - alpha`` is the coverage.
    names : list of str or None, default=None
        Parameters with one value (default: all of them).
    n_points : int, default=6
        Values added inside each bracket in the second pass.
    n_keys : int or None, default=None
        Replicate noise keys for the standard error of the rise (default:
        the estimator's ``n_replicates``).

    Returns
    -------
    dict
        ``{name: (low, high)}``. A warning names the intervals that reach a
        bound of the box (the data do not bound them inside it).
    """
    if not (isinstance(alpha, numbers.Real) and 0 < alpha < 1):
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}.")
    best = getattr(estimator, "best_params_", None)
    if best is None:
        raise ValueError("profile intervals need a fitted estimator: call fit first.")
    model = model_of(estimator)
    maps = fitted_maps(model, getattr(estimator, "maps_", None))
    plan, drive, target, _ = setup(estimator, model, X, y, reset=False, maps=maps, seed=0)
    if plan.config.mode == "readout":
        raise ValueError("profile intervals compare the rows' losses; a readout target is "
                         "compared as a whole. Use uncertainty='bootstrap'.")
    layout = plan.layout
    scalars = [e.name for e in layout.entries if e.size == 1 and e.map_index is None]
    per_region = model.params["per_region"] or ()
    per_region = (per_region,) if isinstance(per_region, str) else tuple(per_region)
    scalars = [n for n in scalars if n not in per_region]
    names = scalars if names is None else list(names)
    theta_hat = layout.flatten(best)
    flat = {n: i for i, n in enumerate(layout.flat_names)}
    z = norm.ppf(1 - alpha / 2)
    seed = estimator.noise_seed_
    out, at_bound = {}, []
    for name in names:
        if name not in scalars:
            raise ValueError(f"profile intervals need a fitted parameter with one value; "
                             f"{name!r} is not one. Such parameters here: {scalars}.")
        j = flat[name]
        lo, hi, c = layout.lo_flat[j], layout.hi_flat[j], theta_hat[j]
        width = hi - lo
        steps = width * np.array([0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0])
        grid = np.unique(np.clip(np.concatenate([c - steps, c + steps]), lo, hi))
        grid = grid[grid != c]

        def excess_at(values):
            prof = profile_loss(estimator, X, name, values, y)
            thetas = np.array([layout.flatten({**p, name: v})
                               for p, v in zip(prof.params, values)])
            rise_, se = rise(plan, thetas, theta_hat, target, drive, seed,
                             n_keys or estimator.n_replicates)
            return np.where(np.isfinite(rise_), rise_ - 0.5 * z * se, np.inf)

        excess = excess_at(grid)
        ends = crossing(grid, excess, c)
        fill = [np.linspace(a, b, n_points + 2)[1:-1] for _, br in ends if br is not None
                for a, b in [br]]
        if fill:  # second pass: fill the brackets
            more = np.concatenate(fill)
            grid, excess = np.concatenate([grid, more]), np.concatenate([excess,
                                                                         excess_at(more)])
            order = np.argsort(grid)
            grid, excess = grid[order], excess[order]
            ends = crossing(grid, excess, c)
        bounds = []
        for (last, br), edge in zip(ends, (lo, hi)):
            if br is None:
                bounds.append(last)
                if np.isclose(last, edge):
                    at_bound.append(name)
                continue
            a, b = br
            ea = 0.0 if a == c else float(excess[np.flatnonzero(grid == a)[0]])
            eb = float(excess[np.flatnonzero(grid == b)[0]])
            bounds.append(a + (b - a) * (-ea) / (eb - ea) if np.isfinite(eb) and eb > ea
                          else a)
        out[name] = (float(bounds[0]), float(bounds[1]))
    if at_bound:
        warnings.warn(
            f"The {1 - alpha:.0%} profile intervals of {sorted(set(at_bound))} reach the "
            "bounds of their box: the data do not bound them inside it. Widen the bounds "
            "to see where the data do.", UserWarning, stacklevel=2)
    return out
