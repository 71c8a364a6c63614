"""The lead field of a sensor observation (EEG, MEG), checked, and the regions behind X.

With ``observation='eeg'`` or ``'meg'`` the columns of X are channels, the
rows of ``lead_field``; the regions are its columns.
"""

import numpy as np

from ._maps import derived_names, uses_data

__all__ = ["lead_field", "model_regions"]


def lead_field(params, n_regions=None):
    """The lead field ``(n_channels, n_regions)`` of a sensor observation, as floats."""
    if params.get("lead_field") is None:
        raise ValueError(
            f"observation={params['observation']!r} needs lead_field=, an array (n_channels, "
            "n_regions): e.g. brainestimators.datasets.load_head_model().lead_field, or "
            "brainestimators.meeg.region_lead_field(forward, labels) from an mne.Forward.")
    L = np.asarray(params["lead_field"], dtype=float)
    if L.ndim != 2 or not np.all(np.isfinite(L)):
        raise ValueError(f"lead_field must be a finite (n_channels, n_regions) array, got "
                         f"shape {L.shape}.")
    if n_regions is not None and L.shape[1] != n_regions:
        raise ValueError(f"lead_field has {L.shape[1]} regions (columns); the model has "
                         f"{n_regions} (connectivity). A lead field is (n_channels, n_regions).")
    return L


def model_regions(model, n_columns):
    """Regions behind recordings of ``n_columns`` columns: the lead field's for sensors.

    Maps and values computed from recordings (``'fc_gradient'``,
    ``w='peak_frequency'``) need one column per region, so sensor
    recordings refuse them.
    """
    if not model.sensors:
        return n_columns
    if uses_data(model.params["per_region"]) or derived_names(model.values):
        raise ValueError(
            "maps and values computed from recordings (fc_gradient, fc_strength, "
            "peak_frequency) need one column per region; EEG / MEG channels mix the regions "
            "through the lead field. Give maps as arrays (n_maps, n_regions) and values as "
            "numbers.")
    return lead_field(model.params).shape[1]
