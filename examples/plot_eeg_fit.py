"""
A whole-brain network fitted to a real resting EEG
==================================================

A one-minute eyes-closed EEG (PhysioNet EEG Motor Movement/Imagery,
subject 1, run 2; 64 channels, 160 Hz; Schalk et al. 2004) is cut into 4 s
epochs and average-referenced. A 76-region Hopf network (TVB's connectome)
is seen through an EEG lead field computed with MNE for the recording's
montage (:func:`~brainestimators.datasets.load_head_model`). Each region's
damping ``a``, frequency ``w`` and noise level are fitted to the training
epochs' log power spectra (1-40 Hz, all channels, one global gain profiled
out) and their alpha peak (frequency and power topography): slow regions
make the 1/f fall-off, posterior ones alpha. The fit compares the data with
the network's *expected* spectrum (``fc_from='moments'``: the model
linearised at its fixed point, no noise draw in it). The last epoch is held
out. The first run downloads the recording once (39 MB,
see :func:`~brainestimators.datasets.fetch_eegbci_sample`).

``python -m brainestimators --data eeg`` holds out every epoch in turn and
adds two spectral baselines (see :ref:`eeg_meg`). A single damping and
frequency for all regions cannot make both the 1/f fall-off and alpha.
"""

# %%
import matplotlib.pyplot as plt
import mne
import numpy as np

from scipy.signal import welch

import brainestimators as be
from brainestimators.datasets import load_eeg, load_head_model

eeg = load_eeg(epoch_duration=4.0)
X = eeg.epochs - eeg.epochs.mean(axis=2, keepdims=True)  # average reference
head = load_head_model(eeg.info)
lead = head.lead_field / np.abs(head.lead_field).max()
print(X.shape, head.lead_field.shape)

# %%
# The estimator: sensors = lead field x each region's ``x``; 160 Hz samples
# every 6.25 ms, ten integration steps each (the expected spectrum is the
# integration scheme's: a small step keeps weakly damped fast regions stable).
# Regions start narrow-band (a = -8 /s) at frequencies spread over 1-13 Hz.
HZ = 2 * np.pi / 1000  # w of 1 Hz, in rad/ms
n = head.sc.shape[0]
w0 = HZ * np.exp(np.random.default_rng(0).uniform(np.log(1.0), np.log(13.0), n))
est = be.HopfRegressor(
    connectivity=head.sc, k=0.01, noise_sigma=0.02, dt=0.625, sample_dt=6.25,
    transient=250.0, observation="eeg", lead_field=lead, fc_from="moments",
    objective={be.log_psd_distance(sfreq=160.0, fmin=1, fmax=40, nperseg=160): 1.0,
               be.spectral_peak(sfreq=160.0, fmin=7, fmax=14, nperseg=160): 1.0},
    bounds={"a": (-0.3, -0.003), "w": (0.5 * HZ, 14 * HZ), "noise_sigma": (0.001, 0.2),
            "k": (0.0, 0.1)},
    per_region=["a", "w", "noise_sigma"],
    init={"a": [-0.008] * n, "w": list(w0), "noise_sigma": [0.02] * n, "k": 0.01},
    optimizer={"learning_rate": 0.2}, max_iter=80, random_state=0)
est.fit(X[:-1])
f0 = np.asarray(est.best_params_["w"]) / HZ
print(f"region frequencies: {np.round(np.percentile(f0, [10, 50, 90]), 1)} Hz "
      f"(10th, 50th, 90th percentile); loss {est.best_loss_:.3f}")

# %%
# Held-out epoch against the model's expected spectrum (the global gain from
# the training epochs).
def spectra(x):
    """log10 Welch spectra, 1-40 Hz: (freqs, (n_epochs, n_freqs, n_channels))."""
    f, p = welch(x, fs=160.0, nperseg=160, axis=1)
    band = (f >= 1) & (f <= 40)
    return f[band], np.log10(p[:, band])


freqs, data = spectra(X)
model = est.expected_spectrum(160, sfreq=160.0, fmin=1, fmax=40)[1]
model += np.mean(data[:-1].mean(axis=0) - model)
print(f"held-out RMS log10-PSD error: {np.sqrt(np.mean((model - data[-1]) ** 2)):.3f}")

fig, axes = plt.subplots(1, 3, figsize=(10, 3))
for ax, ch in zip(axes, ("Fz", "Pz", "Oz")):
    c = eeg.ch_names.index(ch)
    ax.plot(freqs, data[-1, :, c], "k", label="held-out epoch")
    ax.plot(freqs, model[:, c], "C3", label="network model")
    ax.set(title=ch, xlabel="Hz")
axes[0].set_ylabel("log10 PSD")
axes[0].legend()
fig.tight_layout()

# %%
# Alpha-power (8-13 Hz) topographies, relative to their mean.
band = (freqs >= 8) & (freqs <= 13)
fig, axes = plt.subplots(1, 2, figsize=(6, 3))
for ax, spec, title in ((axes[0], data[-1], "data"), (axes[1], model, "model")):
    topo = np.log10(np.mean(10.0 ** spec[band], axis=0))
    mne.viz.plot_topomap(topo - topo.mean(), eeg.info, axes=ax, show=False)
    ax.set_title(title)
plt.show()
