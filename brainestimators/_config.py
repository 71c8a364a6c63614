"""Process-wide settings."""

import os

import jax

__all__ = ["enable_compilation_cache"]


def enable_compilation_cache(path=None, min_compile_time=0.0):
    """Keep compiled evaluators on disk, so new processes skip XLA compilation.

    A fit's fixed cost is XLA compilation (about 0.1 s for even a tiny
    simulation on a CPU). JAX's persistent cache stores each compiled
    evaluator under ``path``; joblib workers, repeated scripts and CI then
    load it instead of compiling. Tracing still runs (it computes the key).

    Parameters
    ----------
    path : str or None, default=None
        Cache directory; ``None`` uses ``$BRAINESTIMATORS_CACHE`` or
        ``~/.cache/brainestimators/jax``.
    min_compile_time : float, default=0.0
        Only programs that took at least this long (s) to compile are stored
        (JAX's default, 1 s, would skip every small model).

    Returns
    -------
    str
        The cache directory.

    Examples
    --------
    >>> import brainestimators as be
    >>> path = be.enable_compilation_cache("/tmp/be-cache")
    """
    path = path or os.environ.get("BRAINESTIMATORS_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "brainestimators", "jax")
    os.makedirs(path, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", float(min_compile_time))
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return path
