"""Locating a dataset's raw files, parsing them once, and caching the result as Parquet that checks itself.

A cache entry is a folder ``data/processed/<name>-<key>/`` holding one Parquet file per table and
``meta.json``. The key hashes the raw files' SHA-256 and :data:`PARSER_VERSION`, so a changed file or a
changed parser never serves a stale table. ``meta.json`` records each table file's SHA-256 and its own
digest; a read verifies all of them on the very bytes it parses. A missing, truncated, corrupt or altered
entry is never used: it is rebuilt from the raw files, with one warning line saying so.

Writes are atomic: an entry is written to a temporary folder that is renamed into place (a damaged entry
is first renamed away), and a reader opens the entry's folder once and reads every file through that
handle, so concurrent runs never mix or read half-written tables.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import pandas as pd

from ..env import DATA_LOG
from .fetch import processed_dir, search_path, sha256_file
from .schema import Dataset
from .sources import SOURCES, Source
from .sources.canonical import SUFFIXES, parse_file
from .sources.sequences import parse_file as parse_sequences

PARSER_VERSION = "2"
_TABLES = ("events", "items", "users", "edges", "ledger")
_META = ("name", "source", "licence", "files", "notes", "ordered")
_loaded: list[Dataset] = []
"""Datasets loaded in this process (the report runner records their checksums in the manifest)."""
log = logging.getLogger("recnb.data")


class CacheDamaged(Exception):
    """A cache entry that must not be used; ``str()`` says why."""


def locate(name: str, data_path: str | Path | None = None) -> Path | None:
    """The first folder on the search path that holds a complete layout of ``name``'s files."""
    src = SOURCES[name]
    for root in search_path(data_path):
        folder = root / src.folder
        if any(all((folder / f).exists() for f in layout) for layout in src.layouts):
            return folder
    return None


_digests: dict[tuple[str, int, int], str] = {}


def _file_digest(path: Path) -> str:
    """SHA-256 of a raw file, memoised by (path, size, mtime) within the process."""
    st = path.stat()
    k = (str(path), st.st_size, st.st_mtime_ns)
    if k not in _digests:
        _digests[k] = sha256_file(path)
    return _digests[k]


def _raw_digests(src: Source, folder: Path) -> dict[str, str]:
    """``{file: SHA-256}`` of the first complete layout of ``src`` in ``folder``."""
    for layout in src.layouts:
        if all((folder / f).exists() for f in layout):
            return {f: _file_digest(folder / f) for f in layout}
    raise FileNotFoundError(f"{folder}: none of {src.layouts} is complete")


def _key(label: str, digests: dict[str, str]) -> str:
    h = hashlib.sha256(f"{label}:{PARSER_VERSION}".encode())
    for f, sha in digests.items():
        h.update(f"{f}:{sha}".encode())
    return h.hexdigest()[:16]


