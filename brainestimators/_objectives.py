"""Objectives: the one entry point that turns an ``objective=`` value into an :class:`Objective`.

The named objectives (:data:`OBJECTIVES`, :class:`Objective`) are in
:mod:`._objective_registry`, their builders in :mod:`._objective_builders`,
:mod:`._fcd_objectives` and :mod:`._sensor_objectives`, weighted sums in
:mod:`._joint_objectives`; this module gathers them for the estimators, the
scorers and the public namespace.
"""

from ._joint_objectives import JointObjective, joint_objective
from ._objective_builders import mse, psd_corr, std_rmse
from ._objective_registry import OBJECTIVES, Objective, as_objective, get_objective

__all__ = ["Objective", "JointObjective", "OBJECTIVES", "get_objective", "resolve_objective",
           "mse", "psd_corr", "std_rmse"]


def resolve_objective(objective):
    """Return the :class:`Objective` for a name, a dict, an Objective or a callable.

    Named objectives are built once per process, so estimators (and their
    clones) that name the same objective share one compiled evaluator. A
    dict ``{name: weight}`` is a :class:`JointObjective` (weighted sum).
    """
    if isinstance(objective, dict):
        return joint_objective(objective)
    return as_objective(objective)
