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
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._border import fitted_setup, model_of, recordings, setup, store_fit, undriven_setup
from ._derived import draw_unfitted, per_subset
from ._fit import RowFits, best_row, restarts, run_fit, warn_rows
from ._expected_spectra import expected_log_psd
from ._layout import expand
from ._maps import resolve_values
from ._moments import checked_moments
from ._params import common_constraints
from ._plan import make_plan
from ._predict import predict as _predict_rows
from ._predict import sample as _sample_rows
from ._recipes import for_recordings as _for_recordings
from ._profiles import profile_intervals
from ._sensor_moments import compiled_autocovariance
from ._uncertainty import estimate, intervals

__all__ = ["BaseNeuralMassRegressor"]

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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.three_d_array = True
        tags.target_tags.required = False
        tags.regressor_tags.poor_score = True
        return tags

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
        model = model_of(self)
        previous = getattr(self, "best_params_", None) if self.warm_start else None
        plan, drive, target, ndim = setup(self, model, X, y, reset=True, previous=previous,
                                          label=f"{type(self).__name__} [{self.backend}]")
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
        starts, seeds = restarts(np.asarray(plan.x0), plan.layout, self.n_restarts, plan.seed)
        R = len(starts)
        res = run_fit(plan, np.broadcast_to(target[None], (R,) + target.shape),
                      None if drive is None else np.broadcast_to(drive[None], (R,) + drive.shape),
                      starts, seeds=seeds)
        i = best_row(res, plan.objective.name)
        store_fit(self, plan, res, i, ndim)
        self.restart_losses_ = np.asarray(res.loss, float)
        self.restart_spread_ = plan.layout.unflatten(np.std(res.theta[res.found], axis=0))
        if self.uncertainty is not None:
            self.__dict__.update(estimate(plan, res.theta[i], target, drive, self.uncertainty,
                                          self.n_replicates))
            self._layout = plan.layout
        return self

    def conf_int(self, alpha=0.05, method="normal", X=None, y=None):
        """Confidence intervals of the fitted parameters, as in statsmodels.

        ``method='normal'``: intervals ``best +- z(1 - alpha/2) * std`` from
        ``param_cov_`` (sandwich or bootstrap, see ``uncertainty``), clipped
        to the box. ``method='profile'``: profile intervals from refits with
        each parameter fixed (:func:`~._profiles.profile_intervals`; any
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
        model = model_of(self)
        if n_regions is None:
            conn = model.conn
            n_regions = getattr(self, "n_regions_", None) or (1 if conn is None else conn.shape[0])
        model = dataclasses.replace(model, values=resolve_values(model.values, None, 1.0,
                                                                 n_regions))
        return make_plan(model, "target", 1, n_regions, seed=0).layout.flat_names

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
        model = model_of(self)
        X, _ = recordings(self, model, X, reset=False)
        # values and maps computed from recordings: each row's from that row only
        rows = [slice(r, r + 1) for r in range(X.shape[0])]
        model, maps, row_fixed = per_subset(model, X, rows)
        plan = make_plan(model, "target", X.shape[1], X.shape[2], target_shape=X.shape[1:],
                         maps=maps, label=f"{type(self).__name__} rows [{self.backend}]")
        res = run_fit(plan, X[:, None], None, row_fixed=row_fixed)
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
        plan, theta, drive, target = fitted_setup(self, X)
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
        plan, theta, drive, target = fitted_setup(self, X, y)
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
        plan, theta = undriven_setup(self)
        return checked_moments(plan.config.sim, expand(plan.config.fitted, theta, plan.fixed),
                               tuple(float(t) for t in lags))

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
        plan, theta = undriven_setup(self, int(nperseg))
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
            return draw_unfitted(model_of(self, fitting=False), keys, X, n_time)
        if X is None:
            if self.fit_mode_ != "target":
                raise ValueError("A driven model needs the drive X to simulate.")
            X = np.zeros((1, n_time or self.n_features_in_,
                           getattr(self, "n_channels_", self.n_regions_)))
        elif n_time is not None and self.fit_mode_ == "target":
            X = np.zeros((1, n_time, np.asarray(X).shape[-1] if np.ndim(X) == 3 else 1))
        plan, theta, drive, _ = fitted_setup(self, X)
        out = _sample_rows(plan, theta, drive, keys)
        if self.fit_mode_ != "target" and self.target_ndim_ == 1:
            out = out.reshape(out.shape[:2])
        return out


def _map_names(plan):
    return sorted({e.target for e in plan.layout.entries if e.map_index is not None})
