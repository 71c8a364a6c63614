"""The scikit-learn estimator shared by every neural mass regressor."""

import numbers
import warnings
from types import SimpleNamespace

import brainunit as u
import jax
import jax.numpy as jnp
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import DataConversionWarning
from sklearn.utils import check_array, check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ._backends import Problem, run_backend
from ._cost import check_fit_cost, search_size  # cost guard (issue 9)
from ._evaluator import EvalConfig, get_evaluator
from ._objectives import resolve_objective
from ._optimizers import resolve_optimizer
from ._simulation import SimConfig, init_argument
from ._specs import get_spec, model_parameters
from ._validation import as_magnitude, check_bounds, check_recordings, monitor_unit

__all__ = ["BaseNeuralMassRegressor"]

_COUPLINGS = (None, "diffusive", "additive", "sigmoidal", "tanh")
_READOUTS = ("mean", "std", "amplitude", "last")


def _steps(value, dt, what):
    ratio = float(value) / dt
    n = int(round(ratio))
    if abs(ratio - n) > 1e-6 * max(1.0, abs(ratio)):
        raise ValueError(f"{what}={value} ms is not a whole number of dt={dt} ms steps.")
    return n


class BaseNeuralMassRegressor(RegressorMixin, BaseEstimator):
    """Fit a brainmass neural mass model to recordings or to driven responses.

    Subclasses say which model (``_get_spec``) and which fixed parameter
    values (``_model_params``) to use. See :class:`NeuralMassRegressor` for
    the parameters shared by every regressor.
    """

    # -- model description (overridden by subclasses) ---------------------
    def _model_key(self):
        """Family name (e.g. ``'Hopf'``) or brainmass class of the model."""
        raise NotImplementedError

    def _get_spec(self):
        return get_spec(self._model_key())

    def _model_params(self):
        """``{name: value}`` of every model parameter (magnitudes or Quantities)."""
        raise NotImplementedError

    # -- scikit-learn plumbing -------------------------------------------
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.three_d_array = True
        tags.target_tags.required = False
        tags.regressor_tags.poor_score = True
        return tags

    # -- parameter checks --------------------------------------------------
    def _units(self):
        units = {n: unit for n, (_, unit) in model_parameters(self._get_spec()).items()}
        units["noise_sigma"] = u.UNITLESS
        if not self._get_spec().builtin_network:
            units["k"] = u.UNITLESS
        return units

    def _check_params(self):
        """Validate the constructor parameters; return what fit/predict need."""
        spec = self._get_spec()
        if self.backend not in ("grad", "nevergrad", "scipy"):
            raise ValueError(
                f"backend must be 'grad', 'nevergrad' or 'scipy', got {self.backend!r}."
            )
        for name in ("max_iter",):
            v = getattr(self, name)
            if not isinstance(v, numbers.Integral) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}.")
        if self.n_iter_no_change is not None and (
            not isinstance(self.n_iter_no_change, numbers.Integral) or self.n_iter_no_change < 1
        ):
            raise ValueError(
                f"n_iter_no_change must be a positive integer or None, got {self.n_iter_no_change!r}."
            )
        if not isinstance(self.tol, numbers.Real) or self.tol < 0:
            raise ValueError(f"tol must be a non-negative number, got {self.tol!r}.")
        if not isinstance(self.dt, numbers.Real) or not self.dt > 0:
            raise ValueError(f"dt must be a positive number of ms, got {self.dt!r}.")
        if self._coupling_kind() not in _COUPLINGS:
            raise ValueError(f"coupling must be one of {_COUPLINGS}, got {self._coupling_kind()!r}.")
        if not (callable(self.readout) or self.readout in _READOUTS):
            raise ValueError(f"readout must be one of {_READOUTS} or a callable, got {self.readout!r}.")
        if self.callback is not None and not callable(self.callback):
            raise TypeError("callback must be callable or None.")
        bounds = spec.bounds if self.bounds is None else self.bounds
        names, lo, hi = check_bounds(bounds, self._units(), self.backend)
        monitor = self.monitor or spec.monitor
        observation = self.observation
        if observation not in (None, "bold"):
            raise ValueError(f"observation must be None or 'bold', got {observation!r}.")
        return SimpleNamespace(
            objective=resolve_objective(self.objective),
            optimizer=resolve_optimizer(self.backend, self.optimizer),
            names=names, lo=lo, hi=hi, monitor=monitor, observation=observation,
            monitor_unit=(u.UNITLESS if observation == "bold"
                          else monitor_unit(self._model_key(), monitor)),
        )

    def _fixed(self, n_regions, names=()):
        """Traced values of every parameter (fitted ones are overwritten by theta)."""
        spec = self._get_spec()
        params = model_parameters(spec)
        given = self._model_params()
        fixed = {}
        for name, (default, unit) in params.items():
            value = given.get(name, default)
            value = as_magnitude(value, unit, f"parameter {name!r}")
            arr = np.asarray(value, dtype=float)
            if arr.ndim not in (0, 1) or (arr.ndim == 1 and arr.shape[0] != n_regions):
                raise ValueError(
                    f"parameter {name!r} must be a scalar or one value per region "
                    f"({n_regions}), got shape {arr.shape}."
                )
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"parameter {name!r} is not finite: {value!r}.")
            fixed[name] = jnp.asarray(arr, jnp.float32)
        for state, value in (self.initial_state or {}).items():
            arr = np.asarray(value, dtype=float)
            if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n_regions) or not np.all(np.isfinite(arr)):
                raise ValueError(
                    f"initial_state[{state!r}] must be a finite scalar or one value per region, "
                    f"got {value!r}."
                )
            fixed["init:" + state] = jnp.asarray(arr, jnp.float32)
        sigma = np.asarray(self.noise_sigma, dtype=float)
        if sigma.ndim > 1 or (sigma.ndim == 1 and sigma.shape[0] != n_regions) or not np.all(
                sigma >= 0):
            raise ValueError(
                f"noise_sigma must be >= 0, one value or one per region, got {self.noise_sigma!r}.")
        fixed["noise_sigma"] = jnp.asarray(sigma, jnp.float32)
        conn = self._connectivity()
        if conn is not None:
            fixed["connectivity"] = jnp.asarray(conn, jnp.float32)
            if not spec.builtin_network:
                fixed["k"] = jnp.asarray(float(self.k), jnp.float32)
        elif "k" in names:
            raise ValueError("bounds name the coupling 'k', but there is no connectivity to couple.")
        return fixed

    def _layout(self, r, n_regions):
        """Expand per-region parameters: sets ``r.fitted`` ((name, size), ...) and flat boxes."""
        per_region = tuple(self.per_region or ())
        unknown = set(per_region) - set(r.names)
        if unknown:
            raise ValueError(
                f"per_region names {sorted(unknown)}, which are not fitted; fitted parameters "
                f"(the keys of bounds) are {list(r.names)}."
            )
        sizes = [n_regions if name in per_region else 1 for name in r.names]
        r.fitted = tuple(zip(r.names, sizes))
        r.lo_flat = np.repeat(r.lo, sizes)
        r.hi_flat = np.repeat(r.hi, sizes)
        return r

    @staticmethod
    def _theta(r, params):
        """Flat parameter vector from ``{name: value or list}`` in ``r.fitted`` order."""
        out = []
        for name, size in r.fitted:
            v = np.atleast_1d(np.asarray(params[name], dtype=float))
            if v.size != size:
                raise ValueError(f"{name!r} has {v.size} values; {size} expected.")
            out.extend(v.tolist())
        return np.array(out)

    @staticmethod
    def _unflatten(r, theta):
        out, i = {}, 0
        for name, size in r.fitted:
            vals = [float(v) for v in theta[i:i + size]]
            out[name] = vals[0] if size == 1 else vals
            i += size
        return out

    def _coupling_kind(self):
        return getattr(self, "coupling", None)

    def _connectivity(self):
        if self.connectivity is None:
            return None
        conn = np.asarray(self.connectivity, dtype=float)
        if conn.ndim != 2 or conn.shape[0] != conn.shape[1]:
            raise ValueError(f"connectivity must be a square (N, N) matrix, got shape {conn.shape}.")
        if not np.all(np.isfinite(conn)):
            raise ValueError("connectivity contains NaN or inf.")
        return conn

    # -- data checks -------------------------------------------------------
    @staticmethod
    def _target_magnitude(r, data, name):
        return as_magnitude(data, r.monitor_unit, f"{name} (monitored variable {r.monitor!r})")

    def _validate(self, r, X, y, reset):
        """Return ``(mode, drive, target, n_regions, target_ndim)`` (float arrays)."""
        if y is None:
            X = self._target_magnitude(r, X, "X")
            check_recordings(X)
            X = validate_data(self, X, reset=reset, allow_nd=True, dtype=np.float64)
            check_recordings(X)
            ndim = X.ndim
            if ndim == 2:
                X = X[:, :, None]
            return "target", None, X, X.shape[2], ndim
        X = as_magnitude(X, self._get_spec().input_unit, "X (drive)")
        y = self._target_magnitude(r, y, "y")
        X, y = validate_data(
            self, X, y, reset=reset,
            validate_separately=(
                dict(allow_nd=True, dtype=np.float64),
                dict(ensure_2d=False, allow_nd=True, dtype=np.float64),
            ),
        )
        if X.ndim not in (2, 3):
            raise ValueError(
                "With y given, X is the drive: (n_samples, n_inputs) or "
                f"(n_samples, n_time, n_inputs); got shape {X.shape}."
            )
        if y.ndim > 3:
            raise ValueError(f"y must be 1-, 2- or 3-D, got shape {y.shape}.")
        if y.ndim == 2 and y.shape[1] == 1:
            if reset:
                warnings.warn(
                    "A column-vector y was passed when a 1d array was expected; using y.ravel().",
                    DataConversionWarning, stacklevel=3)
            y = y.ravel()
        if X.shape[0] != y.shape[0]:
            raise ValueError(
                f"X and y have different numbers of samples: {X.shape[0]} and {y.shape[0]}."
            )
        mode = "trajectory" if y.ndim == 3 else "readout"
        return mode, X, y, X.shape[-1], y.ndim

    # -- configuration -----------------------------------------------------
    def _sim_config(self, r, mode, drive, n_time, n_regions):
        conn = self._connectivity()
        spec = self._get_spec()
        if conn is not None:
            if drive is not None and n_regions not in (1, conn.shape[0]):
                raise ValueError(
                    f"X has {n_regions} inputs but connectivity has {conn.shape[0]} regions; "
                    "give one input per region or a single shared input."
                )
            if mode == "target" and n_regions != conn.shape[0]:
                raise ValueError(
                    f"X has {n_regions} regions but connectivity has {conn.shape[0]}. X is a "
                    "stack (n_samples, n_time, n_regions); a single (n_time, n_regions) "
                    "recording is X[None]."
                )
            n_regions = conn.shape[0]
            if not spec.couplings and not spec.builtin_network:
                raise ValueError(f"{spec.name} has no coupling variable; connectivity is not supported.")
        dt = float(self.dt)
        ratio = 1.0 if self.sample_dt is None else float(self.sample_dt) / dt
        if not ratio >= 1 - 1e-9:
            raise ValueError(f"sample_dt must be >= dt, got {self.sample_dt}.")
        sample_every, sample_ratio = int(round(ratio)), None
        if abs(ratio - sample_every) > 1e-6 * ratio:
            # e.g. a 720 ms TR on a 100 ms grid: record every step, keep the
            # step nearest each sampling time.
            sample_every, sample_ratio = 1, ratio
        transient = _steps(self.transient, dt, "transient")
        if transient < 0:
            raise ValueError(f"transient must be >= 0 ms, got {self.transient}.")
        if mode == "readout" and drive.ndim == 2:
            n_run = _steps(self.duration, dt, "duration")
            if n_run < 1:
                raise ValueError(f"duration must be at least one dt, got {self.duration}.")
        elif sample_ratio is not None:
            n_run = int(round((n_time - 1) * sample_ratio)) + 1
        else:
            n_run = n_time * sample_every
        kind = "none" if drive is None else ("const" if drive.ndim == 2 else "series")
        return SimConfig(
            model=self._model_key(), n_regions=int(n_regions), n_steps=transient + n_run,
            dt=dt, transient_steps=transient, sample_every=sample_every,
            sample_ratio=sample_ratio, n_time=n_time if sample_ratio is not None else None,
            monitor=r.monitor, drive=kind,
            coupling=self._coupling_kind() if conn is not None and not spec.builtin_network else None,
            noise=(np.any(np.asarray(self.noise_sigma) > 0) or "noise_sigma" in r.names)
            and bool(spec.noise),
            initial=self._initial_states(spec),
            delays=self._delay_steps(conn, dt) if conn is not None else None,
            observation=r.observation,
        )

    def _delay_steps(self, conn, dt):
        """Conduction delays ``distance / speed`` in whole steps (static), or None."""
        distance, speed = getattr(self, "distance", None), getattr(self, "speed", None)
        if distance is None:
            return None
        D = np.asarray(as_magnitude(distance, u.mm, "distance"), dtype=float)
        if D.shape != conn.shape:
            raise ValueError(f"distance has shape {D.shape}; connectivity has {conn.shape}.")
        if not np.all(np.isfinite(D)) or np.any(D < 0):
            raise ValueError("distance must be finite and non-negative (mm).")
        v = float(as_magnitude(speed, u.mm / u.ms, "speed")) if speed is not None else np.nan
        if not v > 0:
            raise ValueError(f"speed must be a positive number of mm/ms (= m/s) with distance, got {speed!r}.")
        steps = np.rint(D / v / dt).astype(int)
        np.fill_diagonal(steps, 0)
        return tuple(steps.ravel().tolist()) if steps.any() else None

    def _initial_states(self, spec):
        given = self.initial_state or {}
        if not isinstance(given, dict):
            raise TypeError(f"initial_state must be a dict {{state: value}}, got {given!r}.")
        for state in given:
            init_argument(spec.cls, state)
        return tuple(sorted(given))

    def _eval_config(self, r, mode, drive, target, n_regions):
        n_time = target.shape[1] if mode in ("target", "trajectory") else (
            drive.shape[1] if drive.ndim == 3 else 0)
        sim = self._sim_config(r, mode, drive, n_time, n_regions)
        if mode == "target":
            n_outputs = sim.n_regions
            if target.shape[2] != sim.n_regions:
                raise ValueError(f"X has {target.shape[2]} regions, the model {sim.n_regions}.")
        else:
            n_outputs = 1 if target.ndim == 1 else target.shape[-1]
            if n_outputs not in (1, sim.n_regions):
                raise ValueError(
                    f"y has {n_outputs} outputs; the model has {sim.n_regions} regions. "
                    "Give one output per region, or a single output (the region mean)."
                )
        self._layout(r, sim.n_regions)
        return EvalConfig(sim, mode, r.objective, r.fitted, n_outputs,
                          self.readout if mode == "readout" else "mean")

    # -- fitting -----------------------------------------------------------
    def fit(self, X, y=None):
        """Fit the model parameters named in ``bounds``.

        Parameters
        ----------
        X : array-like or Quantity
            With ``y=None``: the target recordings, shape
            ``(n_samples, n_time, n_regions)`` or ``(n_samples, n_time)``.
            Otherwise the drive, ``(n_samples, n_inputs)`` (constant) or
            ``(n_samples, n_time, n_inputs)`` (time-varying).
        y : array-like or Quantity, optional
            Per-sample readout ``(n_samples,)`` / ``(n_samples, n_outputs)``
            or trajectory ``(n_samples, n_time, n_outputs)``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        r = self._check_params()
        mode, drive, target, n_regions, ndim = self._validate(r, X, y, reset=True)
        cfg = self._eval_config(r, mode, drive, target, n_regions)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        fixed = self._fixed(cfg.sim.n_regions, r.names)
        # cost guard (issue 9): refuse or warn before anything is compiled
        n_cand, grad = search_size(self.backend, r.optimizer, len(r.lo_flat))
        check_fit_cost(cfg.sim, n_cand, 1 if mode == "target" else len(target), grad,
                       self.max_iter, fixed, stacklevel=3)
        x0 = self._start(r, fixed)
        ev = get_evaluator(cfg)
        progress = None
        if self.verbose:
            from tqdm.auto import tqdm

            progress = tqdm(total=self.max_iter, desc=f"{type(self).__name__} [{self.backend}]")
        problem = Problem(
            ev, fixed, None if drive is None else jnp.asarray(drive, jnp.float32),
            jnp.asarray(target, jnp.float32), jax.random.key(seed), r.lo_flat, r.hi_flat,
            callback=self.callback, progress=progress,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            status = run_backend(self.backend, problem, r.optimizer, x0, self.max_iter,
                                 self.tol, self.n_iter_no_change, rng)
        if progress is not None:
            progress.close()
        if problem.best_theta is None:
            raise ValueError(
                "Every evaluated candidate diverged (NaN/inf loss): narrow the bounds, "
                "lower dt or the noise, or check the target's units and scale."
            )
        if status != "done":
            warnings.warn(
                f"Fitting stopped early ({status}) after {problem.n_iter} iterations; "
                "keeping the best parameters found so far.", RuntimeWarning)
        self.best_params_ = self._unflatten(r, problem.best_theta)
        self.best_loss_ = float(problem.best_loss)
        self.history_ = list(problem.history)
        self.n_iter_ = int(problem.n_iter)
        self.fit_mode_ = mode
        self.n_regions_ = int(cfg.sim.n_regions)
        self.n_outputs_ = int(cfg.n_outputs)
        self.target_ndim_ = int(ndim)
        self.noise_seed_ = seed
        self.stop_reason_ = status
        return self

    def _fit_rows(self, X):
        """Fit every row of X on its own, all rows at once (see ``_rows``).

        Returns ``(names, thetas (n_rows, n_params), losses (n_rows,))``; the
        estimator itself is not modified.
        """
        from ._rows import fit_rows

        r = self._check_params()
        X = self._target_magnitude(r, X, "X")
        check_recordings(X)
        X = check_array(X, allow_nd=True, dtype=np.float64)
        if X.ndim == 2:
            X = X[:, :, None]
        cfg = self._eval_config(r, "target", None, X[:1], X.shape[2])
        fixed = self._fixed(cfg.sim.n_regions, r.names)
        rng = check_random_state(self.random_state)
        key = jax.random.key(int(rng.randint(np.iinfo(np.int32).max)))
        x0 = np.tile(self._start(r, fixed), (X.shape[0], 1))
        thetas, losses, _ = fit_rows(get_evaluator(cfg), fixed, X, key, r.lo_flat, r.hi_flat, x0,
                                     self.backend, r.optimizer, self.max_iter, self.tol,
                                     self.n_iter_no_change, rng)
        names = [n if size == 1 else f"{n}[{i}]" for n, size in r.fitted
                 for i in range(size)]
        return names, thetas, losses

    def _start(self, r, fixed):
        """Starting point: warm start, ``init``, the fixed value, or the box centre."""
        prev = getattr(self, "best_params_", None) if self.warm_start else None
        init = dict(self.init or {})
        unknown = set(init) - set(r.names)
        if unknown:
            raise ValueError(
                f"init names {sorted(unknown)}, which are not fitted; fitted parameters "
                f"(the keys of bounds) are {list(r.names)}."
            )
        units = self._units()
        x0 = []
        for (name, size), a, b in zip(r.fitted, r.lo, r.hi):
            centre = 0.5 * (a + b) if np.isfinite(a) and np.isfinite(b) else 0.0
            if prev is not None and name in prev and np.size(prev[name]) == size:
                v = np.asarray(prev[name], float)
            elif name in init:
                v = np.asarray(as_magnitude(init[name], units[name], f"init[{name!r}]"), float)
                if np.any(v < a) or np.any(v > b):
                    raise ValueError(f"init[{name!r}] = {init[name]} lies outside bounds ({a}, {b}).")
            elif name in fixed:
                v = np.asarray(fixed[name], float)
                if not (np.all(np.isfinite(v)) and np.all(v > a) and np.all(v < b)):
                    v = np.asarray(centre)
            else:
                v = np.asarray(centre)
            x0.extend(np.broadcast_to(v, (size,)).tolist() if v.size in (1, size) else [centre] * size)
        return np.clip(np.array(x0, float), r.lo_flat, r.hi_flat)

    # -- prediction --------------------------------------------------------
    def _predict_setup(self, X, y=None):
        check_is_fitted(self)
        r = self._check_params()
        if self.fit_mode_ == "target":
            mode, drive, target, n_regions, _ = self._validate(r, X, None, reset=False)
        else:
            if y is None:
                X = as_magnitude(X, self._get_spec().input_unit, "X (drive)")
                X = validate_data(self, X, reset=False, allow_nd=True, dtype=np.float64)
                nd = self.target_ndim_
                n_out = self.n_outputs_
                shape = (X.shape[0],) + ((X.shape[1], n_out) if nd == 3 else (n_out,) if nd == 2 else ())
                target = np.zeros(shape)
                drive, n_regions = X, X.shape[-1]
                mode = "trajectory" if nd == 3 else "readout"
            else:
                mode, drive, target, n_regions, _ = self._validate(r, X, y, reset=False)
        if (mode == "target" or drive.ndim == 3) and n_regions != self.n_regions_ and (
                mode == "target" or n_regions != 1):
            what = "regions" if mode == "target" else "inputs"
            raise ValueError(
                f"X has {n_regions} {what}; the model was fitted with {self.n_regions_} regions."
            )
        cfg = self._eval_config(r, mode, drive, target, n_regions)
        fixed = self._fixed(cfg.sim.n_regions, r.names)
        if set(r.names) != set(self.best_params_):
            raise ValueError(
                f"bounds changed since fit ({sorted(self.best_params_)} -> {list(r.names)}); refit."
            )
        theta = jnp.asarray(self._theta(r, self.best_params_), jnp.float32)
        d = None if drive is None else jnp.asarray(drive, jnp.float32)
        return cfg, theta, fixed, d, target

    def predict(self, X):
        """Model counterpart of the target for each row.

        Parameters
        ----------
        X : array-like
            As in :meth:`fit`: recordings for a ``fit(X)`` model (each row gets
            a simulated recording of the same shape), the drive otherwise.

        Returns
        -------
        ndarray of float64
            Same shape as the fit target (recordings, readouts or trajectories).
        """
        cfg, theta, fixed, drive, target = self._predict_setup(X)
        out = np.asarray(get_evaluator(cfg).predict(theta, fixed, drive, jax.random.key(self.noise_seed_)),
                         dtype=np.float64)
        if self.fit_mode_ == "target":
            out = np.broadcast_to(out, target.shape).copy()
            if self.target_ndim_ == 2:
                out = out[:, :, 0]
            return out
        if self.target_ndim_ == 1:
            out = out.reshape(out.shape[0])
        return out

    def score(self, X, y=None, sample_weight=None):
        """The objective as a score (greater is better), averaged over rows.

        Parameters
        ----------
        X : array-like
            Recordings (``fit(X)`` models) or the drive.
        y : array-like, optional
            Target of a driven model.
        sample_weight : None
            Not supported; must be None.

        Returns
        -------
        float
            ``1 - loss`` for similarity objectives (e.g. the FC correlation
            itself), ``-loss`` for distances; ``-inf`` if the simulation
            diverges.
        """
        if sample_weight is not None:
            raise ValueError("sample_weight is not supported.")
        check_is_fitted(self)
        if self.fit_mode_ != "target" and y is None:
            raise ValueError("This model was fitted with a target y; score(X, y) needs y.")
        cfg, theta, fixed, drive, target = self._predict_setup(X, y)
        loss = float(get_evaluator(cfg).loss(theta, fixed, drive, jnp.asarray(target, jnp.float32),
                                             jax.random.key(self.noise_seed_)))
        if not np.isfinite(loss):
            return -np.inf
        return float(cfg.objective.score(loss))

    def _draw(self, n_samples, n_time, n_regions, random_state):
        """Recordings of the model at its constructor values (no fitting)."""
        r = self._check_params()
        r.names, r.lo, r.hi = (), np.zeros(0), np.zeros(0)
        # (the layout is set by _eval_config)
        target = np.zeros((1, n_time, n_regions))
        cfg = self._eval_config(r, "target", None, target, n_regions)
        fixed = self._fixed(cfg.sim.n_regions)
        rng = check_random_state(random_state)
        keys = jax.random.split(jax.random.key(int(rng.randint(np.iinfo(np.int32).max))), n_samples)
        out = get_evaluator(cfg).sample(jnp.zeros(0, jnp.float32), fixed, None, keys)
        return np.asarray(out, dtype=np.float64)

    def simulate(self, n_samples=1, X=None, random_state=None):
        """Draw recordings from the fitted model, like ``GaussianMixture.sample``.

        Parameters
        ----------
        n_samples : int, default=1
            Number of independent noise realisations.
        X : array-like, optional
            For a ``fit(X)`` model, recordings whose shape the draws take
            (default: the fit shape). For a driven model, the drive (required).
        random_state : int, RandomState or None
            Seeds the noise of the draws.

        Returns
        -------
        ndarray of float64
            ``(n_samples, n_time, n_regions)`` for a ``fit(X)`` model, else
            ``(n_samples,) + predict(X).shape``.
        """
        check_is_fitted(self)
        if not isinstance(n_samples, numbers.Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        if X is None:
            if self.fit_mode_ != "target":
                raise ValueError("A driven model needs the drive X to simulate.")
            X = np.zeros((1, self.n_features_in_, self.n_regions_))
            if self.target_ndim_ == 2:
                X = X[:, :, 0]
        cfg, theta, fixed, drive, _ = self._predict_setup(X)
        rng = check_random_state(random_state)
        keys = jax.random.split(jax.random.key(int(rng.randint(np.iinfo(np.int32).max))), n_samples)
        out = np.asarray(get_evaluator(cfg).sample(theta, fixed, drive, keys), dtype=np.float64)
        if self.fit_mode_ != "target" and self.target_ndim_ == 1:
            out = out.reshape(out.shape[:2])
        return out