def _meta_digest(meta: dict[str, object]) -> str:
    body = {k: v for k, v in meta.items() if k != "meta_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _write(ds: Dataset, target: Path, replace_damaged: bool = False) -> None:
    """Write ``ds`` as the entry ``target``, atomically; a damaged entry there is replaced when asked,
    a valid one written meanwhile by another process is kept."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".tmp-"))
    try:
        tables = {}
        for t in _TABLES:
            f = tmp / f"{t}.parquet"
            getattr(ds, t).to_parquet(f, index=False)
            tables[f.name] = sha256_file(f)
        meta: dict[str, object] = {k: getattr(ds, k) for k in _META}
        meta.update(parser=PARSER_VERSION, tables=tables)
        meta["meta_sha256"] = _meta_digest(meta)
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
        if replace_damaged and target.exists():
            trash = Path(tempfile.mkdtemp(dir=target.parent, prefix=".damaged-"))
            try:
                os.replace(target, trash / "entry")
            except OSError:  # another process moved it first
                pass
            shutil.rmtree(trash, ignore_errors=True)
        try:
            os.replace(tmp, target)
        except OSError:  # another process installed an entry first: keep theirs
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _read(target: Path, raw: dict[str, str]) -> Dataset:
    """The entry ``target``, every digest verified; ``raw`` are the digests of the raw files just hashed.

    Raises:
        FileNotFoundError: there is no entry.
        CacheDamaged: the entry is incomplete, unreadable or altered.
    """
    fd = os.open(target, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        def read(name: str) -> bytes:
            try:
                with open(name, "rb", opener=lambda p, flags: os.open(p, flags, dir_fd=fd)) as f:
                    return f.read()
            except FileNotFoundError:
                raise CacheDamaged(f"{name} is missing") from None

        try:
            meta = json.loads(read("meta.json"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise CacheDamaged("meta.json is not valid JSON") from None
        if not isinstance(meta, dict) or meta.get("meta_sha256") != _meta_digest(meta):
            raise CacheDamaged("meta.json does not match its recorded SHA-256 (altered)")
        if meta.get("parser") != PARSER_VERSION or set(meta.get("tables", {})) != {f"{t}.parquet" for t in _TABLES}:
            raise CacheDamaged("meta.json describes another cache format")
        files = meta.get("files")
        if not isinstance(files, dict) or any(files.get(f, sha) != sha for f, sha in raw.items()):
            raise CacheDamaged("meta.json names other raw files than those on disk")
        tables = {}
        for t in _TABLES:
            data = read(f"{t}.parquet")
            if hashlib.sha256(data).hexdigest() != meta["tables"][f"{t}.parquet"]:
                raise CacheDamaged(f"{t}.parquet does not match its recorded SHA-256 (truncated or altered)")
            try:
                tables[t] = pd.read_parquet(io.BytesIO(data))
            except Exception as err:  # noqa: BLE001 - any unreadable table means a damaged entry
                raise CacheDamaged(f"{t}.parquet is unreadable ({type(err).__name__})") from None
    finally:
        os.close(fd)
    return Dataset(events=tables["events"], items=tables["items"], users=tables["users"], edges=tables["edges"],
                   ledger=tables["ledger"], validate=False, **{k: meta[k] for k in _META})


def _cached(target: Path, raw: dict[str, str], build: Callable[[], Dataset]) -> Dataset:
    """Read ``target`` when it is intact, else build the dataset from the raw files and cache it."""
    damaged = False
    try:
        return _read(target, raw)
    except FileNotFoundError:
        pass  # not cached yet
    except CacheDamaged as why:
        log.warning("recnb cache %s is damaged (%s): not used; rebuilt from the raw files", target, why)
        damaged = True
    # built outside the except blocks: a parse error of the raw files is raised alone, not chained to the
    # cache miss that led to parsing
    ds = build()
    _write(ds, target, replace_damaged=damaged)
    return ds


FILE_SOURCES = ("canonical", "sequences")
"""Sources that read one file of the user's: a canonical CSV/TSV/Parquet log, or a sequence file."""


def canonical_file(path: str | Path | None, data_path: str | Path | None, name: str = "canonical") -> Path:
    """The file a file source reads: ``path``, else the entry of ``data_path`` that is a file."""
    if path is not None:
        return Path(path).expanduser()
    parts = [] if not data_path else str(data_path).split(os.pathsep)
    files = [Path(p).expanduser() for p in parts if p and Path(p).expanduser().is_file()]
    if files:
        return files[0]
    hint = ", ".join(p for p in parts if p and Path(p).suffix in SUFFIXES)
    raise ValueError(f"the {name} source reads one file: load_dataset({name!r}, path='mylog.csv'), or a "
                     "data_path naming the file" + (f" (not found: {hint})" if hint else ""))


def load_dataset(name: str, data_path: str | Path | None = None, path: str | Path | None = None,
                 cache: bool = True, fetch: bool = False, time: str = "clock") -> Dataset:
    """Load a dataset by name (see ``python -m recnb data list``), or one file of a reader's own, given as
    ``path`` or as a ``data_path`` that names the file: ``canonical`` (a CSV / TSV / Parquet file in the
    canonical columns) or ``sequences`` (one user per line, ``user item item ...``).

    Args:
        data_path: extra folders to search before ``RECNB_DATA_PATH`` and ``data/raw``.
        cache: read/write the self-checking Parquet cache under ``data/processed``.
        fetch: download the files when missing (only sources that can be fetched).
        time: canonical only: ``"clock"`` (the ``timestamp`` column holds times) or ``"order"`` (it holds
            each event's position 0, 1, 2 ... in its user's sequence: a log with order but no clock).

    Raises:
        FileNotFoundError: the files are not on the search path (the message says how to get them).
        ChecksumError: a raw file's SHA-256 differs from the pinned one.
        DataValidationError: a raw file is malformed.
    """
    if name in FILE_SOURCES:
        file = canonical_file(path, data_path, name)
        if not file.is_file():
            raise FileNotFoundError(f"{file}: no such file")
        if name == "sequences" and time != "clock":
            raise ValueError("time= is an option of the canonical source; a sequence file is ordered by position")
        raw = {file.name: _file_digest(file.resolve())}
        build = (lambda: parse_file(file, time=time)) if name == "canonical" else (lambda: parse_sequences(file))
        target = processed_dir() / f"{name}-{_key(f'{name}:{time}', raw)}"
        ds = _cached(target, raw, build) if cache else build()
        _remember(ds)
        return ds
    if name not in SOURCES:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(SOURCES)}, {', '.join(FILE_SOURCES)}")
    if time != "clock":
        raise ValueError(f"time={time!r} is an option of the canonical source; {name} knows its own time column")
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
        raw = _raw_digests(src, folder)
        ds = _cached(processed_dir() / f"{name}-{_key(name, raw)}", raw, lambda: src.parse(folder))
    _remember(ds)
    return ds


def _remember(ds: Dataset) -> None:
    """Keep the checksums of what was loaded; append them to ``RECNB_DATA_LOG`` when it is set
    (the report runner reads that file into the manifest)."""
    _loaded.append(ds)
    log_file = os.environ.get(DATA_LOG)
    if log_file:
        with open(log_file, "a") as f:
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
