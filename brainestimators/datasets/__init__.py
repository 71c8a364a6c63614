"""Data sets: synthetic cohorts at known parameters and real resting-state data."""

from ._real import load_gw, load_hcp
from ._synthetic import make_hopf_cohort, make_recordings, peak_frequencies

__all__ = ["load_gw", "load_hcp", "make_hopf_cohort", "make_recordings", "peak_frequencies"]
