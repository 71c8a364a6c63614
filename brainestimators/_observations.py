"""Observation models: what a recording sees of the simulated node.

An observation is a small brainstate module built from the number of
regions and the monitored variable, updated after every integration step
(``update(node)``) and read only at the kept samples (``read(node)``), so a
recording's memory follows its samples, not its steps. Adding one is one
class here and one line in :data:`OBSERVATIONS`.
"""

import brainmass
import brainstate
import brainunit as u

from ._network import read_state

__all__ = ["OBSERVATIONS", "get_observation"]


class Monitored(brainstate.nn.Module):
    """The monitored state itself (no observation model)."""

    def __init__(self, n, monitor):
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

    def __init__(self, n, monitor):
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


#: Observation models by the name the estimators' ``observation=`` takes.
OBSERVATIONS = {
    None: Monitored,
    "bold": BOLD,
}


def get_observation(name):
    """The observation class registered as ``name``."""
    try:
        return OBSERVATIONS[name]
    except KeyError:
        raise ValueError(
            f"observation must be one of {sorted(OBSERVATIONS, key=str)}, got {name!r}."
        ) from None
