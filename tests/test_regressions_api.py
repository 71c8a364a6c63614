"""Regression tests of issue 16's API defects (r2-04 to r2-10, r2-12).

Each test fails on the code before its fix; the reproducers are
``../shared/reproducers/r2-NN-*.py``.
"""

import os

import jax
import numpy as np
import pytest

import brainestimators as be
from brainestimators._config import prune


# -- r2-05: the compilation cache prunes only its own files -------------------
def test_cache_prune_leaves_foreign_files_alone(tmp_path):
    for i in range(3):
        (tmp_path / f"chapter{i}.tex").write_bytes(b"x" * 1000)
    (tmp_path / "notes-cache").write_bytes(b"x" * 1000)  # a user's file, not JAX's name
    entries = [f"jit_f-{i:064x}-{kind}" for i in range(3) for kind in ("cache", "atime")]
    for i, name in enumerate(entries):
        (tmp_path / name).write_bytes(b"x" * 500)
        os.utime(tmp_path / name, (1000 + i, 1000 + i))
    old = (jax.config.jax_compilation_cache_dir,
           jax.config.jax_persistent_cache_min_compile_time_secs)
    try:  # a limit far below the folder's size forces a prune
        assert be.enable_compilation_cache(str(tmp_path), max_size=1000) == str(tmp_path)
    finally:
        jax.config.update("jax_compilation_cache_dir", old[0])
        jax.config.update("jax_persistent_cache_min_compile_time_secs", old[1])
    assert prune(str(tmp_path), 1000) <= 1000
    left = sorted(p.name for p in tmp_path.iterdir())
    assert {"chapter0.tex", "chapter1.tex", "chapter2.tex", "notes-cache"} <= set(left)
    assert {n for n in left if n in entries} == set(entries[4:])  # the newest entries stay
