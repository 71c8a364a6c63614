"""The MEG head model: tvb-data's Magnes 3600 array, MNE's sphere, checked against tvb-data."""

import time

import numpy as np
import pytest

pytest.importorskip("mne")
pytest.importorskip("tvb_data")

from brainestimators import HopfRegressor, log_psd_distance  # noqa: E402
from brainestimators.datasets import (  # noqa: E402
    load_head_model,
    tvb_meg_gain,
    tvb_meg_sensors,
)

HZ = 2 * np.pi / 1000.0


@pytest.fixture(scope="module")
def meg():
    return load_head_model(kind="meg")


def test_meg_head_model_agrees_with_tvb(meg):
    assert meg.lead_field.shape == (248, 76) and meg.sc.shape == (76, 76)
    assert np.all(np.isfinite(meg.lead_field)) and "MEG" in meg.DESCR
    gain, names = tvb_meg_gain()
    assert names == meg.ch_names and gain.shape == (248, 76)
    per_channel = [np.corrcoef(a, b)[0, 1] for a, b in zip(meg.lead_field, gain)]
    per_region = [np.corrcoef(a, b)[0, 1] for a, b in zip(meg.lead_field.T, gain.T)]
    # measured: per channel median 0.80 (min 0.46, max 0.93); per region median 0.86
    assert np.median(per_channel) > 0.7 and min(per_channel) > 0.3
    assert np.median(per_region) > 0.75


def test_fitted_sensors_match_the_x_coordinates_tvb_ships():
    from brainestimators.datasets._tvb import tvb_root, tvb_to_head

    names, pos, nn = tvb_meg_sensors()
    rot, t = tvb_to_head()
    x_tvb = np.linalg.solve(rot, (pos - t).T)[0]  # mm, TVB's anterior axis
    rows = {r.split()[0]: r.split()[1:4] for r in
            (tvb_root() / "sensors" / "meg_brainstorm_276.txt").read_text().splitlines() if r}
    x_file = np.array([np.mean([float(v) for v in rows[n]]) for n in names])
    assert np.corrcoef(x_tvb, x_file)[0, 1] > 0.99  # measured 0.998
    np.testing.assert_allclose(np.linalg.norm(nn, axis=1), 1.0, atol=1e-9)


def _est(head, observation, **kw):
    lead = head.lead_field / np.abs(head.lead_field).max()
    return HopfRegressor(connectivity=head.sc, k=0.01, noise_sigma=0.02, dt=3.125,
                         sample_dt=6.25, transient=250.0, observation=observation,
                         lead_field=lead, a=-0.01,
                         objective=log_psd_distance(sfreq=160.0, fmin=1, fmax=40, nperseg=160),
                         **kw)


def test_a_hopf_network_seen_by_meg_recovers_its_alpha_frequency(meg):
    t0 = time.perf_counter()
    X = _est(meg, "meg", w=10 * HZ, random_state=0).simulate(n_samples=2, n_time=640,
                                                            random_state=1)
    assert X.shape == (2, 640, 248) and np.all(np.isfinite(X))
    # No average reference: the channel mean is not zero, unlike the EEG's.
    assert np.abs(X.mean(axis=2)).mean() > 0.01 * np.abs(X).mean()
    est = _est(meg, "meg", w=8 * HZ, bounds={"w": (5 * HZ, 15 * HZ)}, backend="nevergrad",
               optimizer={"method": "DE", "n_sample": 8}, max_iter=12, random_state=2).fit(X)
    assert abs(est.best_params_["w"] / (10 * HZ) - 1) < 0.1, est.best_params_  # measured +0.041
    print(f"w error {est.best_params_['w'] / (10 * HZ) - 1:+.3f}, {time.perf_counter() - t0:.1f} s")
