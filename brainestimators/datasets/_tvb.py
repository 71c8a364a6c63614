"""TVB's files from ``tvb-data==3.0.0`` (GPL-3), read as data, never imported as code.

The 76-region connectome, the cortex surface and the transform that places
TVB's coordinates in MNE's fsaverage head, shared by the EEG and MEG head
models.
"""

import importlib.util
import zipfile
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

__all__ = ["tvb_root", "zip_txt", "tvb_connectome", "tvb_to_head"]

_INSTALL = 'pip install "brainestimators[meeg]"'

# TVB's surfaces and centres: x anterior, y left, z up, mm; fsaverage MRI: RAS, m.
_TVB_TO_RAS = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
# Gap between the top of TVB's cortex and fsaverage's inner skull (m).
_TOP_GAP = 0.005


def tvb_root():
    spec = importlib.util.find_spec("tvb_data")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"The head model reads tvb-data's files: {_INSTALL}")
    return Path(list(spec.submodule_search_locations)[0])


def zip_txt(path, member, **kw):
    with zipfile.ZipFile(path) as z, z.open(member) as f:
        return np.loadtxt(f, **kw)


def tvb_connectome():
    """TVB's 76-region connectome: weights, lengths (mm), labels, centres, orientations."""
    zp = tvb_root() / "connectivity" / "connectivity_76.zip"
    labels = [str(s) for s in zip_txt(zp, "centres.txt", usecols=0, dtype=str)]
    return Bunch(weights=zip_txt(zp, "weights.txt"), lengths=zip_txt(zp, "tract_lengths.txt"),
                 labels=labels, centres=zip_txt(zp, "centres.txt", usecols=(1, 2, 3)),
                 orientations=zip_txt(zp, "average_orientations.txt"))


def tvb_to_head():
    """``(R, t)``: TVB mm coordinates -> MNE head coordinates (m), ``x_head = R x + t``.

    TVB's axes are turned into RAS, its cortex's bounding box is centred on
    fsaverage's inner skull in x and y and its top put 5 mm below the
    skull's top (no scaling: both are adult heads in mm); then fsaverage's
    MRI -> head transform.
    """
    import mne

    root = tvb_root()
    cortex = zip_txt(root / "surfaceData" / "cortex_16384.zip", "vertices.txt") @ _TVB_TO_RAS.T
    cortex = cortex / 1000.0
    fs = Path(mne.__file__).parent / "data" / "fsaverage"
    skull = mne.read_bem_surfaces(fs / "fsaverage-inner_skull-bem.fif", verbose="error")[0]["rr"]
    shift = (skull.min(0) + skull.max(0)) / 2 - (cortex.min(0) + cortex.max(0)) / 2
    shift[2] = skull[:, 2].max() - _TOP_GAP - cortex[:, 2].max()
    head_to_mri = mne.read_trans(fs / "fsaverage-trans.fif")["trans"]
    mri_to_head = np.linalg.inv(head_to_mri)
    rot = mri_to_head[:3, :3] @ _TVB_TO_RAS / 1000.0
    t = mri_to_head[:3, :3] @ shift + mri_to_head[:3, 3]
    return rot, t
