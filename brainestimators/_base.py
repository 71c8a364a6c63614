"""The scikit-learn estimator shared by every neural mass regressor.

The class holds the parameters, their validation and the data checks; the
numerics live in small modules it calls: :mod:`._plan` (the static
configuration), :mod:`._fit` (the backend loop), :mod:`._predict` (chunked
predictions and draws) and :mod:`._uncertainty`.
"""

import dataclasses
import numbers

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.utils import check_array, check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ._fit import RowFits, best_row, restarts, run_fit, warn_rows
from ._derived import draw_unfitted, fitted_maps, per_subset, with_values
from ._expected_spectra import expected_log_psd
from ._layout import expand
from ._maps import derived_names, resolve_maps, resolve_values, uses_data
from ._moments import checked_moments
from ._params import common_constraints
from ._plan import Model, connectivity, make_plan, model_regions, start_point
from ._predict import predict as _predict_rows
from ._predict import sample as _sample_rows
from ._recipes import for_recordings as _for_recordings
from ._sensor_moments import compiled_autocovariance
from ._specs import get_spec
from ._uncertainty import estimate, intervals, profile_intervals
from ._validation import as_magnitude, check_driven, check_recordings

__all__ = ["BaseNeuralMassRegressor"]

_UNCERTAINTY_ATTRIBUTES = ("param_cov_", "param_std_", "identifiability_", "bootstrap_params_",
                           "_layout", "_batched_by")


