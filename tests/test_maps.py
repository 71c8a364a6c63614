"""Map-based heterogeneity: the layout, built-in maps, no leakage, values from recordings, nulls."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import LeaveOneOut

import brainestimators as be
from brainestimators._border import model_of
from brainestimators._plan import make_plan
from brainestimators import _maps
from brainestimators._layout import expand
from brainestimators.datasets import make_hopf_cohort, peak_frequencies

from _data import whole_brain_hopf


@pytest.fixture(scope="module")
def cohort():
    return make_hopf_cohort(n_subjects=3, n_regions=6, n_time=120, random_state=0)


def test_map_layout_names_boxes_and_expansion(cohort):
    d = cohort
    m = np.stack([np.linspace(-1, 1, 6), np.linspace(0, 2, 6)])
    est = whole_brain_hopf(d, per_region={"a": m}, bounds={"k": (0.0, 8e-3), "a": (-1e-4, 5e-5),
                                               "a:map1": (-1e-6, 2e-6)})
    assert est.param_names() == ["k", "a", "a:map0", "a:map1"]
    plan = make_plan(model_of(est), "target", 120, 6)
    width = 1.5e-4  # the base's box, over max |map0| = 1
    assert np.allclose(plan.layout.lo, (0.0, -1e-4, -width, -1e-6))
    assert np.allclose(plan.layout.hi, (8e-3, 5e-5, width, 2e-6))
    theta = np.array([1e-3, -2e-5, 3e-6, -4e-7])
    a = np.asarray(expand(plan.layout.entries, theta, plan.fixed)["a"])
    assert np.allclose(a, -2e-5 + 3e-6 * m[0] - 4e-7 * m[1], atol=1e-10)


def test_builtin_maps_are_centred_unit_and_named(cohort):
    d = cohort
    s = _maps.sc_strength(d.sc)
    assert np.isclose(np.max(np.abs(s)), 1) and np.isclose(s.mean(), 0)
    raw = d.sc.sum(axis=1)
    assert np.isclose(np.corrcoef(s, raw)[0, 1], 1)
    g = _maps.fc_gradient(d.bold)
    assert g.shape == (6,) and np.isclose(np.max(g), 1) and np.isclose(g.mean(), 0)
    assert np.allclose(g, _maps.fc_gradient(d.bold))  # deterministic, sign fixed
    f = _maps.fc_strength(d.bold)
    assert f.shape == (6,) and np.isclose(np.max(np.abs(f)), 1) and np.isclose(f.mean(), 0)
    fc = np.mean([np.corrcoef(x.T) for x in d.bold], axis=0)  # each region's mean FC
    raw = (fc.sum(axis=1) - 1.0) / 5
    assert np.allclose(f, (raw - raw.mean()) / np.max(np.abs(raw - raw.mean())), atol=1e-6)
    est = whole_brain_hopf(d, per_region={"a": ["sc_strength", "fc_gradient", np.arange(6.0)]})
    assert est.param_names() == ["k", "a", "a:sc_strength", "a:fc_gradient", "a:map2"]


def test_fc_gradient_is_the_leading_gradient_of_a_two_community_fc():
    # two blocks of regions, strongly correlated within: the gradient separates them
    rng = np.random.default_rng(0)
    t = 400
    common = rng.normal(size=(t, 2))
    X = np.concatenate([common[:, :1] + 0.3 * rng.normal(size=(t, 4)),
                        common[:, 1:] + 0.3 * rng.normal(size=(t, 4))], axis=1)[None]
    g = _maps.fc_gradient(X)
    assert np.all(np.sign(g[:4]) == np.sign(g[0])) and np.all(np.sign(g[4:]) == -np.sign(g[0]))


def test_data_maps_come_from_the_training_rows_only(cohort, monkeypatch):
    d = cohort
    X = d.bold
    seen = []
    real = _maps.fc_gradient
    monkeypatch.setitem(_maps.MAPS, "fc_gradient", _maps.BuiltinMap(
        "fc_gradient", lambda conn, Z: seen.append(np.array(Z)) or real(Z), "spy", True))
    est = whole_brain_hopf(d, per_region={"a": ["fc_gradient"]}).fit(X[:2])
    assert len(seen) == 1 and np.array_equal(seen[0], X[:2])
    assert np.allclose(est.maps_["a"][0], real(X[:2]))
    before = est.predict(X[2:])
    est.score(X[2:]), est.simulate(2, X=X[2:]), est.predict(X[2:] * 3 + 1)
    assert len(seen) == 1  # held-out rows never computed a map
    # the prediction does not depend on what the held-out recording holds
    assert np.array_equal(before, est.predict(np.random.default_rng(1).normal(size=X[2:].shape)))


def test_each_fold_maps_and_values_use_its_own_training_rows(cohort):
    d = cohort
    X = d.bold
    est = whole_brain_hopf(d, w="peak_frequency", per_region={"a": ["fc_gradient", "sc_strength"]})
    fits, splits = be.fit_folds(est, X, LeaveOneOut())
    for f, (train, test) in zip(fits, splits):
        assert np.allclose(f.maps_["a"][0], _maps.fc_gradient(X[train]), atol=1e-6)
        assert np.allclose(f.derived_params_["w"],
                           2 * np.pi * peak_frequencies(X[train], d.tr) / 1000, rtol=1e-6)
        one = clone(est).fit(X[train])
        assert np.isclose(f.best_loss_, one.best_loss_, rtol=1e-4)  # float32, batched vs alone


def test_fit_rows_computes_each_rows_maps_from_that_row(cohort):
    d = cohort
    X = d.bold
    est = whole_brain_hopf(d, per_region={"a": ["fc_gradient"]})
    rows = est.fit_rows(X)
    for i in range(3):
        assert np.allclose(rows.maps["a"][i, 0], _maps.fc_gradient(X[i:i + 1]), atol=1e-6)
    one = clone(est).fit(X[1:2])
    assert np.isclose(rows.loss[1], one.best_loss_, rtol=1e-5)


def test_peak_frequency_is_computed_in_fit(cohort):
    d = cohort
    X = d.bold
    est = whole_brain_hopf(d, w="peak_frequency").fit(X[:2])
    w = 2 * np.pi * peak_frequencies(X[:2], d.tr) / 1000
    assert np.allclose(est.derived_params_["w"], w, rtol=1e-6)
    ref = whole_brain_hopf(d, w=w).fit(X[:2])
    assert np.isclose(ref.best_loss_, est.best_loss_) and np.isclose(ref.score(X[2:]),
                                                                     est.score(X[2:]))
    with pytest.raises(ValueError, match="fit the estimator first"):
        whole_brain_hopf(d, w="peak_frequency").simulate(1, n_time=50)


def test_map_errors_say_what_is_expected(cohort):
    d = cohort
    with pytest.raises(ValueError, match=r"per_region\['a'\]'s map must be one of .* got 'myelin'"):
        whole_brain_hopf(d, per_region={"a": ["myelin"]}).fit(d.bold)
    with pytest.raises(ValueError, match=r"\(n_maps, 6\)"):
        whole_brain_hopf(d, per_region={"a": np.ones(5)}).fit(d.bold)
    with pytest.raises(ValueError, match="need fit\\(X\\) with recordings"):
        whole_brain_hopf(d, per_region={"a": ["fc_gradient"]}).fit(np.ones((3, 2)),
                                                                   np.ones((3, 6)))


def test_surrogates_keep_what_they_promise():
    rng = np.random.default_rng(0)
    W = rng.random((12, 12))
    m = rng.normal(size=12)
    perm = be.surrogate_maps(m, 5, "permute", random_state=0)
    assert all(np.allclose(np.sort(p), np.sort(m)) for p in perm)
    mor = be.surrogate_maps(m, 50, "moran", W, random_state=0)
    Ws = (W + W.T) / 2
    np.fill_diagonal(Ws, 0)

    def moran_numerator(x):
        c = x - x.mean()
        return c @ Ws @ c

    assert np.allclose(mor.mean(axis=1), m.mean())
    assert np.allclose(np.linalg.norm(mor - m.mean(), axis=1), np.linalg.norm(m - m.mean()))
    # Moran's I numerator is a sum over the spectrum of squared coefficients, kept by sign flips
    assert np.allclose([moran_numerator(x) for x in mor], moran_numerator(m))
    assert not np.allclose(mor[0], m) and len({tuple(np.round(x, 8)) for x in mor}) > 40
    with pytest.raises(ValueError, match="needs the graph"):
        be.surrogate_maps(m, 2, "moran")


def test_null_rows_equal_single_fits_with_the_surrogate(cohort):
    d = cohort
    X = d.bold
    est = whole_brain_hopf(d, per_region={"a": ["sc_strength", "fc_gradient"]})
    test = be.map_null_test(est, X[:2], n_null=3, maps=["a:fc_gradient"], X_test=X[2:],
                            scoring="fc_corr", random_state=0, batch_size=2)
    assert test.null_losses.shape == (3,) and test.null_test_scores.shape == (3,)
    expected = (1 + np.sum(test.null_losses <= test.loss)) / 4
    assert np.isclose(test.p_value, expected)
    real = clone(est).fit(X[:2])
    assert np.isclose(test.loss, real.best_loss_, rtol=1e-5)
    # on 6 regions few graph eigenvectors carry the map: some sign flips give it back
    null = next(e for e in test.null_estimators
                if not np.allclose(e.maps_["a"][1], real.maps_["a"][1]))
    assert all(np.allclose(e.maps_["a"][0], real.maps_["a"][0])  # the untested map is kept
               for e in test.null_estimators)
    single = clone(est).set_params(per_region={"a": null.maps_["a"]}).fit(X[:2])
    assert np.isclose(single.best_loss_, null.best_loss_, rtol=1e-4)
    # batching does not change the rows
    again = be.map_null_test(est, X[:2], n_null=3, maps=["a:fc_gradient"], random_state=0)
    assert np.allclose(again.null_losses, test.null_losses, rtol=1e-5)
