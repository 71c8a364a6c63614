"""Data sets: synthetic cohorts at known parameters and real resting-state data."""

from ._synthetic import make_recordings

__all__ = ["make_recordings"]
