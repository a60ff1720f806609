"""Measurements in a fresh Python process, so that one step's peak memory is its own: :func:`run_in_child`
calls a function of a bench module there and returns its JSON result; :func:`peak_rss_mb` is the peak
resident memory a child reports. This module imports nothing heavy, so a child starts light."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The folder that holds the ``recnb`` package, put first on a child's ``PYTHONPATH``."""


def peak_rss_mb() -> float:
    """This process's peak resident set size in MiB (``VmHWM`` of ``/proc/self/status``, which, unlike
    ``ru_maxrss``, does not carry the parent's peak over ``exec``; ``ru_maxrss`` where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_in_child(module: str, function: str, *args: object) -> dict[str, float]:
    """``module.function(*args)`` in a fresh interpreter (``args``: literals, passed by their ``repr``);
    returns the dict it returned, which must be JSON. Raises with the child's stderr if it fails."""
    code = f"import json; from {module} import {function}; print('RESULT ' + json.dumps({function}(*{args!r})))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"{module}.{function}{args!r} failed:\n{proc.stderr[-3000:]}")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])
