"""The main job's report: its tables and figures.

The numbers come from :mod:`._main` (and the cohorts' loaders); this module
only prints and draws them.
"""

import numpy as np

__all__ = ["print_table", "print_uncertainty", "save_profile_figure", "save_figure",
           "print_comparison", "save_comparison_figure", "SCALE"]

#: Printed units of the Hopf parameters: per ms -> per s.
SCALE = {"k": ("G (1/s)", 1e3), "a": ("a (1/s)", 1e3)}


def print_table(rows, label):
    cols = ["G (1/s)", "a (1/s)", "fc_corr", "fcd_ks", "sc_baseline", "ceiling", "seconds"]
    print(f"\nLeave-one-subject-out on {label} (G, a: mean over regions)")
    print(f"{'held out':<10}" + "".join(f"{c:>13}" for c in cols))
    for r in rows:
        print(f"{r['subject']:<10}" + "".join(f"{r[c]:>13.4f}" for c in cols))
    print(f"{'mean':<10}" + "".join(f"{np.mean([r[c] for r in rows]):>13.4f}" for c in cols))


def print_uncertainty(est, data, profile_ci):
    """Estimate, 95 % sandwich and profile intervals per parameter (and the truth of
    synthetic data); the sloppiest direction of the loss."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        ci = est.conf_int(0.05)
    truth = data.get("params", {})
    print(f"\nGroup fit of all subjects (global k and a, fc_corr, uncertainty='sandwich'), "
          f"converged: {est.converged_} ({est.stop_reason_} after {est.n_iter_} steps)")
    print(f"{'':<10}" + ("" if not truth else f"{'truth':>10}") + f"{'estimate':>10}"
          f"{'95 % interval (sandwich)':>26}{'95 % interval (profile)':>26}")
    for name, (label, scale) in SCALE.items():
        low, high = ci[name]
        plow, phigh = profile_ci["intervals"][name]
        print(f"{label:<10}" + ("" if not truth else f"{truth[name] * scale:>10.4g}")
              + f"{est.best_params_[name] * scale:>10.4g}"
              + f"{f'[{low * scale:.4g}, {high * scale:.4g}]':>26}"
              + f"{f'[{plow * scale:.4g}, {phigh * scale:.4g}]':>26}")
    for w in caught:
        print(f"  note (sandwich): {w.message}")
    for note in profile_ci["notes"]:
        print(f"  note (profile): {note}")
    ident = est.identifiability_
    sloppy = " ".join(f"{v:+.2f} {SCALE[n][0].split()[0]}" for n, v in ident["sloppiest"].items())
    big = [np.sign(v) for v in ident["sloppiest"].values() if abs(v) > 0.2]
    print(f"sloppiest direction (box-scaled): {sloppy}"
          + ((" (G and a move together)" if big[0] == big[1] else " (G and a trade off)")
             if len(big) == 2 else "")
          + f"; condition number {ident['condition_number']:.3g}; "
          + ("flagged: " + ident["reason"] if ident["flagged"] else "identified"))


def profile_panel(ax, est, profile, data, profile_ci):
    from .plotting import plot_profile

    # in 1/s, as the printed table
    plot_profile(profile, ax=ax, estimator=est, truth=data.get("params", {}).get("a"),
                 interval=profile_ci["intervals"]["a"], scale=SCALE["a"][1], unit="1/s")
    ax.set_ylabel("1 - FC corr (k refitted)")
    ax.set_title("group fit: profile of a")


def save_profile_figure(est, profile, data, path, profile_ci):
    """The group fit's profile of the bifurcation parameter, with its profile interval."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    profile_panel(ax, est, profile, data, profile_ci)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def save_figure(rows, data, path):
    """Held-out FC of the first fold, loss curves, and CV scores vs the references."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plotting import plot_cv_scores, plot_fc_comparison, plot_loss_curves

    fig = plt.figure(figsize=(15, 7.5))
    grid = fig.add_gridspec(2, 4)
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
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def print_comparison(results, refs, label):
    """Per fold: each model's held-out FC correlation and FCD KS, then the references."""
    names = list(results)
    print(f"\nLeave-one-subject-out on {label}: held-out FC correlation / FCD KS distance")
    head = f"{'held out':<10}" + "".join(f"{n + ' FC':>13}{n + ' KS':>13}" for n in names)
    head += f"{'SC FC':>9}{'ceiling':>9}{'FCD ref':>9}"
    print(head)
    for j, ref in enumerate(refs):
        line = f"{ref['subject']:<10}"
        for n in names:
            r = results[n]["folds"][j]
            line += f"{r['fc_corr']:>13.3f}{r['fcd_ks']:>13.3f}"
        line += f"{ref['sc_baseline']:>9.3f}{ref['ceiling']:>9.3f}{ref['fcd_reference']:>9.3f}"
        print(line)
    line = f"{'mean':<10}"
    for n in names:
        rows = results[n]["folds"]
        line += (f"{np.mean([r['fc_corr'] for r in rows]):>13.3f}"
                 f"{np.mean([r['fcd_ks'] for r in rows]):>13.3f}")
    line += "".join(f"{np.mean([r[k] for r in refs]):>9.3f}"
                    for k in ("sc_baseline", "ceiling", "fcd_reference"))
    print(line)
    print("parameters: " + ", ".join(
        f"{n} {results[n]['folds'][0]['n_params']}" for n in names)
        + "; fit time (all folds): " + ", ".join(
        f"{n} {results[n]['seconds']:.0f} s" for n in names))


def save_comparison_figure(results, refs, path):
    """Held-out FC correlation and FCD KS per fold and model, with the references."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    x = np.arange(len(refs))
    width = 0.8 / max(len(results), 1)
    for j, (name, res) in enumerate(results.items()):
        for ax, key in zip(axes, ("fc_corr", "fcd_ks")):
            ax.bar(x + (j - (len(results) - 1) / 2) * width,
                   [r[key] for r in res["folds"]], width,
                   label=f"{name} ({res['folds'][0]['n_params']} parameters)")
    axes[0].plot(x, [r["ceiling"] for r in refs], "k_", ms=18, mew=2, label="ceiling")
    axes[0].plot(x, [r["sc_baseline"] for r in refs], "k.", label="SC alone")
    axes[1].plot(x, [r["fcd_reference"] for r in refs], "k_", ms=18, mew=2,
                 label="training subjects' FCD")
    axes[0].set_ylabel("held-out FC correlation (higher is better)")
    axes[1].set_ylabel("held-out FCD KS distance (lower is better)")
    for ax in axes:
        ax.set_xticks(x, [r["subject"] for r in refs], rotation=45)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