class BaseNeuralMassRegressor(RegressorMixin, BaseEstimator):
    """Fit a brainmass neural mass model to recordings or to driven responses.

    Subclasses name the model family (``_family``) and the constructor
    arguments that are model parameters (``_model_param_names``). See
    :class:`NeuralMassRegressor` for the parameters shared by every regressor.
    """

    _family = None
    _model_param_names = ()
    _parameter_constraints = common_constraints()

    for_recordings = classmethod(_for_recordings)

    # -- the model as values -----------------------------------------------
    def _model_key(self):
        return self._family

    def _model_params(self):
        return {n: getattr(self, n) for n in self._model_param_names}

    def _model(self):
        key = self._model_key()
        return Model(key, get_spec(key), self._model_params(), self.get_params(deep=False))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.three_d_array = True
        tags.target_tags.required = False
        tags.regressor_tags.poor_score = True
        return tags

    # -- data checks -------------------------------------------------------
    def _recordings(self, model, X, reset):
        """Validated recordings ``(n, n_time, n_regions)`` and the input's ndim."""
        X = as_magnitude(X, model.monitor_unit, f"X (monitored variable {model.monitor!r})")
        check_recordings(X)
        if reset:
            X = validate_data(self, X, reset=True, allow_nd=True, dtype=np.float64)
        else:  # any length: only the regions must match the fit
            X = check_array(X, allow_nd=True, dtype=np.float64)
        check_recordings(X)
        ndim = X.ndim
        return (X[:, :, None] if ndim == 2 else X), ndim

    def _driven(self, model, X, y, reset):
        """Validated ``(drive, target)`` of ``fit(X, y)``."""
        X = as_magnitude(X, model.spec.input_unit, "X (drive)")
        y = as_magnitude(y, model.monitor_unit, f"y (monitored variable {model.monitor!r})")
        X, y = validate_data(
            self, X, y, reset=reset,
            validate_separately=(
                dict(allow_nd=True, dtype=np.float64),
                dict(ensure_2d=False, allow_nd=True, dtype=np.float64),
            ),
        )
        return check_driven(X, y, warn=reset)

    def _plan(self, model, X, y, *, reset, fitting=True, maps=None, from_data=None):
        """``(plan, drive, target, ndim)`` for fit (``reset``) or prediction.

        ``maps``: the map-based parameters' maps (default: computed from the
        recordings X for a fit, from the fit for a prediction). Model
        parameters named after values computed from recordings
        (``w='peak_frequency'``) come from X for a fit and from
        ``derived_params_`` for a prediction. ``from_data`` (default:
        ``reset``) computes both from X without resetting the estimator's
        fitted state: a profile of an unfitted estimator is a section of the
        loss its fit on X would minimise.
        """
        from_data = reset if from_data is None else from_data
        if y is None:
            target, ndim = self._recordings(model, X, reset)
            if from_data:
                model = with_values(model, target)
                if maps is None:
                    maps = resolve_maps(model.params["per_region"], connectivity(model.params),
                                        target, model_regions(model, target.shape[2]))
            else:
                model = with_values(model, None, getattr(self, "derived_params_", None))
            plan = make_plan(model, "target", target.shape[1], target.shape[2],
                             target_shape=target.shape[1:], fitting=fitting, maps=maps)
            return plan, None, target, ndim
        if from_data and (uses_data(model.params["per_region"]) or derived_names(model.values)):
            raise ValueError(
                "maps and parameter values computed from recordings (fc_gradient, "
                "peak_frequency, ...) need fit(X) with recordings as the target; with "
                "fit(X, y) give them as arrays.")
        model = with_values(model, None, getattr(self, "derived_params_", None))
        drive, target = self._driven(model, X, y, reset)
        mode = "trajectory" if target.ndim == 3 else "readout"
        n_time = target.shape[1] if mode == "trajectory" else (
            drive.shape[1] if drive.ndim == 3 else 0)
        n_outputs = 1 if target.ndim == 1 else target.shape[-1]
        plan = make_plan(model, mode, n_time, drive.shape[-1],
                         drive_kind="const" if drive.ndim == 2 else "series",
                         n_outputs=n_outputs, target_shape=target.shape[1:] if mode ==
                         "trajectory" else target.shape, fitting=fitting, maps=maps)
        return plan, drive, target, target.ndim

    # -- fitting -----------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
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
        model = self._model()
        plan, drive, target, ndim = self._plan(model, X, y, reset=True)
        if self.uncertainty is not None and "connectivity" in plan.layout.names:
            raise ValueError(
                f"uncertainty={self.uncertainty!r} cannot be had for fitted connectome weights "
                f"({plan.layout.size} parameters): the Hessian of {plan.layout.size} weights "
                "fitted to one FC is singular (more weights than independent FC entries "
                "constrain them well) and a bootstrap would refit them n_replicates times. "
                "Use uncertainty=None, or cross-validate the held-out score.")
        if self.uncertainty is not None and plan.config.mode == "readout":
            raise ValueError(
                "uncertainty needs a loss per row (sample); a readout target y of shape "
                f"{target.shape} is compared as a whole. Fit trajectories or recordings.")
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        previous = getattr(self, "best_params_", None) if self.warm_start else None
        x0 = start_point(model, plan, previous)
        starts, seeds = restarts(x0, plan.layout, self.n_restarts, seed)
        R = len(starts)
        fit_kwargs = dict(max_iter=self.max_iter, tol=self.tol,
                          n_iter_no_change=self.n_iter_no_change, verbose=self.verbose,
                          label=f"{type(self).__name__} [{self.backend}]")
        res = run_fit(plan, np.broadcast_to(target[None], (R,) + target.shape),
                      None if drive is None else np.broadcast_to(drive[None], (R,) + drive.shape),
                      seed, starts, seeds=seeds, callback=self.callback, **fit_kwargs)
        i = best_row(res, plan.objective.name)
        self._store_fit(plan, res, i, ndim, seed)
        self.restart_losses_ = np.asarray(res.loss, float)
        self.restart_spread_ = plan.layout.unflatten(np.std(res.theta[res.found], axis=0))
        if self.uncertainty is not None:
            fit_kwargs["label"] = f"bootstrap [{self.backend}]"
            self.__dict__.update(estimate(plan, res.theta[i], target, drive, seed,
                                          self.uncertainty, self.n_replicates, fit_kwargs))
            self._layout = plan.layout
        return self

    def _store_fit(self, plan, res, r, ndim, seed, row_fixed=None, batched_by=None):
        """Set the fitted attributes from row ``r`` of a :class:`~._fit.FitResult`.

        ``row_fixed``: that row's own traced values (its maps, its computed
        parameter values), where they differ from ``plan.fixed``. Clears the
        uncertainty of an earlier fit. The restart attributes describe the
        one start of row ``r`` (:meth:`fit` replaces them with its restarts').
        ``batched_by``: the function that fitted this row among others
        (``'fit_folds'``, ...), which fits each row once, without restarts or
        uncertainty.
        """
        fixed = {**plan.fixed, **(row_fixed or {})}
        self.best_params_ = plan.layout.unflatten(res.theta[r])
        self.best_loss_ = float(res.loss[r])
        self.history_ = [float(v) for v in res.history[r]]
        self.n_iter_ = int(res.n_iter[r])
        self.converged_ = bool(res.converged[r])
        self.constraint_violation_ = float(res.violation[r])
        self.stop_reason_ = res.reason[r]
        self.fit_mode_ = plan.config.mode
        self.n_regions_ = int(plan.config.sim.n_regions)
        self.n_channels_ = int(plan.config.sim.n_obs)  # columns of a recording
        self.n_outputs_ = int(plan.config.n_outputs)
        self.target_ndim_ = int(ndim)
        self.noise_seed_ = seed
        self.maps_ = {name: np.asarray(fixed["maps:" + name], dtype=float)
                      for name in _map_names(plan)}
        self.map_names_ = {name: [e.name.split(":", 1)[1] for e in plan.layout.entries
                                  if e.target == name and e.map_index is not None]
                           for name in self.maps_}
        self.derived_params_ = {name: np.asarray(fixed[name], dtype=float)
                                for name in derived_names(self._model_params())}
        self.restart_losses_ = np.asarray(res.loss[r:r + 1], float)
        self.restart_spread_ = plan.layout.unflatten(np.zeros(plan.layout.size))
        for name in _UNCERTAINTY_ATTRIBUTES:  # none from an earlier fit
            self.__dict__.pop(name, None)
        if batched_by is not None:
            self._batched_by = batched_by
        self.__dict__.pop("effective_connectivity_", None)
        if "connectivity" in plan.layout.names:
            p = expand(plan.config.fitted, jnp.asarray(res.theta[r], jnp.float32), fixed)
            self.effective_connectivity_ = np.asarray(p["connectivity"], dtype=float)
        return self

    def conf_int(self, alpha=0.05, method="normal", X=None, y=None):
        """Confidence intervals of the fitted parameters, as in statsmodels.

        ``method='normal'``: intervals ``best +- z(1 - alpha/2) * std`` from
        ``param_cov_`` (sandwich or bootstrap, see ``uncertainty``), clipped
        to the box. ``method='profile'``: profile intervals from refits with
        each parameter fixed (:func:`~._uncertainty.profile_intervals`; any
        ``uncertainty``, the fit's data ``X`` (and ``y``) needed), for a
        kinked loss or a parameter at a bound, where the normal intervals
        do not hold. A warning names every interval that reaches a bound.
        What they mean (and do not) is in :ref:`uncertainty`.

        Parameters
        ----------
        alpha : float, default=0.05
            ``1 - alpha`` is the coverage.
        method : {'normal', 'profile'}, default='normal'
            How the intervals are computed.
        X, y : array-like, optional
            The fit's data, for ``method='profile'``.

        Returns
        -------
        dict
            ``{name: (low, high)}``; for a per-region parameter ``low`` and
            ``high`` are lists. Profile intervals cover the parameters with
            one value.
        """
        check_is_fitted(self)
        if method == "profile":
            if X is None:
                raise ValueError("conf_int(method='profile') refits on the fit's data: pass "
                                 "them, conf_int(alpha, method='profile', X=X).")
            return profile_intervals(self, X, y, alpha)
        if method != "normal":
            raise ValueError(f"method must be 'normal' or 'profile', got {method!r}.")
        if not hasattr(self, "param_cov_"):
            by = getattr(self, "_batched_by", None)
            if by is not None:
                raise ValueError(
                    f"conf_int needs param_cov_, which {by} does not compute: it fits every "
                    "row once, without restarts or uncertainty (uncertainty="
                    f"{self.uncertainty!r} and n_restarts apply to fit()). For intervals, "
                    "refit this estimator with fit() on its own training recordings.")
            raise ValueError("conf_int needs a fit with uncertainty='sandwich' or 'bootstrap'; "
                             "this one was fitted with uncertainty=None.")
        return intervals(self._layout, self.best_params_, self.param_std_, alpha)

    def param_names(self, n_regions=None):
        """Names of the fitted coordinates, in ``best_params_``'s flat order.

        The order of :meth:`fit_rows`' columns and of ``param_cov_``:
        ``'k'``, ``'a[0]'``, ``'a[1]'``, ... for a per-region ``'a'``.

        Parameters
        ----------
        n_regions : int or None, default=None
            Regions of the data (default: the fit's, or the connectivity's).

        Returns
        -------
        list of str
        """
        self._validate_params()
        model = self._model()
        if n_regions is None:
            conn = connectivity(model.params)
            n_regions = getattr(self, "n_regions_", None) or (1 if conn is None else conn.shape[0])
        model = dataclasses.replace(model, values=resolve_values(model.values, None, 1.0,
                                                                 n_regions))
        return make_plan(model, "target", 1, n_regions).layout.flat_names

    def fit_rows(self, X):
        """Fit every recording of X on its own, all at once; the estimator is unchanged.

        The rows are independent problems stacked on one batch axis of the
        compiled evaluator and advanced by the backend together (scipy: one
        after another); row ``i``'s result equals
        ``clone(est).fit(X[i:i + 1])`` (same seed, same start), maps computed
        from recordings (``'fc_gradient'``) included: row ``i``'s come from
        ``X[i]`` alone. ``n_restarts`` and ``uncertainty`` apply to
        :meth:`fit` only. Each row has its own verdict (``converged``,
        ``flat``, ``stop_reason``); one warning names the rows whose loss
        never moved (their parameters are the start point) or whose fit
        was stopped early.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_time, n_regions) or (n_rows, n_time)
            Recordings, one subject (or session) per row.

        Returns
        -------
        RowFits
            Per-row parameters, losses, convergence and histories.
        """
        self._validate_params()
        model = self._model()
        X, _ = self._recordings(model, X, reset=False)
        # values and maps computed from recordings: each row's from that row only
        rows = [slice(r, r + 1) for r in range(X.shape[0])]
        model, maps, row_fixed = per_subset(model, X, rows)
        plan = make_plan(model, "target", X.shape[1], X.shape[2], target_shape=X.shape[1:],
                         maps=maps)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        x0 = start_point(model, plan)
        res = run_fit(plan, X[:, None], None, seed, np.tile(x0, (X.shape[0], 1)),
                      max_iter=self.max_iter, tol=self.tol,
                      n_iter_no_change=self.n_iter_no_change, callback=self.callback,
                      verbose=self.verbose, label=f"{type(self).__name__} rows [{self.backend}]",
                      row_fixed=row_fixed)
        bad = np.flatnonzero(~res.found)
        if bad.size:
            raise ValueError(
                f"Every evaluated candidate diverged (NaN/inf loss) for rows {bad.tolist()}: "
                "narrow the bounds, lower dt or the noise, or check those recordings' units "
                "and scale.")
        warn_rows(res, plan.objective.name)
        maps = {name: row_fixed.get("maps:" + name, np.repeat(m[None], X.shape[0], axis=0))
                for name, (m, _) in maps.items()}
        return RowFits(plan.layout.flat_names, np.asarray(res.theta, float),
                       np.asarray(res.loss, float), [plan.layout.unflatten(t) for t in res.theta],
                       np.asarray(res.converged), np.asarray(res.n_iter), res.history, maps,
                       res.flat, res.reason)

    # -- prediction --------------------------------------------------------
    def _fitted_plan(self, X, y=None):
        """Plan, theta and data for predict / score / simulate."""
        check_is_fitted(self)
        model = self._model()
        maps = fitted_maps(model, getattr(self, "maps_", None), getattr(self, "map_names_", None))
        if self.fit_mode_ == "target":
            plan, drive, target, _ = self._plan(model, X, None, reset=False, maps=maps)
            n_cols = getattr(self, "n_channels_", self.n_regions_)
            if target.shape[2] != n_cols:
                what = "channels" if n_cols != self.n_regions_ else "regions"
                raise ValueError(
                    f"X has {target.shape[2]} {what}; the model was fitted with "
                    f"{n_cols} {what}.")
        else:
            if y is None:
                X = as_magnitude(X, model.spec.input_unit, "X (drive)")
                X = validate_data(self, X, reset=False, allow_nd=True, dtype=np.float64)
                nd, n_out = self.target_ndim_, self.n_outputs_
                shape = (X.shape[0],) + ((X.shape[1], n_out) if nd == 3 else (n_out,)
                                         if nd == 2 else ())
                y = np.zeros(shape)
            plan, drive, target, _ = self._plan(model, X, y, reset=False, maps=maps)
            if drive.ndim == 3 and drive.shape[-1] not in (1, self.n_regions_):
                raise ValueError(
                    f"X has {drive.shape[-1]} inputs; the model was fitted with "
                    f"{self.n_regions_} regions.")
        if set(plan.layout.names) != set(self.best_params_):
            raise ValueError(
                f"bounds or per_region changed since fit ({sorted(self.best_params_)} -> "
                f"{list(plan.layout.names)}); refit.")
        theta = jnp.asarray(plan.layout.flatten(self.best_params_), jnp.float32)
        d = None if drive is None else jnp.asarray(drive, jnp.float32)
        return plan, theta, d, target

    def predict(self, X):
        """Model counterpart of the target for each row.

        Parameters
        ----------
        X : array-like
            As in :meth:`fit`: recordings for a ``fit(X)`` model (each row gets
            the simulated recording, of X's length), the drive otherwise.

        Returns
        -------
        ndarray of float64
            Same shape as the target (recordings, readouts or trajectories).
        """
        plan, theta, drive, target = self._fitted_plan(X)
        out = _predict_rows(plan, theta, drive, jax.random.key(self.noise_seed_))
        if self.fit_mode_ == "target":
            out = np.broadcast_to(out, target.shape).copy()
            return out[:, :, 0] if self.target_ndim_ == 2 else out
        return out.reshape(out.shape[0]) if self.target_ndim_ == 1 else out

    def score(self, X, y=None, sample_weight=None):
        """The objective as a score (greater is better), averaged over rows.

        Parameters
        ----------
        X : array-like
            Recordings (``fit(X)`` models, any length) or the drive.
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
        plan, theta, drive, target = self._fitted_plan(X, y)
        loss = float(plan.evaluator.objective_loss(
            theta, plan.fixed, drive, jnp.asarray(target, jnp.float32),
            jax.random.key(self.noise_seed_)))
        return float(plan.objective.score(loss)) if np.isfinite(loss) else -np.inf

    def moments(self, lags=()):
        """Analytic moments of the monitored variable, linearised at the stable fixed point.

        At the fitted parameters (the constructor values if unfitted): the
        stationary covariance, the FC (its correlation matrix) and lagged
        covariances ``E[x(t) x(t + tau)^T]``, from a Lyapunov solve (see
        :ref:`moments`). What ``fc_from='moments'`` compares with the data.
        Hopf's ``x`` is observed, not BOLD.

        Parameters
        ----------
        lags : tuple of float, default=()
            Lags ``tau`` in ms.

        Returns
        -------
        dict
            ``'cov'``, ``'fc'`` ``(n_regions, n_regions)`` and ``'lagged'``
            ``(len(lags), n_regions, n_regions)``.

        Raises
        ------
        ValueError
            Where the fixed point is unstable, naming the eigenvalue.
        """
        plan, theta = self._undriven_plan()
        return checked_moments(plan.config.sim, expand(plan.config.fitted, theta, plan.fixed),
                               tuple(float(t) for t in lags))

    def _undriven_plan(self, n_time=None):
        """Plan and theta of the undriven model: fitted (recordings as long as the
        training ones), or at the constructor values (``n_time``, default 2)."""
        if hasattr(self, "best_params_"):
            if self.fit_mode_ != "target":
                raise ValueError("moments are those of the undriven model: fit(X) models only.")
            n_cols = getattr(self, "n_channels_", self.n_regions_)
            plan, theta, _, _ = self._fitted_plan(np.zeros((1, self.n_features_in_, n_cols)))
            return plan, theta
        self._validate_params()
        model = self._model()
        if derived_names(model.values):
            raise ValueError(f"parameters {derived_names(model.values)} are computed from "
                             "recordings in fit: fit first, or give them as numbers.")
        conn = connectivity(model.params)
        n = 1 if conn is None else conn.shape[0]
        if model.sensors:
            n = len(model.params["lead_field"])
        return (make_plan(model, "target", n_time or 2, n, fitting=False),
                jnp.zeros(0, jnp.float32))

    def expected_spectrum(self, nperseg, sfreq=1.0, fmin=None, fmax=None):
        """The expected log10 Welch spectrum of a recording, linearised at the fixed point.

        At the fitted parameters (the constructor values if unfitted): the
        limit of the mean Welch spectrum (``nperseg`` samples a segment) of
        many recordings of the model's step linearised at its stable fixed
        point, sensors (with ``observation='eeg'`` or ``'meg'``, sensor noise
        included) or monitored regions. What ``fc_from='moments'`` compares
        with the data's spectra (:ref:`moments`).

        Returns
        -------
        freqs : ndarray of shape (n_freqs,)
            In the band ``[fmin, fmax]`` (Hz with ``sfreq``), DC dropped.
        log10_psd : ndarray of shape (n_freqs, n_columns)

        Raises
        ------
        ValueError
            Where the fixed point is unstable.
        """
        plan, theta = self._undriven_plan(int(nperseg))
        params = expand(plan.config.fitted, theta, plan.fixed)
        r = compiled_autocovariance(plan.config.sim, params, int(nperseg))
        f, lp = expected_log_psd(r, int(nperseg), sfreq, fmin, fmax)
        lp = np.asarray(lp, dtype=float)
        if not np.all(np.isfinite(lp)):
            raise ValueError("the expected spectrum is not finite: the linearised model's fixed "
                             "point is unstable (see moments() for the eigenvalue).")
        return np.asarray(f, dtype=float), lp

    def simulate(self, n_samples=1, X=None, *, n_time=None, random_state=None):
        """Draw recordings from the model, like ``GaussianMixture.sample``.

        A fitted estimator draws at its fitted parameters; an unfitted one at
        its constructor values (``bounds`` ignored), which is how
        :func:`~brainestimators.datasets.make_recordings` makes ground truth.

        Parameters
        ----------
        n_samples : int, default=1
            Number of independent noise realisations.
        X : array-like, optional
            For a ``fit(X)`` model, recordings whose shape (length and
            regions) the draws take. For a driven model, the drive (required).
        n_time : int, optional
            Length of the draws instead of X's (default: the fit's length).
        random_state : int, RandomState or None
            Seeds the noise of the draws.

        Returns
        -------
        ndarray of float64
            ``(n_samples, n_time, n_regions)`` for a ``fit(X)`` model, else
            ``(n_samples,) + predict(X).shape``.
        """
        if not isinstance(n_samples, numbers.Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        if n_time is not None and (not isinstance(n_time, numbers.Integral) or n_time < 1):
            raise ValueError(f"n_time must be a positive integer, got {n_time!r}.")
        rng = check_random_state(random_state)
        keys = jax.random.split(jax.random.key(int(rng.randint(np.iinfo(np.int32).max))),
                                n_samples)
        fitted = hasattr(self, "best_params_")
        if not fitted:
            self._validate_params()
            return draw_unfitted(self._model(), keys, X, n_time)
        if X is None:
            if self.fit_mode_ != "target":
                raise ValueError("A driven model needs the drive X to simulate.")
            X = np.zeros((1, n_time or self.n_features_in_,
                           getattr(self, "n_channels_", self.n_regions_)))
        elif n_time is not None and self.fit_mode_ == "target":
            X = np.zeros((1, n_time, np.asarray(X).shape[-1] if np.ndim(X) == 3 else 1))
        plan, theta, drive, _ = self._fitted_plan(X)
        out = _sample_rows(plan, theta, drive, keys)
        if self.fit_mode_ != "target" and self.target_ndim_ == 1:
            out = out.reshape(out.shape[:2])
        return out


def _map_names(plan):
    return sorted({e.target for e in plan.layout.entries if e.map_index is not None})
