"""Plots render to PNG."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import brainestimators as be  # noqa: E402
from brainestimators.plotting import plot_cv_scores, plot_fc_comparison, plot_loss_curves  # noqa: E402

from _data import hopf_recordings  # noqa: E402


def _png(fig, path):
    fig.savefig(path)
    assert path.stat().st_size > 5000
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    plt.close(fig)


def test_loss_curves_per_backend(tmp_path):
    X = hopf_recordings(n_samples=1, n_time=60, n_regions=1)
    fits = {b: be.HopfRegressor(w=0.3, initial_state={"x": 0.5}, bounds={"a": (0.2, 1.5)},
                                backend=b, max_iter=3, random_state=0).fit(X)
            for b in ("grad", "nevergrad", "scipy")}
    ax = plot_loss_curves(fits)
    assert len(ax.get_legend().get_texts()) == 3
    _png(ax.figure, tmp_path / "loss.png")


def test_fc_side_by_side(tmp_path):
    X = np.random.default_rng(0).normal(size=(300, 6))
    axes = plot_fc_comparison(X, X + 0.3 * np.random.default_rng(1).normal(size=X.shape))
    assert "r = " in axes[1].get_title()
    _png(axes[0].figure, tmp_path / "fc.png")
    with pytest.raises(ValueError, match="FC shapes differ"):
        plot_fc_comparison(np.eye(3), np.eye(4))


def test_cv_scores_against_baseline_and_ceiling(tmp_path):
    ax = plot_cv_scores([0.6, 0.65, 0.7], sc_baseline=0.3, ceiling=[0.8, 0.82, 0.85],
                        labels=["s1", "s2", "s3"])
    assert len(ax.lines) == 3
    _png(ax.figure, tmp_path / "cv.png")
