"""Any CSV or Parquet file already in the canonical columns (``user_id, item_id, event, value[,
timestamp]``); a missing ``timestamp`` column means the log has no time."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..fetch import sha256_file
from ..readers import read_delimited
from ..schema import EVENT_COLUMNS, Dataset, DataValidationError, validate_events


def parse_file(path: Path, name: str | None = None) -> Dataset:
    """Read and validate ``path`` (``.csv``, ``.tsv`` or ``.parquet``)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        lines = None
    else:
        sep = "\t" if path.suffix == ".tsv" else ","
        head = path.read_bytes().split(b"\n", 1)[0].decode("utf-8", errors="replace").strip("\r")
        if not head.strip():
            raise DataValidationError(str(path), 1, "user_id", "", "a header row with the canonical columns "
                                      "(the file is empty)", "empty file, found")
        names = [h.strip() for h in head.split(sep)]
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise DataValidationError(str(path), 1, dup, head, "each column named once", "duplicated header column")
        frame = read_delimited(path, sep, names, header=True)
        lines = frame["_line"].to_numpy()
    missing = [c for c in EVENT_COLUMNS if c not in frame.columns and c != "timestamp"]
    if missing:
        raise DataValidationError(str(path), 1, missing[0], list(frame.columns),
                                  f"columns {list(EVENT_COLUMNS)} (timestamp optional)",
                                  "missing column; found columns")
    if "timestamp" not in frame.columns:
        frame = frame.assign(timestamp=pd.NaT)
    events = validate_events(frame, str(path), lines)
    return Dataset(name=name or path.stem, events=events, source=str(path), licence="as supplied",
                   files={path.name: sha256_file(path)}, validate=False)
