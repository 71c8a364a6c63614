"""Run one benchmark measurement in a fresh process and read its peak RSS.

A benchmark script calls :func:`in_child` with its own ``--child`` arguments;
the child prints one JSON line (its result plus ``peak_rss_gb`` from
:func:`peak_rss_gb`) as its last line of output.
"""

import json
import resource
import subprocess
import sys


def peak_rss_gb():
    """This process's peak resident set size in GB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def in_child(script, args, labels, timeout=3600):
    """``python script --child *args`` in a fresh process: its JSON result with ``labels``."""
    cmd = [sys.executable, script, "--child", *map(str, args)]
    try:
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=timeout)
    except subprocess.CalledProcessError as err:
        return {**labels, "error": err.stderr.strip().splitlines()[-1:]}
    except subprocess.TimeoutExpired:
        return {**labels, "error": f"timed out after {timeout} s"}
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res.update(labels)
    return res


def report(rows, path=None):
    """Print ``rows`` as one JSON line and, with ``path``, save them there."""
    print(json.dumps(rows))
    if path:
        with open(path, "w") as f:
            json.dump(rows, f, indent=1)
    return rows
