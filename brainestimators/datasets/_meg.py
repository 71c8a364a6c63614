"""An MEG lead field for TVB's 76 regions: a 248-magnetometer array and MNE's sphere.

``tvb-data==3.0.0`` (GPL-3) ships a 276-channel MEG projection (Brainstorm,
a 4D/BTi Magnes 3600 WH: 248 magnetometers A1-A248) but no usable sensor
geometry (``meg_brainstorm_276.txt`` holds only each channel's x
coordinate; ``meg_151.txt.bz2`` is in another frame: its centroid lies
28 mm below the Magnes helmet's and it reaches 10 cm below the cortex's
centre). :func:`tvb_meg_sensors` therefore locates each magnetometer from
its own row of the projection, and :func:`meg_lead_field` computes the
regions' gain at those sensors with MNE: point magnetometers (coil type
2000) in a spherically symmetric conductor centred on fsaverage's inner
skull (MEG does not depend on the shells' conductivities), one dipole per
region at its centre with its mean cortical orientation, as for the EEG.
:func:`tvb_meg_gain` reduces the projection to regions, to compare.
"""

import hashlib
from pathlib import Path

import numpy as np

from ._eeg import get_data_home
from ._tvb import tvb_root, tvb_to_head, zip_txt

__all__ = ["tvb_meg_sensors", "sphere_meg_lead_field", "meg_lead_field", "tvb_meg_gain"]


def _sarvas(sensor, normal, rr, q):
    """Field (T) along ``normal`` at ``sensor`` of dipoles ``q`` at ``rr``; sphere at the origin."""
    a = sensor - rr
    an = np.linalg.norm(a, axis=1)
    rn = np.linalg.norm(sensor)
    F = an * (rn * an + rn ** 2 - rr @ sensor)
    ar = a @ sensor
    grad = ((an ** 2 / rn + ar / an + 2 * an + 2 * rn)[:, None] * sensor
            - (an + 2 * rn + ar / an)[:, None] * rr)
    qxr = np.cross(q, rr)
    return 1e-7 * ((F[:, None] * qxr - (qxr @ sensor)[:, None] * grad) @ normal) / F ** 2


def _fit_sensor(row, rr, q):
    """Position and normal of the point magnetometer whose sphere field best fits ``row``."""
    from scipy.optimize import least_squares

    y = row / np.abs(row).max()
    w = np.abs(y)
    d = (w[:, None] * rr).sum(0)
    d /= np.linalg.norm(d)

    def unit(th, ph):
        return np.array([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)])

    def resid(p):
        return p[5] * _sarvas(p[:3], unit(p[3], p[4]), rr, q) - y

    p0 = np.r_[0.11 * d, np.arccos(d[2]), np.arctan2(d[1], d[0]), 1.0]
    g = _sarvas(p0[:3], unit(p0[3], p0[4]), rr, q)
    p0[5] = (g @ y) / (g @ g)
    p = least_squares(resid, p0, max_nfev=200).x
    return p[:3], unit(p[3], p[4]) * np.sign(p[5]), 1 - np.sum(resid(p) ** 2) / (y @ y)


def tvb_meg_sensors(data_home=None, step=8):
    """tvb-data's 248 MEG magnetometers, located from its projection: ``names, positions, normals``.

    ``sensors/meg_brainstorm_276.txt`` gives each channel's x coordinate
    only (its three position columns are x at three coil points, its three
    orientation columns the normal's x three times), so each channel's
    position and normal (MNE head coordinates, m) are fitted to its row of
    ``projection_meg_276_surface_16k.npy``: a point magnetometer above
    every ``step``-th cortical vertex's dipole (normal to the cortex) in the
    sphere of :func:`inner_skull_centre` (Sarvas). Measured: median R^2 0.95,
    fitted x vs the file's x r = 0.998. Cached in the data folder.
    """
    cache = get_data_home(data_home) / "head_models" / f"tvb_meg248_fit{step}.npz"
    if cache.is_file():
        with np.load(cache) as z:
            return [str(n) for n in z["names"]], z["positions"], z["normals"]
    root = tvb_root()
    surf = root / "surfaceData" / "cortex_16384.zip"
    rot, t = tvb_to_head()
    turn = rot / np.linalg.norm(rot[:, 0])
    origin = inner_skull_centre()
    rr = (zip_txt(surf, "vertices.txt") @ rot.T + t - origin)[::step]
    q = (zip_txt(surf, "vertex_normals.txt") @ turn.T)[::step]
    proj, names = _tvb_meg_rows()
    fits = [_fit_sensor(row[::step], rr, q) for row in proj]
    pos = np.array([f[0] for f in fits]) + origin
    nn = np.array([f[1] for f in fits])
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, names=np.array(names), positions=pos, normals=nn)
    return names, pos, nn


def _tvb_meg_rows():
    root = tvb_root()
    proj = np.load(root / "projectionMatrix" / "projection_meg_276_surface_16k.npy")
    names = [line.split()[0] for line in
             (root / "sensors" / "meg_brainstorm_276.txt").read_text().splitlines() if line]
    ok = np.isfinite(proj).all(axis=1)
    return proj[ok], [n for n, k in zip(names, ok) if k]


