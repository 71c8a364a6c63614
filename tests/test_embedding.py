"""Generative embedding: one batched fit per subject, parameters as features."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import brainestimators as be
from brainestimators.datasets import make_recordings
from brainestimators.preprocessing import FunctionalConnectivity


def _two_groups(n_per_group=8, n_time=150, seed=0):
    """Two groups generated with different bifurcation parameters (known labels)."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for label, a_mean in enumerate([0.4, 0.7]):
        for _ in range(n_per_group):
            truth = be.HopfRegressor(a=a_mean + 0.05 * rng.normal(), w=0.3,
                                     initial_state={"x": 0.5}, noise_sigma=0.05)
            X.append(make_recordings(truth, 1, n_time, 3, random_state=int(rng.integers(1 << 30)))[0])
            y.append(label)
    return np.stack(X), np.array(y)


def _embedding(backend="nevergrad", **kw):
    est = be.HopfRegressor(w=0.3, initial_state={"x": 0.5}, noise_sigma=0.05,
                           bounds={"a": (0.1, 1.2)}, objective="timeseries_rmse",
                           backend=backend, random_state=0, **kw)
    return be.GenerativeEmbedding(est)


@pytest.mark.parametrize("backend,kw", [("grad", dict(max_iter=40, optimizer=be.Optax("adam", 0.1))),
                                        ("nevergrad", dict(max_iter=25)),
                                        ("scipy", dict(max_iter=1, optimizer="Nelder-Mead"))])
def test_each_row_is_fitted_on_its_own(backend, kw):
    X = np.concatenate([
        make_recordings(be.HopfRegressor(a=a, w=0.3, initial_state={"x": 0.5}), 2, 120, 2)
        for a in (0.3, 0.9)])
    F = _embedding(backend, **kw).set_params(estimator__noise_sigma=0.0).fit_transform(X)
    np.testing.assert_allclose(F[:, 0], [0.3, 0.3, 0.9, 0.9], rtol=0.03)


def test_embedding_classifies_groups_far_above_chance_and_beats_raw_fc():
    X, y = _two_groups()
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    embed = make_pipeline(_embedding(max_iter=12), StandardScaler(), LogisticRegression())
    acc = cross_val_score(embed, X, y, cv=cv).mean()
    raw = make_pipeline(FunctionalConnectivity(), StandardScaler(), LogisticRegression())
    acc_fc = cross_val_score(raw, X, y, cv=cv).mean()
    assert acc >= 0.85, acc  # chance is 0.5
    assert acc >= acc_fc, (acc, acc_fc)


def test_feature_names_and_loss_column():
    X = make_recordings(be.HopfRegressor(a=0.5, w=0.3, initial_state={"x": 0.5}), 2, 60, 2)
    emb = be.GenerativeEmbedding(_embedding(max_iter=2).estimator, include_loss=True)
    F = emb.fit_transform(X)
    assert F.shape == (2, 2) and list(emb.get_feature_names_out()) == ["a", "loss"]


def test_rejects_non_brainestimators_estimators():
    with pytest.raises(TypeError, match="'estimator' parameter of GenerativeEmbedding must be"):
        be.GenerativeEmbedding(LogisticRegression()).fit(np.zeros((2, 10, 2)))
