"""Observation models: what a recording sees of the simulated node.

An observation is a small brainstate module built from the number of
regions, the monitored variable and the traced values (``params``), updated
after every integration step (``update(node)``) and read only at the kept
samples (``read(node)``), so a recording's memory follows its samples, not
its steps. Its class attribute ``sensors`` says whether it reads out
channels through a lead field (``params['lead_field']``, ``(n_channels,
n_regions)``) instead of one value per region. Adding one is one class here
and one :class:`Observation` line in :data:`OBSERVATIONS`.
"""

from dataclasses import dataclass

import brainmass
import brainstate
import brainunit as u

from ._network import read_state
from ._registry import lookup

__all__ = ["OBSERVATIONS", "Observation", "get_observation", "EEG", "MEG"]


class Monitored(brainstate.nn.Module):
    """The monitored state itself (no observation model)."""

    sensors = False

    def __init__(self, n, monitor, params=None):
        super().__init__()
        self.monitor = monitor

    def update(self, node):
        pass

    def read(self, node):
        return read_state(node, self.monitor)


class BOLD(brainstate.nn.Module):
    """brainmass's Balloon-Windkessel model driven by the monitored variable.

    ``brainmass.BOLDSignal`` (0.1.1) takes a unitless step in seconds, so each
    update runs in its own ``dt`` context. Its BOLD equation has a constant
    offset at rest (``k2 (1 - q / rho)``), which FC and z-scored objectives
    ignore.
    """

    sensors = False

    def __init__(self, n, monitor, params=None):
        super().__init__()
        self.hemo = brainmass.BOLDSignal(n)
        self.monitor = monitor

    def update(self, node):
        z = u.get_magnitude(read_state(node, self.monitor))
        dt_s = u.get_magnitude(brainstate.environ.get_dt() / u.second)
        with brainstate.environ.context(dt=dt_s):
            self.hemo.update(z)

    def read(self, node):
        return self.hemo.bold()


class MEG(brainstate.nn.Module):
    """Sensors = lead field x the family's source signal (``ModelSpec.source``).

    ``brainmass.LeadFieldModel`` maps the region signal ``s`` (``(n_regions,)``)
    to the channels, ``s @ L.T``, with the lead field ``L`` (``(n_channels,
    n_regions)``) in arbitrary units: the dipole moment per unit of a model's
    source signal is not known, so the sensor scale is relative (objectives
    on log spectra profile it out). ``EEGLeadFieldModel`` and
    ``MEGLeadFieldModel`` fix the units (mV or T sensors, 1 nA m of dipole
    per mV or T of source), which a unitless source (Hopf's ``x``) fails, so
    their unitless base class serves every family. Its ``noise_cov`` draws from brainstate's
    global generator, which a traced key cannot seed, so sensor noise is
    added at the kept samples instead (``SimConfig.sensor_noise``). Nothing
    is stored between samples: the readout is computed when a sample is read.
    """

    sensors = True
    reference = False

    def __init__(self, n, monitor, params=None):
        super().__init__()
        lead = params["lead_field"]
        self.forward = brainmass.LeadFieldModel(
            (n,), (lead.shape[0],), lead.T, sensor_unit=u.UNITLESS, dipole_unit=u.UNITLESS,
            scale=1.0)
        self.monitor = monitor

    def update(self, node):
        pass

    def read(self, node):
        y = self.forward.update(u.get_magnitude(read_state(node, self.monitor)))
        return y - y.mean() if self.reference else y


class EEG(MEG):
    """EEG: :class:`MEG`'s readout re-referenced to the channels' average."""

    reference = True


@dataclass(frozen=True)
class Observation:
    """Registry entry of an observation model.

    Calling the entry builds its module: ``entry(n, monitor, params)``.

    Parameters
    ----------
    name : str or None
        The ``observation=`` value (``None``: the monitored state itself).
    module : type
        The brainstate module class, ``module(n, monitor, params)``.
    summary : str
        One line for the docs.
    """

    name: object
    module: type
    summary: str

    @property
    def sensors(self):
        """Whether it reads channels through a lead field (``params['lead_field']``)."""
        return self.module.sensors

    @property
    def reference(self):
        """Whether the channels are re-referenced to their average (EEG)."""
        return getattr(self.module, "reference", False)

    def __call__(self, n, monitor, params=None):
        """The observation module of ``n`` regions monitoring ``monitor``."""
        return self.module(n, monitor, params)


#: Observation models by the name the estimators' ``observation=`` takes.
OBSERVATIONS = {o.name: o for o in (
    Observation(None, Monitored, "the monitored state itself"),
    Observation("bold", BOLD, "BOLD through brainmass's Balloon-Windkessel model"),
    Observation("eeg", EEG, "EEG channels: lead field x source signal, average reference"),
    Observation("meg", MEG, "MEG channels: lead field x source signal"),
)}


def get_observation(name):
    """The :class:`Observation` registered as ``name``.

    Examples
    --------
    >>> get_observation("eeg").sensors
    True
    """
    return lookup(OBSERVATIONS, name, "observation")
