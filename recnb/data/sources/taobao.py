"""Taobao UserBehavior (Alibaba Tianchi dataset 649), the head sample in ``../shared/data``.

Columns (no header): ``user_id, item_id, category_id, behavior_type, timestamp`` with behaviours
``pv`` (page view), ``fav``, ``cart`` and ``buy``; Unix seconds. Mapped to the canonical events
view / fav / cart / purchase with value 1.0.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..fetch import verify
from ..readers import read_delimited
from ..schema import Dataset, validate_events
from ._common import one_category_per_item

FOLDER = "taobao-userbehavior-sample"
FILES = {"UserBehavior_head.csv": "6f7023508e9c8eba2b067afb116771329c4ef8860112f88415daf22e97726a09"}
BEHAVIOURS = {"pv": "view", "fav": "fav", "cart": "cart", "buy": "purchase"}
LICENCE = "Not verified (Tianchi terms; research use only). Cite Zhu et al., KDD 2018."


def parse(folder: Path) -> Dataset:
    """Parse ``UserBehavior_head.csv`` into a :class:`Dataset` with item categories."""
    path = folder / "UserBehavior_head.csv"
    files = {"UserBehavior_head.csv": verify(path, FILES["UserBehavior_head.csv"])}
    raw = read_delimited(path, ",", ["user_id", "item_id", "category", "event", "timestamp"], header=False)
    raw["event"] = raw["event"].map(lambda b: BEHAVIOURS.get(b, b))
    raw["value"] = 1.0
    events = validate_events(raw, str(path), raw["_line"].to_numpy())
    items, ledger = one_category_per_item(events["item_id"], raw["category"].astype("string"))
    return Dataset(name="taobao", events=events, items=items, source=f"../shared/data/{FOLDER} "
                   "(head of UserBehavior.csv, Tianchi dataset 649)", licence=LICENCE, files=files,
                   ledger=ledger, notes=["Head sample of the official file: 814 users with complete histories."],
                   validate=False)
