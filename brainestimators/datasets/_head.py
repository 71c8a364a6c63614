"""A head model for sensor-space fits: TVB's 76-region connectome and an EEG lead field.

The connectome (weights, tract lengths, region centres and mean surface
orientations) is TVB's default ``connectivity_76`` from ``tvb-data==3.0.0``
(GPL-3), read as files from the installed package (never imported). The
lead field is computed here with MNE: a four-shell spherical head fitted to
the standard 10-05 montage, one current dipole per region at its centre,
fixed to the region's mean cortical orientation. ``tvb-data`` also ships an
independent 65-channel EEG projection (Brainstorm, vertex level) that
:func:`tvb_eeg_gain` reduces to regions, to check the lead field against.
"""

import hashlib

import numpy as np
from sklearn.utils import Bunch

from ._eeg import get_data_home
from ._meg import DESCR_MEG, meg_lead_field
from ._tvb import tvb_connectome, tvb_root, tvb_to_head

__all__ = ["load_head_model", "tvb_eeg_gain", "sphere_lead_field"]


def sphere_lead_field(info, positions, orientations):
    """EEG lead field of fixed dipoles in a spherical head fitted to ``info``'s montage.

    Parameters
    ----------
    info : mne.Info
        EEG channels with positions (a montage).
    positions : array of shape (n_regions, 3)
        Dipole positions, MNE head coordinates (m).
    orientations : array of shape (n_regions, 3)
        Dipole orientations (normalised here).

    Returns
    -------
    ndarray of shape (n_channels, n_regions)
        Volts per ampere-metre of dipole moment, average reference.
    """
    import mne

    nn = orientations / np.linalg.norm(orientations, axis=1, keepdims=True)
    sphere = mne.make_sphere_model("auto", "auto", info, verbose="error")
    src = mne.setup_volume_source_space(pos={"rr": positions, "nn": nn}, sphere=sphere,
                                        exclude=0.0, mindist=0.0, verbose="error")
    if src[0]["nuse"] != len(positions):
        raise ValueError(f"{len(positions) - src[0]['nuse']} dipoles lie outside the head sphere.")
    info = mne.pick_info(info, mne.pick_types(info, eeg=True))
    fwd = mne.make_forward_solution(info, None, src, sphere, eeg=True, meg=False,
                                    mindist=0.0, verbose="error")
    free = fwd["sol"]["data"].reshape(len(info.ch_names), len(positions), 3)
    gain = np.einsum("crk,rk->cr", free, nn)
    return gain - gain.mean(axis=0)


def load_head_model(info=None, *, kind="eeg", data_home=None):
    """Load TVB's 76-region connectome and its EEG or MEG lead field for ``info``'s channels.

    Parameters
    ----------
    info : mne.Info or None, default=None
        For ``kind='eeg'``: EEG channels with a montage, e.g.
        ``load_eeg().info`` or your ``raw.info``; ``None`` uses the PhysioNet
        recording's 64 channels (:func:`load_eeg`). For ``kind='meg'``: MEG
        channels in MNE's head frame (``info['dev_head_t']``); ``None`` uses
        tvb-data's 248 Magnes 3600 magnetometers (:func:`tvb_meg_sensors`).
    kind : {'eeg', 'meg'}, default='eeg'
        ``'meg'``: the gain of the same dipoles at magnetometers or
        gradiometers, from MNE's spherically symmetric conductor centred on
        fsaverage's inner skull (MEG is insensitive to the conductivities),
        in T per A m, no reference (see ``brainestimators.datasets._meg``).
    data_home : str or path-like, default=None
        Where computed lead fields are cached (see :func:`get_data_home`).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        sc : ndarray of shape (76, 76)
            TVB's connectome weights divided by their largest entry.
        distances : ndarray of shape (76, 76)
            Tract lengths (mm), for conduction delays.
        labels : list of str
            Region labels (``'rV1'``, ``'lV1'``, ...).
        centres : ndarray of shape (76, 3)
            Region centres in MNE head coordinates (m).
        orientations : ndarray of shape (76, 3)
            Unit dipole orientations (head coordinates): TVB's mean surface
            normal of each region.
        lead_field : ndarray of shape (n_channels, 76)
            EEG gain, V per A m, average reference; or MEG gain, T per A m.
        ch_names : list of str
            Channels, the rows of ``lead_field``.
        DESCR : str
            Provenance, transforms and licences.

    Examples
    --------
    >>> from brainestimators.datasets import load_head_model
    >>> head = load_head_model()  # doctest: +SKIP
    >>> head.lead_field.shape, head.sc.shape  # doctest: +SKIP
    ((64, 76), (76, 76))
    """
    if kind not in ("eeg", "meg"):
        raise ValueError(f"kind must be 'eeg' or 'meg', got {kind!r}.")
    con = tvb_connectome()
    rot, t = tvb_to_head()
    centres = con.centres @ rot.T + t
    nn = con.orientations @ (rot / np.linalg.norm(rot[:, 0])).T
    nn = nn / np.linalg.norm(nn, axis=1, keepdims=True)
    w = con.weights.copy()
    np.fill_diagonal(w, 0.0)
    out = Bunch(sc=w / w.max(), distances=con.lengths, labels=con.labels, centres=centres,
                orientations=nn)
    if kind == "meg":

        gain, names = meg_lead_field(centres, nn, info, data_home)
        return Bunch(**out, lead_field=gain, ch_names=names, DESCR=_DESCR + DESCR_MEG)
    if info is None:
        from ._eeg import read_eegbci_raw

        info = read_eegbci_raw(data_home).info
    pos = np.array([info["chs"][i]["loc"][:3] for i in range(len(info.ch_names))])
    key = hashlib.sha1(repr((list(info.ch_names), np.round(pos, 6).tolist(), "sphere-v1"))
                       .encode()).hexdigest()[:12]
    cache = get_data_home(data_home) / "head_models" / f"tvb76_eeg_{key}.npy"
    if cache.is_file():
        gain = np.load(cache)
    else:
        gain = sphere_lead_field(info, centres, nn)
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, gain)
    return Bunch(**out, lead_field=gain, ch_names=list(info.ch_names), DESCR=_DESCR)


