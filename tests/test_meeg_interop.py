"""MNE interop: Raw / Epochs -> X, Forward + labels -> region lead field."""

import numpy as np
import pytest

mne = pytest.importorskip("mne")

from brainestimators import HopfRegressor  # noqa: E402
from brainestimators.meeg import epochs_to_X, region_lead_field  # noqa: E402


def _raw():
    info = mne.create_info(["Fz", "Cz", "Pz", "Oz"], 100.0, "eeg")
    data = np.random.default_rng(0).normal(size=(4, 1200)) * 1e-5
    return mne.io.RawArray(data, info, verbose=False)


def test_raw_and_epochs_become_time_first_epochs():
    raw = _raw()
    X = epochs_to_X(raw, duration=2.0, reference="average")
    assert X.shape == (6, 200, 4)
    np.testing.assert_allclose(X.sum(axis=2), 0, atol=1e-18)
    epochs = mne.make_fixed_length_epochs(raw, duration=3.0, preload=True, verbose=False)
    X = epochs_to_X(epochs, picks=["Cz", "Oz"])
    expected = np.transpose(epochs.get_data(picks=["Cz", "Oz"]), (0, 2, 1))
    np.testing.assert_allclose(X, expected - expected.mean(axis=1, keepdims=True))
    with pytest.raises(TypeError, match="mne.Epochs or mne.io.Raw"):
        epochs_to_X(np.zeros((2, 3, 4)))


def _fake_forward():
    rng = np.random.default_rng(0)
    src = [{"vertno": np.array([3, 5, 8])}, {"vertno": np.array([1, 2])}]
    return {"sol": {"data": rng.normal(size=(4, 5))}, "source_ori": 1, "src": src}


def test_labels_select_their_sources():
    fwd = _fake_forward()
    labels = [mne.Label(np.array([3, 8, 100]), hemi="lh", name="a"),
              mne.Label(np.array([1, 2]), hemi="rh", name="b")]
    L = region_lead_field(fwd, labels)
    G = fwd["sol"]["data"]
    np.testing.assert_allclose(L, np.stack([G[:, [0, 2]].sum(1), G[:, [3, 4]].sum(1)], 1))
    np.testing.assert_allclose(region_lead_field(fwd, labels, mode="mean")[:, 1],
                               G[:, [3, 4]].mean(1))
    with pytest.raises(ValueError, match=r"regions \[0\] contain no source"):
        region_lead_field(fwd, [mne.Label(np.array([4]), hemi="lh")])


def test_three_lines_from_mne_to_a_fit():
    raw = _raw()
    fwd = _fake_forward()
    X = epochs_to_X(raw, duration=2.0, reference="average")
    L = region_lead_field(fwd, np.array([0, 0, 1, 2, 2]))
    sc = np.ones((3, 3)) - np.eye(3)
    est = HopfRegressor(connectivity=sc, observation="eeg", lead_field=L, sample_dt=10.0,
                        dt=1.0, noise_sigma=0.1, objective="log_psd", bounds={"w": (0.02, 0.1)},
                        max_iter=2, random_state=0).fit(X)
    assert est.n_channels_ == 4 and np.isfinite(est.best_loss_)
