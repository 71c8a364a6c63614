"""The simulation's static configuration, from the model's checked values.

Steps, sampling, delays and the observation: everything that keys the
compiled simulation (:class:`~._simulation.SimConfig`).
"""

import numpy as np

from ._lead_field import lead_field
from ._simulation import SimConfig

__all__ = ["sim_config"]


def sim_config(model, mode, drive_kind, n_time, n_regions, noise_fitted):
    """The :class:`~._simulation.SimConfig` of a fit or prediction (static: keys the compile).

    ``n_regions``: columns of the target (channels for sensors) or inputs of
    the drive; ``noise_fitted``: whether ``noise_sigma`` is fitted (then the
    noise is on even at a zero start).
    """
    p, spec, conn, times = model.params, model.spec, model.conn, model.times
    n_channels = None
    if model.sensors:
        L = lead_field(p, None if conn is None else conn.shape[0])
        n_channels = L.shape[0]
        if mode == "target":
            if n_regions != n_channels:
                raise ValueError(
                    f"X has {n_regions} channels but lead_field has {n_channels} rows. X is a "
                    "stack of epochs (n_epochs, n_time, n_channels); a single (n_time, "
                    "n_channels) recording is X[None].")
            n_regions = L.shape[1]
    if conn is not None:
        if drive_kind != "none" and n_regions not in (1, conn.shape[0]):
            raise ValueError(
                f"X has {n_regions} inputs but connectivity has {conn.shape[0]} regions; "
                "give one input per region or a single shared input."
            )
        if mode == "target" and n_regions != conn.shape[0]:
            raise ValueError(
                f"X has {n_regions} regions but connectivity has {conn.shape[0]}. X is a "
                "stack (n_samples, n_time, n_regions); a single (n_time, n_regions) "
                "recording is X[None]."
            )
        n_regions = conn.shape[0]
        if not spec.couplings and not spec.builtin_network:
            raise ValueError(f"{spec.name} has no coupling variable; connectivity is not supported.")
    dt, sample_dt = times["dt"], times["sample_dt"]
    ratio = 1.0 if sample_dt is None else sample_dt / dt
    if not ratio >= 1 - 1e-9:
        raise ValueError(f"sample_dt must be >= dt, got sample_dt={sample_dt} ms, dt={dt} ms.")
    sample_every, sample_ratio = int(round(ratio)), None
    if abs(ratio - sample_every) > 1e-6 * ratio:
        # e.g. a 720 ms TR on a 100 ms grid: the step nearest each sampling time
        sample_every, sample_ratio = 1, ratio
    transient = _steps(times["transient"], dt, "transient")
    if mode == "readout" and drive_kind == "const":
        n_run = _steps(times["duration"], dt, "duration")
        if n_run < 1:
            raise ValueError(f"duration must be at least one dt, got {p['duration']}.")
    elif sample_ratio is not None:
        n_run = int(round((n_time - 1) * sample_ratio)) + 1
    else:
        n_run = n_time * sample_every
    given = p["initial_state"] or {}
    return SimConfig(
        model=model.key, n_regions=int(n_regions), n_steps=transient + n_run,
        dt=dt, transient_steps=transient, sample_every=sample_every,
        sample_ratio=sample_ratio, n_time=n_time if sample_ratio is not None else None,
        monitor=model.monitor, drive=drive_kind,
        coupling=p.get("coupling") if conn is not None and not spec.builtin_network else None,
        noise=bool((np.any(np.asarray(p["noise_sigma"]) > 0) or noise_fitted) and spec.noise),
        initial=tuple(sorted(given)),
        delays=_delay_steps(model, conn, dt) if conn is not None else None,
        observation=p["observation"],
        n_channels=n_channels,
        sensor_noise=bool(n_channels and float(p.get("sensor_noise") or 0) > 0),
    )


def _steps(value, dt, what):
    ratio = value / dt
    n = int(round(ratio))
    if abs(ratio - n) > 1e-6 * max(1.0, abs(ratio)):
        raise ValueError(f"{what}={value} ms is not a whole number of dt={dt} ms steps.")
    return n


def _delay_steps(model, conn, dt):
    """Conduction delays ``distance / speed`` in whole steps (static), or None."""
    if model.distance is None:
        return None
    D = model.distance
    if D.shape != conn.shape:
        raise ValueError(f"distance has shape {D.shape}; connectivity has {conn.shape}.")
    if not np.all(np.isfinite(D)) or np.any(D < 0):
        raise ValueError("distance must be finite and non-negative (mm).")
    speed = model.params.get("speed")
    v = model.speed if model.speed is not None else np.nan
    if not v > 0:
        raise ValueError(
            f"speed must be a positive number of mm/ms (= m/s) with distance, got {speed!r}.")
    steps = np.rint(D / v / dt).astype(int)
    np.fill_diagonal(steps, 0)
    return tuple(steps.ravel().tolist()) if steps.any() else None
