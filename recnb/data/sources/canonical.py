"""Any CSV, TSV or Parquet file already in the canonical columns (``user_id, item_id, event, value[,
timestamp]``): a reader's own log. A missing ``timestamp`` column means the log has no time.

CSV and TSV files follow RFC 4180 (a quoted field may hold the separator, ``""`` or a line break), may
start with a UTF-8 byte-order mark and may use CRLF line ends. Ids may be any strings (``u1``, ASINs,
UUIDs). With ``time="order"`` the ``timestamp`` column holds each event's position 0, 1, 2 ... in its
user's sequence instead of a time (a log with order but no clock).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv

from ..fetch import sha256_file
from ..readers import read_delimited, read_header
from ..schema import EVENT_COLUMNS, ORDER_NOTE, Dataset, DataValidationError, epoch_seconds, validate_events

SUFFIXES = (".csv", ".tsv", ".txt", ".parquet")


def parse_file(path: Path, name: str | None = None, time: str = "clock") -> Dataset:
    """Read and validate ``path`` (``.csv``, ``.tsv`` or ``.parquet``; ``.txt`` is read as CSV).

    Args:
        path: the file.
        name: the dataset name (default: the file name without suffix).
        time: ``"clock"`` (``timestamp`` holds times) or ``"order"`` (it holds positions, see
            :func:`~recnb.data.schema.validate_events`).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise IsADirectoryError(f"{path}: a folder; the canonical source reads one CSV, TSV or Parquet file")
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        lines = None
    else:
        sep = "\t" if path.suffix == ".tsv" else ","
        names = read_header(path, sep, quote=True)
        if not names:
            raise DataValidationError(str(path), 1, "user_id", "", "a header row with the canonical columns "
                                      "(the file is empty)", "empty file, found")
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise DataValidationError(str(path), 1, dup, sep.join(names), "each column named once",
                                      "duplicated header column")
        frame = read_delimited(path, sep, names, header=True, quote=True)
        lines = frame["_line"].to_numpy()
    missing = [c for c in EVENT_COLUMNS if c not in frame.columns and c != "timestamp"]
    if missing:
        found = [c for c in frame.columns if c != "_line"]
        hint = (" (a one-user-per-line sequence file? load_dataset('sequences', path=...) reads it)"
                if len(found) == 1 and len(str(found[0]).split()) > 1 else "")
        raise DataValidationError(str(path), 1, missing[0], found,
                                  f"columns {list(EVENT_COLUMNS)} (timestamp optional){hint}",
                                  "missing column; found columns")
    if "timestamp" not in frame.columns:
        if time == "order":
            raise DataValidationError(str(path), 1, "timestamp", [c for c in frame.columns if c != "_line"],
                                      "a timestamp column holding positions 0, 1, 2 ... (time=\"order\")",
                                      "missing column; found columns")
        frame = frame.assign(timestamp=pd.NaT)
    events = validate_events(frame, str(path), lines, time=time)
    notes = [ORDER_NOTE] if time == "order" else []
    extra = [c for c in frame.columns if c not in EVENT_COLUMNS and c != "_line"]
    if extra:
        notes.append(f"Columns outside the canonical schema were not loaded: {', '.join(map(str, extra))}.")
    for column in ("user_id", "item_id"):
        if not pd.api.types.is_integer_dtype(events[column].dtype):
            notes.append(f"{column}: string ids, kept exactly as written (surrounding blanks removed).")
    return Dataset(name=name or path.stem, events=events, source=str(path.resolve()), licence="as supplied",
                   files={path.name: sha256_file(path)}, notes=notes, ordered=time == "order", validate=False)


def write_file(events: pd.DataFrame, path: str | Path) -> Path:
    """Write a canonical event log as CSV (RFC 4180 quoting where a field needs it, ``timestamp`` in Unix
    seconds, blank when missing): the format :func:`parse_file` reads. Returns ``path``."""
    path = Path(path)
    ts = events["timestamp"]
    timed = ts.notna().to_numpy()
    seconds = np.zeros(len(ts), dtype=np.int64)
    if timed.any():
        seconds[timed] = epoch_seconds(ts[timed])
    value = events["value"].to_numpy(dtype="float64")
    whole = bool(np.all(value == np.round(value)))
    table = pa.table({
        "user_id": pa.array(events["user_id"]), "item_id": pa.array(events["item_id"]),
        "event": pa.array(events["event"].astype("str")),
        "value": pa.array(value.astype(np.int64) if whole else value),
        "timestamp": pa.array(seconds, mask=~timed),
    })
    special = [c for c in ("user_id", "item_id") if not pd.api.types.is_integer_dtype(events[c].dtype)
               and events[c].astype("str").str.contains(r'[,"\r\n]', regex=True).any()]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write((",".join(EVENT_COLUMNS) + "\n").encode())
        pcsv.write_csv(table, f, pcsv.WriteOptions(include_header=False,
                                                   quoting_style="needed" if special else "none"))
    return path
