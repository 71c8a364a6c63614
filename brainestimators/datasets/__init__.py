"""Data sets: synthetic cohorts at known parameters, real resting-state fMRI and EEG."""

from ._eeg import fetch_eegbci_sample, get_data_home, load_eeg
from ._head import load_head_model, tvb_eeg_gain
from ._real import load_gw, load_hcp
from ._synthetic import make_hopf_cohort, make_recordings, peak_frequencies

__all__ = ["fetch_eegbci_sample", "get_data_home", "load_eeg", "load_head_model", "load_gw",
           "load_hcp", "make_hopf_cohort", "make_recordings", "peak_frequencies",
           "tvb_eeg_gain"]
