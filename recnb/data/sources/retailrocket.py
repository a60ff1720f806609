"""Retailrocket multi-behaviour subset (SSLRec preprocessing of the Kaggle Retailrocket log).

``events.csv`` has a header ``user_id,item_id,behavior,timestamp,split``; behaviours ``view``, ``cart``,
``buy``. The ``test`` rows are one held-out purchase per user with **no timestamp**: they are kept with
``NaT``, and the split step places untimed events after every timed one, so leave-last-out takes them
as the test targets, exactly as the providers intended.
"""

from __future__ import annotations

from pathlib import Path

from ..fetch import verify
from ..readers import read_delimited
from ..schema import Dataset, DataValidationError, validate_events

FOLDER = "retailrocket-multibehavior"
FILES = {"events.csv": "0d1e7df55b9b3a8126ebe874a613eadb95e933b8c1220ee5fd07f40cd4201d3d"}
BEHAVIOURS = {"view": "view", "cart": "cart", "buy": "purchase"}
LICENCE = "Not verified (Kaggle Retailrocket dataset; research use only). Cite SSLRec (Ren et al., WSDM 2024)."


def parse(folder: Path) -> Dataset:
    """Parse ``events.csv``; held-out purchases keep an empty timestamp (see module doc)."""
    path = folder / "events.csv"
    files = {"events.csv": verify(path, FILES["events.csv"])}
    raw = read_delimited(path, ",", ["user_id", "item_id", "event", "timestamp", "split"], header=True,
                         header_names=["user_id", "item_id", "behavior", "timestamp", "split"])
    raw["event"] = raw["event"].map(lambda b: BEHAVIOURS.get(b, b))
    raw["value"] = 1.0
    events = validate_events(raw, str(path), raw["_line"].to_numpy())
    untimed = events["timestamp"].isna().to_numpy()
    is_test = (raw["split"] == "test").to_numpy()
    if (untimed != is_test).any():
        i = int((untimed != is_test).argmax())
        raise DataValidationError(str(path), int(raw["_line"].iloc[i]), "timestamp", raw["timestamp"].iloc[i],
                                  "a timestamp on train rows and none on test rows")
    return Dataset(name="retailrocket", events=events, source=f"../shared/data/{FOLDER} (SSLRec subset of "
                   "Kaggle retailrocket/ecommerce-dataset)", licence=LICENCE, files=files,
                   notes=["The held-out purchase of each user has no timestamp; it is ordered after all "
                          "of that user's timed events.", "No item categories in this subset."],
                   validate=False)
