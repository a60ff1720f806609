"""Writing a split to disk so that a peer library runs on the identical data.

* ``parquet``: ``events.parquet`` (raw ids, event, value, timestamp, role) plus ``users.parquet`` and
  ``items.parquet`` (index -> raw id maps);
* ``recbole``: RecBole atomic files (Zhao et al., CIKM 2021) as three benchmark files
  ``<name>.train.inter``, ``<name>.valid.inter`` and ``<name>.test.inter`` (use
  ``benchmark_filename: [train, valid, test]`` in RecBole's config). Train holds the train events, valid
  the validation targets, test the gap events then the test targets. Untimed events get the user's last
  timed second plus their position (RecBole needs a number to order by).

Every file is written to a temporary name and renamed, so a partial export is never left behind.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from .schema import EVENT_TYPES
from .split import Split


def _atomic(frame: pd.DataFrame, path: Path, kind: str) -> None:
    tmp = path.with_name(path.name + ".part")
    if kind == "parquet":
        frame.to_parquet(tmp, index=False)
    else:
        frame.to_csv(tmp, sep="\t", index=False)
    os.replace(tmp, path)


def _export_frame(split: Split) -> pd.DataFrame:
    ev = split.events
    t = ev["t"].to_numpy().copy()
    untimed = np.isnan(t)
    if untimed.any():
        u = ev["u"].to_numpy()
        last = pd.Series(np.where(untimed, -np.inf, t)).groupby(u).cummax().to_numpy()
        last = np.where(np.isinf(last), 0.0, last)
        nth = pd.Series(untimed.astype(int)).groupby(u).cumsum().to_numpy()  # 1, 2, ... per user
        t[untimed] = last[untimed] + nth[untimed]
    return pd.DataFrame({"user_id": split.user_ids[ev["u"].to_numpy()], "item_id": split.item_ids[ev["i"].to_numpy()],
                         "event": np.array(EVENT_TYPES, dtype=object)[ev["event"].to_numpy()],
                         "value": ev["v"].to_numpy(), "timestamp": t, "role": ev["role"].astype(str).to_numpy()})


def export_split(split: Split, out: str | Path, fmt: str = "parquet") -> list[Path]:
    """Write ``split`` under ``out`` in ``fmt`` (``parquet`` or ``recbole``); returns the files."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    frame = _export_frame(split)
    files: list[Path] = []
    if fmt == "parquet":
        for name, f in [("events", frame),
                        ("users", pd.DataFrame({"index": np.arange(split.n_users), "user_id": split.user_ids})),
                        ("items", pd.DataFrame({"index": np.arange(split.n_items), "item_id": split.item_ids}))]:
            files.append(out / f"{name}.parquet")
            _atomic(f, files[-1], "parquet")
        return files
    if fmt != "recbole":
        raise ValueError(f"format {fmt!r}: expected parquet or recbole")
    parts = {"train": frame["role"] == "train", "valid": frame["role"] == "valid",
             "test": frame["role"].isin(["gap", "test"])}
    for part, sel in parts.items():
        f = frame[sel][["user_id", "item_id", "value", "timestamp"]]
        f.columns = ["user_id:token", "item_id:token", "rating:float", "timestamp:float"]
        files.append(out / f"{split.name}.{part}.inter")
        _atomic(f, files[-1], "tsv")
    return files


def read_recbole(folder: str | Path, name: str) -> dict[str, pd.DataFrame]:
    """Read the three benchmark files back (for checks): ``{"train": ..., "valid": ..., "test": ...}``."""
    return {part: pd.read_csv(Path(folder) / f"{name}.{part}.inter", sep="\t").rename(
        columns=lambda c: c.split(":")[0]) for part in ("train", "valid", "test")}
