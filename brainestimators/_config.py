"""Process-wide settings: JAX's persistent compilation cache, on by default.

A fit's fixed cost in a fresh process is tracing and XLA compilation, not
the simulation. Importing brainestimators therefore points JAX's persistent
compilation cache at ``$BRAINESTIMATORS_CACHE`` or
``~/.cache/brainestimators/jax`` (at most :data:`DEFAULT_MAX_SIZE` bytes,
least recently used entries evicted first), unless

* ``BRAINESTIMATORS_CACHE`` is ``0``, ``off``, ``false`` or ``no`` (opt out);
* a cache directory is already configured (``JAX_COMPILATION_CACHE_DIR`` or
  ``jax.config.update('jax_compilation_cache_dir', ...)`` before the import):
  the user's choice is kept, size limit and thresholds included;
* JAX's cache is switched off (``JAX_ENABLE_COMPILATION_CACHE=false``);
* the directory cannot be created (a read-only home): then nothing is cached.
"""

import importlib.util
import os
import re

import jax

__all__ = ["enable_compilation_cache", "DEFAULT_MAX_SIZE"]

#: Default size limit of the cache directory (bytes).
DEFAULT_MAX_SIZE = 2 * 2**30

_OFF = {"0", "off", "false", "no", "none"}

# The names JAX's persistent cache gives its entries (jax/_src/lru_cache.py):
# ``<module>-<sha256 hex>-cache`` and, when JAX evicts itself (filelock
# installed), its access time ``...-atime``. Only such files are ever pruned:
# the directory may be one the user also keeps other files in.
_ENTRY = re.compile(r"^(.+-[0-9a-f]{64})-(cache|atime)$")


def _default_path():
    return os.path.join(os.path.expanduser("~"), ".cache", "brainestimators", "jax")


def enable_compilation_cache(path=None, min_compile_time=0.0, max_size=DEFAULT_MAX_SIZE):
    """Keep compiled evaluators on disk, so new processes skip XLA compilation.

    Called at import with the defaults (see the module docstring); call it
    yourself to choose another directory. JAX's persistent cache stores each
    compiled evaluator under ``path``; joblib workers, repeated scripts and
    CI then load it instead of compiling. Tracing still runs (it computes the
    key).

    Parameters
    ----------
    path : str or None, default=None
        Cache directory; ``None`` uses ``$BRAINESTIMATORS_CACHE`` or
        ``~/.cache/brainestimators/jax``.
    min_compile_time : float, default=0.0
        Only programs that took at least this long (s) to compile are stored
        (JAX's default, 1 s, would skip every small model).
    max_size : int, default=DEFAULT_MAX_SIZE
        Size limit of the directory in bytes (``-1``: no limit). JAX evicts
        the least recently used entries itself when the ``filelock`` package
        is installed (it needs it for ``jax_compilation_cache_max_size``);
        otherwise the oldest entries are pruned here, once, when the cache
        is enabled. Only the cache's own entries count and are pruned
        (files named ``<name>-<sha256>-cache`` / ``-atime``, as JAX writes
        them); any other file in ``path`` is left alone.

    Returns
    -------
    str
        The cache directory.

    Examples
    --------
    >>> import brainestimators as be
    >>> path = be.enable_compilation_cache("/tmp/be-cache")
    """
    env = os.environ.get("BRAINESTIMATORS_CACHE", "")
    path = path or (env if env.lower() not in _OFF else None) or _default_path()
    os.makedirs(path, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", float(min_compile_time))
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    if (hasattr(jax.config, "jax_compilation_cache_max_size")
            and importlib.util.find_spec("filelock") is not None):
        add_access_times(path)
        jax.config.update("jax_compilation_cache_max_size", int(max_size))
    elif max_size >= 0:
        prune(path, max_size)
    return path


def _entries(path):
    """``{key: [(time, size, file), ...]}`` of the cache's own files in ``path``."""
    out = {}
    with os.scandir(path) as it:
        for e in it:
            m = _ENTRY.match(e.name)
            if m and e.is_file(follow_symlinks=False):
                st = e.stat(follow_symlinks=False)
                out.setdefault(m.group(1), []).append(
                    (max(st.st_atime, st.st_mtime), st.st_size, e.path))
    return out


def prune(path, max_size):
    """Delete the least recently used cache entries of ``path`` until they hold at most
    ``max_size`` bytes; files the cache did not write are neither counted nor touched.

    An entry's ``-cache`` and ``-atime`` files go together (JAX's own
    eviction reads the access time of every ``-cache`` file it finds).
    """
    entries = sorted((max(t for t, _, _ in files), sum(size for _, size, _ in files), files)
                     for files in _entries(path).values())
    total = sum(size for _, size, _ in entries)
    for _, size, files in entries:
        if total <= max_size:
            break
        for _, _, file in sorted(files, key=lambda f: not f[2].endswith("-cache")):
            try:  # the -cache file first: an orphaned -atime is harmless
                os.remove(file)
            except OSError:
                break
        else:
            total -= size
    return total


def add_access_times(path):
    """Give every ``-cache`` entry without one an ``-atime`` file (its modification time).

    Entries written while ``filelock`` was missing have none, and JAX's own
    eviction, on once ``filelock`` is installed, fails on them (every write
    then warns "Error writing persistent compilation cache entry").
    """
    for key, files in _entries(path).items():
        names = [f for _, _, f in files]
        cache = os.path.join(path, key + "-cache")
        if cache in names and os.path.join(path, key + "-atime") not in names:
            try:
                with open(os.path.join(path, key + "-atime"), "wb") as f:
                    f.write(os.stat(cache).st_mtime_ns.to_bytes(8, "little"))
            except OSError:
                pass


def default_compilation_cache():
    """Switch the cache on as described in the module docstring; the directory or None."""
    if os.environ.get("BRAINESTIMATORS_CACHE", "").strip().lower() in _OFF - {""}:
        return None
    if jax.config.jax_compilation_cache_dir or not jax.config.jax_enable_compilation_cache:
        return None
    try:
        return enable_compilation_cache()
    except OSError:
        return None
