"""Notebook 01's profiling tables (recnb.analysis.datasets): caveats from the sources' notes, peak hours,
capability filters and the reader's own file."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recnb.analysis import datasets as profiling
from recnb.data import Dataset
from recnb.data.sources.canonical import write_file


def _log(name: str, hours: list[int], notes: list[str] | None = None) -> Dataset:
    ts = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(hours, unit="h")
    ev = pd.DataFrame({"user_id": np.arange(len(hours)) % 3, "item_id": np.arange(len(hours)) % 5,
                       "event": "view", "value": 1.0, "timestamp": ts})
    return Dataset(name, ev, notes=notes or [])


def test_caveats_come_from_upper_case_notes_only():
    head = _log("head", [1, 2, 3], ["PARTIAL HEAD OF X, NOT X: only some users.", "Ratings: explicit."])
    plain = _log("plain", [1, 2, 3], ["Order but no clock: positions only."])
    cav = profiling.caveats({"head": head, "plain": plain})
    assert cav["dataset"].tolist() == ["head"]
    assert cav["label"].iloc[0] == "PARTIAL HEAD OF X, NOT X"
    assert profiling.labels({"head": head, "plain": plain}) == {"head": "head (PARTIAL HEAD OF X, NOT X)",
                                                                "plain": "plain"}
    assert profiling.overview({"head": head})["label"].iloc[0].endswith("(PARTIAL HEAD OF X, NOT X)")


def test_peak_hours_find_the_busiest_window_across_midnight():
    ds = _log("night", [23, 23, 0, 0, 1, 1, 12])
    row = profiling.peak_hours({"night": ds}, width=3).iloc[0]
    assert (row["first hour"], row["last hour"], row["window"]) == (23, 1, "23:00-01:59")
    assert row["share"] == 6 / 7


def test_having_keeps_the_datasets_with_a_capability():
    timed = _log("timed", [1, 2, 3])
    untimed = Dataset("untimed", timed.events.assign(timestamp=pd.NaT))
    assert list(profiling.having({"timed": timed, "untimed": untimed}, "clock")) == ["timed"]
    assert profiling.having({"untimed": untimed}, "funnel") == {}
    shop = Dataset("shop", timed.events.assign(event=["view", "purchase", "view"]))
    assert list(profiling.having({"shop": shop, "timed": timed}, "funnel")) == ["shop"]


def test_a_readers_own_file_is_profiled_alone(tmp_path, sim_small):
    path = write_file(sim_small.events.assign(user_id="u" + sim_small.events["user_id"].astype(str)),
                      tmp_path / "mylog.csv")
    found, missing = profiling.load_all("canonical", str(path))
    assert list(found) == ["mylog"] and missing.empty
    assert found["mylog"].events["user_id"].iloc[0].startswith("u")
    table = profiling.overview(found, head=0.1)
    assert 0 < table["head share"].iloc[0] <= 1 and table["events"].iloc[0] == len(sim_small.events)
