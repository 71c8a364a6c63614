"""Figures for fits and cross-validation (matplotlib).

Each function draws on a given ``ax`` (or a new figure) and returns the
matplotlib object it drew on, so figures compose and save as usual.
"""

import numpy as np

from ._metrics import functional_connectivity, matrix_correlation

__all__ = ["plot_loss_curves", "plot_fc_comparison", "plot_cv_scores", "plot_profile"]


def _axes(ax, ncols=1, figsize=None):
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax
    _, ax = plt.subplots(1, ncols, figsize=figsize or (4.5 * ncols, 3.6))
    return ax


def plot_loss_curves(histories, ax=None, log=True, best_so_far=True):
    """Loss against evaluation for one or several fits (e.g. one per backend).

    Parameters
    ----------
    histories : dict of str to estimator or sequence of float
        ``{label: fitted estimator}`` (its ``history_`` is used) or
        ``{label: losses}``.
    ax : matplotlib Axes, optional
        Where to draw; a new figure otherwise.
    log : bool, default=True
        Logarithmic loss axis (non-positive losses are left out).
    best_so_far : bool, default=True
        Draw the running minimum as a line over the raw losses.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from brainestimators.plotting import plot_loss_curves
    >>> ax = plot_loss_curves({"grad": [1.0, 0.5, 0.2], "nevergrad": [0.9, 0.8, 0.1, 0.3]})
    """
    ax = _axes(ax)
    for label, h in histories.items():
        h = np.asarray(getattr(h, "history_", h), dtype=float)
        x = np.arange(1, len(h) + 1)
        finite = np.isfinite(h) & ((h > 0) if log else True)
        pts = ax.plot(x[finite], h[finite], ".", ms=3, alpha=0.5)[0]
        if best_so_far and finite.any():
            best = np.minimum.accumulate(np.where(np.isfinite(h), h, np.inf))
            ok = np.isfinite(best) & ((best > 0) if log else True)
            ax.plot(x[ok], best[ok], "-", color=pts.get_color(),
                    label=f"{label} ({len(h)} evals)")
        else:
            pts.set_label(label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("evaluation")
    ax.set_ylabel("loss")
    ax.legend(fontsize=8)
    return ax


def _fc(m):
    m = np.asarray(m, dtype=float)
    if m.ndim == 2 and m.shape[0] == m.shape[1]:
        return m
    if m.ndim == 2:
        return np.asarray(functional_connectivity(m), dtype=float)
    raise ValueError(f"Expected an FC matrix or a (n_time, n_regions) recording, got {m.shape}.")


def plot_fc_comparison(empirical, simulated, ax=None, vmin=-0.2, vmax=0.8, cmap="viridis"):
    """Empirical and simulated functional connectivity side by side.

    Parameters
    ----------
    empirical, simulated : array
        FC matrices ``(n_regions, n_regions)`` or recordings
        ``(n_time, n_regions)`` (their FC is computed).
    ax : sequence of two Axes, optional
        Where to draw; a new figure otherwise.
    vmin, vmax : float
        Colour range (the diagonal is blanked).
    cmap : str, default='viridis'
        Colour map.

    Returns
    -------
    ndarray of Axes
        The two axes; the title gives the correlation of the upper triangles.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from brainestimators.plotting import plot_fc_comparison
    >>> X = np.random.default_rng(0).normal(size=(200, 5))
    >>> axes = plot_fc_comparison(X, X + 0.1)
    """
    A, B = _fc(empirical), _fc(simulated)
    if A.shape != B.shape:
        raise ValueError(f"FC shapes differ: {A.shape} vs {B.shape}.")
    axes = _axes(ax, ncols=2, figsize=(9, 3.8))
    r = float(matrix_correlation(A, B))
    for a, M, title in ((axes[0], A, "empirical FC"), (axes[1], B, f"simulated FC (r = {r:.2f})")):
        M = M.copy()
        np.fill_diagonal(M, np.nan)
        im = a.imshow(M, vmin=vmin, vmax=vmax, cmap=cmap)
        a.set_title(title)
        a.set_xlabel("region")
    axes[0].set_ylabel("region")
    axes[1].figure.colorbar(im, ax=list(axes), shrink=0.8)
    return np.asarray(axes)


def plot_cv_scores(scores, sc_baseline=None, ceiling=None, labels=None, ax=None,
                   ylabel="held-out FC correlation"):
    """Cross-validation scores per fold against the SC baseline and the ceiling.

    Parameters
    ----------
    scores : array of shape (n_folds,)
        The model's held-out scores.
    sc_baseline, ceiling : array of shape (n_folds,) or float, optional
        The same score for the structural connectivity itself and for the
        training subjects' mean FC (the most a group model can reach).
    labels : sequence of str, optional
        Fold names (e.g. held-out subjects).
    ax : matplotlib Axes, optional
        Where to draw; a new figure otherwise.
    ylabel : str
        Score name.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from brainestimators.plotting import plot_cv_scores
    >>> ax = plot_cv_scores([0.6, 0.7], sc_baseline=[0.3, 0.3], ceiling=[0.8, 0.85])
    """
    ax = _axes(ax)
    scores = np.asarray(scores, dtype=float)
    x = np.arange(len(scores))
    for values, style, name in ((ceiling, "^--", "ceiling (mean training FC)"),
                                (scores, "o-", f"model (mean {scores.mean():.2f})"),
                                (sc_baseline, "s:", "structural connectivity")):
        if values is None:
            continue
        v = np.broadcast_to(np.asarray(values, dtype=float), scores.shape)
        ax.plot(x, v, style, label=name)
    ax.set_xticks(x)
    ax.set_xticklabels(labels if labels is not None else [str(i) for i in x], rotation=45,
                       fontsize=8)
    ax.set_xlabel("held-out fold")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return ax


def plot_profile(profile, ax=None, estimator=None, alpha=0.05, truth=None, interval=None,
                 scale=1.0, unit=None):
    """A loss profile (:func:`~brainestimators.profile_loss`): loss against the fixed value.

    A flat stretch means the data cannot tell those values apart (the other
    parameters compensate); a sharp minimum means the parameter is
    identified.

    Parameters
    ----------
    profile : Bunch
        What :func:`~brainestimators.profile_loss` returned.
    ax : matplotlib Axes, optional
        Where to draw; a new figure otherwise.
    estimator : fitted regressor, optional
        Marks its estimate and, if it was fitted with ``uncertainty``, its
        ``1 - alpha`` interval (shaded).
    alpha : float, default=0.05
        Level of the shaded interval.
    truth : float, optional
        A known true value (synthetic data), drawn as a dashed line.
    interval : (float, float), optional
        An interval to shade instead of the estimator's normal one, e.g. its
        profile interval (``estimator.conf_int(alpha, method='profile', X=X)``).
    scale : float, default=1.0
        Factor from the parameter's units to the axis' (``1e3``: per ms to
        per s), so the axis reads as a printed table does.
    unit : str, optional
        The axis' unit, in the x label.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn.utils import Bunch
    >>> from brainestimators.plotting import plot_profile
    >>> prof = Bunch(name="a", grid=np.linspace(0, 1, 5), loss=np.array([4, 1, 0, 1, 4.0]))
    >>> ax = plot_profile(prof, truth=0.5)
    """
    ax = _axes(ax)
    values, loss = np.asarray(profile.grid, float), np.asarray(profile.loss, float)
    ok = np.isfinite(loss)
    ax.plot(values[ok] * scale, loss[ok], "o-", label="loss profile")
    name = profile.name
    if interval is not None:
        low, high = interval
        ax.axvspan(low * scale, high * scale, color="C1", alpha=0.2,
                   label=f"{1 - alpha:.0%} interval (profile)")
    if estimator is not None:
        best = estimator.best_params_[name]
        if interval is None and hasattr(estimator, "param_cov_"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # clipped at a bound: drawn so
                low, high = estimator.conf_int(alpha)[name]
            if np.isfinite(low) and np.isfinite(high):
                ax.axvspan(low * scale, high * scale, color="C1", alpha=0.2,
                           label=f"{1 - alpha:.0%} interval ({estimator.uncertainty})")
        ax.axvline(best * scale, color="C1", label=f"estimate {best * scale:.4g}")
    if truth is not None:
        ax.axvline(truth * scale, color="k", ls="--", lw=1, label=f"truth {truth * scale:.4g}")
    ax.ticklabel_format(axis="x", useOffset=False)  # values as printed, not offsets
    ax.set_xlabel(name if unit is None else f"{name} ({unit})")
    ax.set_ylabel("loss")
    ax.legend(fontsize=8)
    return ax
