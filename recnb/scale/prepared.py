"""The prepared-split layout on disk, written by both preparation engines and read back as a :class:`Split`.

A folder holds:

* ``events.parquet``: ``u``, ``i`` (contiguous indices), ``event`` (int8 code into
  :data:`~recnb.data.schema.EVENT_TYPES`), ``t`` (Unix seconds, NaN untimed), ``v`` (value), ``role``
  (string, one of :data:`~recnb.data.split.ROLES` except ``after``), ordered by user, then time (untimed
  last), then file order: exactly :attr:`Split.events`;
* ``users.parquet`` / ``items.parquet``: ``index`` -> raw ``user_id`` / ``item_id``;
* ``valid.parquet`` / ``test.parquet``: the evaluation targets ``u``, ``i`` (one row per user);
* ``ledger.csv``: the cleaning ledger (one row per rule, as :func:`recnb.data.preprocess.clean`);
* ``meta.json``: name, targets, protocol, the split's ``info`` counts and the engine.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.split import ROLES, Split

FILES = ("events.parquet", "users.parquet", "items.parquet", "valid.parquet", "test.parquet", "ledger.csv",
         "meta.json")


def _atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(path.name + ".part")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def write_split(split: Split, ledger: pd.DataFrame, out: str | Path, engine: str = "pandas") -> Path:
    """Write an in-memory ``split`` and its cleaning ``ledger`` in the prepared layout; returns ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ev = split.events
    events = pd.DataFrame({"u": ev["u"].to_numpy(np.int64), "i": ev["i"].to_numpy(np.int64),
                           "event": ev["event"].to_numpy(np.int8), "t": ev["t"].to_numpy(np.float64),
                           "v": ev["v"].to_numpy(np.float64), "role": ev["role"].astype(str).to_numpy()})
    _atomic_parquet(events, out / "events.parquet")
    _atomic_parquet(pd.DataFrame({"index": np.arange(split.n_users), "user_id": split.user_ids}), out / "users.parquet")
    _atomic_parquet(pd.DataFrame({"index": np.arange(split.n_items), "item_id": split.item_ids}), out / "items.parquet")
    for stage in ("valid", "test"):
        u, i = split.target(stage)
        _atomic_parquet(pd.DataFrame({"u": np.asarray(u, np.int64), "i": np.asarray(i, np.int64)}),
                        out / f"{stage}.parquet")
    ledger.to_csv(out / "ledger.csv", index=False)
    meta = {"name": split.name, "targets": list(split.targets), "protocol": split.protocol,
            "info": {k: (int(v) if isinstance(v, (int, np.integer)) else v) for k, v in split.info.items()},
            "engine": engine}
    (out / "meta.json").write_text(json.dumps(meta, indent=1))
    return out


def read_split(folder: str | Path) -> Split:
    """A :class:`Split` from a prepared folder (item categories are not part of the layout: unknown)."""
    folder = Path(folder)
    missing = [f for f in FILES if not (folder / f).exists()]
    if missing:
        raise FileNotFoundError(f"{folder}: not a prepared split, missing {', '.join(missing)} "
                                "(write one with `python -m recnb data prepare`)")
    meta = json.loads((folder / "meta.json").read_text())
    ev = pd.read_parquet(folder / "events.parquet")
    events = pd.DataFrame({"u": ev["u"].to_numpy(np.int64), "i": ev["i"].to_numpy(np.int64),
                           "event": ev["event"].to_numpy(np.int8), "t": ev["t"].to_numpy(np.float64),
                           "v": ev["v"].to_numpy(np.float64),
                           "role": pd.Categorical(ev["role"].astype(str), categories=list(ROLES))})
    users = pd.read_parquet(folder / "users.parquet")["user_id"].to_numpy()
    items = pd.read_parquet(folder / "items.parquet")["item_id"].to_numpy()
    valid, test = (pd.read_parquet(folder / f"{s}.parquet") for s in ("valid", "test"))
    return Split(meta["name"], users, items, events, tuple(meta["targets"]), valid["u"].to_numpy(np.int64),
                 valid["i"].to_numpy(np.int64), test["u"].to_numpy(np.int64), test["i"].to_numpy(np.int64),
                 np.full(len(items), -1, dtype=np.int64), [], meta["protocol"], dict(meta["info"]))