def inner_skull_centre():
    """Centre (head coordinates, m) of a sphere fitted to fsaverage's inner skull."""
    import mne

    fs = Path(mne.__file__).parent / "data" / "fsaverage"
    rr = mne.read_bem_surfaces(fs / "fsaverage-inner_skull-bem.fif", verbose="error")[0]["rr"]
    # |x - c|^2 = r^2  <=>  2 x.c + (r^2 - |c|^2) = |x|^2: linear least squares.
    A = np.c_[2 * rr, np.ones(len(rr))]
    c = np.linalg.lstsq(A, (rr ** 2).sum(1), rcond=None)[0][:3]
    head_to_mri = mne.read_trans(fs / "fsaverage-trans.fif")["trans"]
    mri_to_head = np.linalg.inv(head_to_mri)
    return mri_to_head[:3, :3] @ c + mri_to_head[:3, 3]


def magnetometer_info(names, positions, normals):
    """An :class:`mne.Info` of point magnetometers at ``positions`` (head coordinates, m)."""
    import mne
    from mne.io.constants import FIFF

    info = mne.create_info(list(names), 1000.0, "mag")
    for ch, r, n in zip(info["chs"], positions, normals):
        ex = np.cross(n, [0.0, 0.0, 1.0] if abs(n[2]) < 0.9 else [1.0, 0.0, 0.0])
        ex /= np.linalg.norm(ex)
        ch["loc"] = np.r_[r, ex, np.cross(n, ex), n]
        ch["coil_type"] = FIFF.FIFFV_COIL_POINT_MAGNETOMETER
        ch["coord_frame"] = FIFF.FIFFV_COORD_DEVICE
    with info._unlock():
        info["dev_head_t"] = mne.transforms.Transform("meg", "head", np.eye(4))
    return info


def sphere_meg_lead_field(info, positions, orientations, origin):
    """MEG lead field of fixed dipoles in a sphere centred at ``origin`` (head coordinates, m).

    Returns an ndarray of shape (n_meg_channels, n_regions), T per A m.
    """
    import mne

    nn = orientations / np.linalg.norm(orientations, axis=1, keepdims=True)
    sphere = mne.make_sphere_model(r0=origin, head_radius=None, verbose="error")
    src = mne.setup_volume_source_space(pos={"rr": positions, "nn": nn}, sphere=(*origin, 1.0),
                                        exclude=0.0, mindist=0.0, verbose="error")
    info = mne.pick_info(info, mne.pick_types(info, meg=True, ref_meg=False))
    fwd = mne.make_forward_solution(info, None, src, sphere, meg=True, eeg=False, mindist=0.0,
                                    verbose="error")
    free = fwd["sol"]["data"].reshape(len(info.ch_names), len(positions), 3)
    return np.einsum("crk,rk->cr", free, nn), list(info.ch_names)


def meg_lead_field(centres, orientations, info=None, data_home=None):
    """Cached MEG gain of the regions for ``info``'s MEG channels (default: tvb-data's 151)."""
    if info is None:
        info = magnetometer_info(*tvb_meg_sensors(data_home))
    pos = np.array([ch["loc"][:12] for ch in info["chs"]])
    key = hashlib.sha1(repr((list(info.ch_names), np.round(pos, 6).tolist(), "meg-sphere-v1"))
                       .encode()).hexdigest()[:12]
    cache = get_data_home(data_home) / "head_models" / f"tvb76_meg_{key}.npz"
    if cache.is_file():
        with np.load(cache) as z:
            return z["gain"], [str(n) for n in z["names"]]
    gain, names = sphere_meg_lead_field(info, centres, orientations, inner_skull_centre())
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, gain=gain, names=np.array(names))
    return gain, names


def tvb_meg_gain():
    """tvb-data's independent MEG projection reduced to the 76 regions.

    The 276-channel Brainstorm projection (276 x 16384 cortical vertices;
    248 magnetometers of a 4D/BTi Magnes 3600, the other 28 rows NaN) is
    summed over each region's vertices (``regionMapping_16k_76``).

    Returns
    -------
    gain : ndarray of shape (248, 76)
    names : list of str
        ``'A1'`` ... ``'A248'`` in the file's order.
    """
    proj, names = _tvb_meg_rows()
    mapping = np.loadtxt(tvb_root() / "regionMapping" / "regionMapping_16k_76.txt").astype(int)
    onehot = np.zeros((proj.shape[1], 76))
    onehot[np.arange(proj.shape[1]), mapping] = 1.0
    return proj @ onehot, names


DESCR_MEG = """

MEG (kind='meg'): tvb-data 3.0.0's 276-channel MEG projection
(projectionMatrix/projection_meg_276_surface_16k.npy, Brainstorm, GPL-3)
is a 4D/BTi Magnes 3600 WH; its 248 magnetometers' positions and normals
were fitted, one channel at a time, to their rows of that projection (point
magnetometer, sphere model, every 8th cortical vertex). Lead field: MNE's
make_forward_solution, point magnetometers (coil 2000), a spherically
symmetric conductor (make_sphere_model(r0, head_radius=None)) centred on a
sphere fitted to fsaverage's inner skull, the dipoles above; T per A m.
Cached under the data folder."""
