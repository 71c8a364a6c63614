"""Data sets: synthetic cohorts at known parameters, real resting fMRI and EEG, head models."""

from ._eeg import fetch_eegbci_sample, get_data_home, load_eeg
from ._head import load_head_model, tvb_eeg_gain
from ._meg import tvb_meg_gain, tvb_meg_sensors
from ._real import load_gw, load_hcp
from .._frequencies import peak_frequencies
from ._synthetic import make_hopf_cohort, make_recordings

__all__ = ["fetch_eegbci_sample", "get_data_home", "load_eeg", "load_head_model", "load_gw",
           "load_hcp", "make_hopf_cohort", "make_recordings", "peak_frequencies",
           "tvb_eeg_gain", "tvb_meg_gain", "tvb_meg_sensors"]
