"""Cross-process locks and atomic writes for the on-disk caches (models, baseline results).

The report runner executes notebooks in parallel (``python -m recnb report --jobs``). Two notebooks that
need the same fitted model must not both fit it: :func:`exclusive` holds an advisory lock on ``.<entry>.lock``
(``fcntl.flock``) while one process looks the entry up and, if it is missing, fits and writes it; the other
waits, then finds the entry. :func:`write_atomic` writes through a temporary file and ``os.replace``, so a
reader never sees half an entry. Where ``fcntl`` does not exist (Windows) the lock is a no-op: parallel
notebooks may then fit the same model twice, with the same result.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


@contextmanager
def exclusive(entry: Path) -> Iterator[None]:
    """Hold the cross-process lock of the cache entry ``entry`` (the hidden file ``.<entry>.lock`` beside it,
    created once and kept) for the duration of the ``with`` block; blocks while another process holds it."""
    if fcntl is None:
        yield
        return
    entry.parent.mkdir(parents=True, exist_ok=True)
    with open(entry.with_name(f".{entry.name}.lock"), "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


__all__ = ["exclusive", "write_atomic"]
