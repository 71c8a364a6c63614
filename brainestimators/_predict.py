"""Predictions and draws in fixed-size chunks.

A vmapped float32 simulation of 3 rows and of 5 rows are different XLA
programs and may round differently (about 1e-7), so a row's prediction would
depend on the batch it came in. Rows (drives, noise keys) are therefore
evaluated in chunks of :data:`CHUNK`, the last one padded: every row runs in
the same program, predictions are bit-identical whatever the batch size, and
any ``n_samples`` reuses one compilation.
"""

import jax.numpy as jnp
import numpy as np

__all__ = ["CHUNK", "predict", "sample", "in_chunks"]

CHUNK = 8


def in_chunks(rows, fn):
    n = rows.shape[0]
    out = []
    for start in range(0, n, CHUNK):
        part = rows[start:start + CHUNK]
        pad = CHUNK - part.shape[0]
        if pad:
            part = jnp.concatenate([part, jnp.repeat(part[-1:], pad, axis=0)])
        out.append(np.asarray(fn(part), dtype=np.float64)[:CHUNK - pad])
    return np.concatenate(out)


def predict(plan, theta, drive, key):
    """The model's counterpart of the target: one recording, or one row per drive."""
    ev = plan.evaluator
    if plan.config.mode == "target":
        return np.asarray(ev.predict(theta, plan.fixed, None, key), dtype=np.float64)
    return in_chunks(drive, lambda d: ev.predict(theta, plan.fixed, d, key))


def sample(plan, theta, drive, keys):
    """One prediction per noise key (``keys`` of shape ``(n,)``)."""
    ev = plan.evaluator
    return in_chunks(keys, lambda k: ev.sample(theta, plan.fixed, drive, k))