def tvb_eeg_gain(ch_names=None):
    """tvb-data's independent EEG projection reduced to the 76 regions.

    The 65-channel Brainstorm projection (65 x 16384 cortical vertices) is
    summed over each region's vertices (TVB's ``regionMapping_16k_76``),
    the two channels with NaN gains (IO1, IO2) dropped, and re-referenced to
    the average of the channels kept.

    Parameters
    ----------
    ch_names : list of str or None
        Keep these channels (case-insensitive; TVB's ``'T8/T4'`` matches
        either name), in this order; names TVB lacks are skipped.

    Returns
    -------
    gain : ndarray of shape (n_matched, 76)
    names : list of str
        The channel names of the rows (spelled as in ``ch_names``).
    """
    root = tvb_root()
    proj = np.load(root / "projectionMatrix" / "projection_eeg_65_surface_16k.npy")
    mapping = np.loadtxt(root / "regionMapping" / "regionMapping_16k_76.txt").astype(int)
    tvb_names = [line.split()[0] for line in
                 (root / "sensors" / "eeg_brainstorm_65.txt").read_text().splitlines() if line]
    ok = np.isfinite(proj).all(axis=1)
    onehot = np.zeros((proj.shape[1], 76))
    onehot[np.arange(proj.shape[1]), mapping] = 1.0
    region = proj[ok] @ onehot
    lookup = {}
    for i, name in zip(np.flatnonzero(ok), [n for n, k in zip(tvb_names, ok) if k]):
        for alias in name.split("/"):
            lookup[alias.lower()] = i
    rows = {i: r for i, r in zip(np.flatnonzero(ok), region)}
    names = list(ch_names) if ch_names is not None else [n for n, k in zip(tvb_names, ok) if k]
    kept = [n for n in names if n.lower() in lookup]
    gain = np.array([rows[lookup[n.lower()]] for n in kept])
    return gain - gain.mean(axis=0), kept


_DESCR = """Head model: TVB's default 76-region connectome and an EEG lead field.

Connectome: tvb-data 3.0.0, connectivity/connectivity_76.zip (GPL-3):
weights (divided by their maximum, diagonal zeroed), tract lengths (mm),
region centres and mean surface orientations.

Coordinates: TVB's (x anterior, y left, z up, mm) turned into RAS; the
bounding box of TVB's 16k cortex centred on fsaverage's inner skull
(MNE's wheel, mne/data/fsaverage) in left-right and front-back, its top
5 mm below the skull's; no scaling; then fsaverage's MRI -> head
transform. Centres and channel positions are MNE head coordinates (m).

Lead field: MNE's make_forward_solution with a four-shell sphere model
(make_sphere_model('auto', 'auto', info): fitted to the montage), one
dipole per region at its centre, fixed to the region's mean cortical
orientation (the free-orientation gain projected on it); volts per A m,
re-referenced to the channels' average. Cached under the data folder.
Channel positions: MNE's standard 10-05 montage (BSD)."""
