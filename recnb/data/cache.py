"""Locating a dataset's raw files, parsing them once, and caching the result as Parquet.

The cache key is the SHA-256 of the raw files plus :data:`PARSER_VERSION`, so a changed file or a
changed parser never serves a stale table. Writes are atomic: tables go to a temporary folder that is
renamed into place, so an interrupted run never leaves a half-written cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from ..env import DATA_LOG
from .fetch import processed_dir, search_path
from .schema import Dataset
from .sources import SOURCES, Source
from .sources.canonical import parse_file

PARSER_VERSION = "1"
_TABLES = ("events", "items", "users", "edges", "ledger")
_loaded: list[Dataset] = []
"""Datasets loaded in this process (the report runner records their checksums in the manifest)."""


def locate(name: str, data_path: str | Path | None = None) -> Path | None:
    """The first folder on the search path that holds a complete layout of ``name``'s files."""
    src = SOURCES[name]
    for root in search_path(data_path):
        folder = root / src.folder
        if any(all((folder / f).exists() for f in layout) for layout in src.layouts):
            return folder
    return None


def _key(src: Source, folder: Path) -> str:
    h = hashlib.sha256(f"{src.name}:{PARSER_VERSION}".encode())
    for layout in src.layouts:
        if all((folder / f).exists() for f in layout):
            for f in layout:
                st = (folder / f).stat()
                h.update(f"{f}:{st.st_size}".encode())
                h.update(_file_digest(folder / f).encode())
            break
    return h.hexdigest()[:16]


_digests: dict[tuple[str, int, int], str] = {}


def _file_digest(path: Path) -> str:
    """SHA-256 of a raw file, memoised by (path, size, mtime) within the process."""
    from .fetch import sha256_file

    st = path.stat()
    k = (str(path), st.st_size, st.st_mtime_ns)
    if k not in _digests:
        _digests[k] = sha256_file(path)
    return _digests[k]


def _write(ds: Dataset, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".tmp-"))
    try:
        for t in _TABLES:
            getattr(ds, t).to_parquet(tmp / f"{t}.parquet", index=False)
        meta = {k: getattr(ds, k) for k in ("name", "source", "licence", "files", "notes")}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
        try:
            os.replace(tmp, target)
        except OSError:  # another process won the race: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _read(target: Path) -> Dataset:
    meta = json.loads((target / "meta.json").read_text())
    tables = {t: pd.read_parquet(target / f"{t}.parquet") for t in _TABLES}
    return Dataset(events=tables["events"], items=tables["items"], users=tables["users"],
                   edges=tables["edges"], ledger=tables["ledger"], validate=False, **meta)


def load_dataset(name: str, data_path: str | Path | None = None, path: str | Path | None = None,
                 cache: bool = True, fetch: bool = False) -> Dataset:
    """Load a dataset by name (``ml-100k``, ``taobao``, ``retailrocket``, ``lastfm``, ``ciao``), or
    ``canonical`` with ``path`` to a CSV/Parquet file.

    Args:
        data_path: extra folders to search before ``RECNB_DATA_PATH`` and ``data/raw``.
        cache: read/write the Parquet cache under ``data/processed``.
        fetch: download the files when missing (only sources that can be fetched).

    Raises:
        FileNotFoundError: the files are not on the search path (the message says how to get them).
        ChecksumError: a raw file's SHA-256 differs from the pinned one.
        DataValidationError: a raw file is malformed.
    """
    if name == "canonical":
        if path is None:
            raise ValueError("the canonical source needs path=<csv or parquet file>")
        ds = parse_file(Path(path))
        _remember(ds)
        return ds
    if name not in SOURCES:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(SOURCES)}, canonical")
    src = SOURCES[name]
    folder = locate(name, data_path)
    if folder is None and fetch and src.fetch is not None:
        folder = src.fetch()
    if folder is None:
        where = ", ".join(str(p) for p in search_path(data_path))
        raise FileNotFoundError(f"dataset {name!r}: no folder {src.folder!r} with its files under {where}. "
                                f"Get it: {src.how_to_get}")
    if not cache:
        ds = src.parse(folder)
    else:
        target = processed_dir() / f"{name}-{_key(src, folder)}"
        if (target / "meta.json").exists():
            ds = _read(target)
        else:
            ds = src.parse(folder)
            _write(ds, target)
    _remember(ds)
    return ds


def _remember(ds: Dataset) -> None:
    """Keep the checksums of what was loaded; append them to ``RECNB_DATA_LOG`` when it is set
    (the report runner reads that file into the manifest)."""
    _loaded.append(ds)
    log = os.environ.get(DATA_LOG)
    if log:
        with open(log, "a") as f:
            f.write(json.dumps({"dataset": ds.name, "source": ds.source, "files": ds.files}) + "\n")


def available(data_path: str | Path | None = None) -> pd.DataFrame:
    """One row per known dataset: whether it was found, where, and how to get it otherwise."""
    rows = []
    for name, src in SOURCES.items():
        folder = locate(name, data_path)
        rows.append({"dataset": name, "status": "available" if folder else "missing",
                     "where": str(folder) if folder else "", "how to get it": src.how_to_get})
    return pd.DataFrame(rows)


def loaded_checksums() -> dict[str, dict[str, str]]:
    """``{dataset: {file: sha256}}`` for every dataset loaded in this process."""
    return {ds.name: dict(ds.files) for ds in _loaded}
