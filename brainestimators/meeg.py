"""MNE-Python interoperability: your ``Raw`` / ``Epochs`` and ``Forward`` as X and a lead field.

Three lines from an MNE recording to a fit::

    X = epochs_to_X(epochs)                      # (n_epochs, n_time, n_channels)
    L = region_lead_field(fwd, labels)           # (n_channels, n_regions)
    est = HopfRegressor(connectivity=sc, observation="eeg", lead_field=L,
                        sample_dt=1000 / epochs.info["sfreq"], objective="log_psd").fit(X)

MNE is imported only by these functions (``pip install "brainestimators[meeg]"``).
"""

import numpy as np

__all__ = ["epochs_to_X", "region_lead_field"]


def epochs_to_X(inst, duration=4.0, picks="data", reference=None):
    """Turn an ``mne.Epochs`` or ``mne.io.Raw`` into X ``(n_epochs, n_time, n_channels)``.

    Parameters
    ----------
    inst : mne.Epochs or mne.io.Raw
        Epochs are taken as they are; a Raw recording is cut into
        consecutive non-overlapping epochs of ``duration`` seconds
        (``mne.make_fixed_length_epochs``; the last partial one dropped).
    duration : float, default=4.0
        Epoch length (s) for a Raw recording.
    picks : str or list, default='data'
        MNE channel picks (``'eeg'``, ``'meg'``, ``'mag'``, names, ...): the
        channels must be the rows of the lead field, in the same order.
    reference : {None, 'average'}, default=None
        ``'average'``: subtract the channels' mean at every sample (the
        reference of ``observation='eeg'``).

    Returns
    -------
    ndarray of shape (n_epochs, n_time, n_channels)
        Time first, as every recording here; each epoch and channel demeaned.

    Examples
    --------
    >>> import mne, numpy as np
    >>> from brainestimators.meeg import epochs_to_X
    >>> info = mne.create_info(["Fz", "Cz", "Pz"], 100.0, "eeg")
    >>> raw = mne.io.RawArray(np.random.default_rng(0).normal(size=(3, 1000)), info,
    ...                       verbose=False)
    >>> epochs_to_X(raw, duration=2.0).shape
    (5, 200, 3)
    """
    import mne

    if isinstance(inst, mne.io.BaseRaw):
        inst = mne.make_fixed_length_epochs(inst, duration=duration, preload=True,
                                            verbose="error")
    if not isinstance(inst, mne.BaseEpochs):
        raise TypeError(f"inst must be an mne.Epochs or mne.io.Raw, got {type(inst).__name__}.")
    X = np.transpose(inst.get_data(picks=picks), (0, 2, 1)).astype(float)
    if reference == "average":
        X = X - X.mean(axis=2, keepdims=True)
    elif reference is not None:
        raise ValueError(f"reference must be None or 'average', got {reference!r}.")
    return X - X.mean(axis=1, keepdims=True)


def _columns(fwd, label):
    """Source indices of the forward solution inside one label."""
    offsets = np.cumsum([0] + [len(s["vertno"]) for s in fwd["src"]])
    hemis = {"lh": 0, "rh": 1}
    if label.hemi not in hemis:
        raise ValueError(f"label {label.name!r}: hemi must be 'lh' or 'rh', got {label.hemi!r}.")
    h = hemis[label.hemi]
    vertno = np.asarray(fwd["src"][h]["vertno"])
    return offsets[h] + np.flatnonzero(np.isin(vertno, label.vertices))


def region_lead_field(fwd, labels, mode="sum"):
    """Reduce a source-level ``mne.Forward`` to a region lead field ``(n_channels, n_regions)``.

    Parameters
    ----------
    fwd : mne.Forward
        With fixed orientations (``mne.convert_forward_solution(fwd,
        surf_ori=True, force_fixed=True)``: dipoles normal to the cortex); a
        free-orientation forward is converted so here.
    labels : list of mne.Label or array of shape (n_sources,)
        The regions: labels (e.g. ``mne.read_labels_from_annot``), in the
        order of the connectome's rows, or an integer region index per
        source (``-1``: in no region), like TVB's region mapping.
    mode : {'sum', 'mean'}, default='sum'
        Sum the gains of a region's sources (every source carries the same
        current density: the region's dipole grows with its size) or
        average them.

    Returns
    -------
    ndarray of shape (n_channels, n_regions)
        In the forward's units (V or T per A m); the channels are
        ``fwd['sol']['row_names']``.

    Examples
    --------
    >>> import numpy as np
    >>> from brainestimators.meeg import region_lead_field
    >>> fwd = {"sol": {"data": np.arange(12.0).reshape(2, 6)}, "source_ori": 1}
    >>> region_lead_field(fwd, np.array([0, 0, 1, 1, 1, -1]))
    array([[ 1.,  9.],
           [13., 27.]])
    """
    if mode not in ("sum", "mean"):
        raise ValueError(f"mode must be 'sum' or 'mean', got {mode!r}.")
    if fwd["source_ori"] != 1:  # FIFFV_MNE_FIXED_ORI
        import mne

        fwd = mne.convert_forward_solution(fwd, surf_ori=True, force_fixed=True, use_cps=True,
                                           verbose="error")
    gain = np.asarray(fwd["sol"]["data"], dtype=float)
    if isinstance(labels, np.ndarray) and labels.dtype.kind in "iu":
        if labels.shape != (gain.shape[1],):
            raise ValueError(f"a region index per source needs shape ({gain.shape[1]},), got "
                             f"{labels.shape}.")
        groups = [np.flatnonzero(labels == r) for r in range(int(labels.max()) + 1)]
    else:
        groups = [_columns(fwd, label) for label in labels]
    empty = [i for i, g in enumerate(groups) if g.size == 0]
    if empty:
        raise ValueError(f"regions {empty} contain no source of the forward solution.")
    reduce = np.sum if mode == "sum" else np.mean
    return np.stack([reduce(gain[:, g], axis=1) for g in groups], axis=1)
