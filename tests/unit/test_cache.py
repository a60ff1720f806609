"""The Parquet cache checks itself: a damaged entry is rebuilt from the raw file with one warning line and
is never used; concurrent loads never see a half-written entry (issue 15)."""

from __future__ import annotations

import json
import logging
import multiprocessing
from pathlib import Path

import pandas as pd
import pytest

from recnb.data import load_dataset
from recnb.data.simulate import simulate
from recnb.data.sources.canonical import write_file


@pytest.fixture()
def log_file(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("RECNB_ROOT", str(tmp_path / "project"))
    ds = simulate(n_users=60, n_items=50, n_categories=5, n_clusters=2, mean_views=8, seed=3)
    return write_file(ds.events, tmp_path / "shop.csv")


def entry(tmp_path: Path) -> Path:
    (folder,) = [p for p in (tmp_path / "project" / "data" / "processed").iterdir() if not p.name.startswith(".")]
    return folder


def reload(path: Path, caplog) -> tuple[pd.DataFrame, list[str]]:
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="recnb.data"):
        events = load_dataset("canonical", path=path).events
    return events, [r.getMessage() for r in caplog.records]


def test_intact_cache_is_read_without_a_word(tmp_path, log_file, caplog):
    fresh = load_dataset("canonical", path=log_file, cache=False)
    first, lines = reload(log_file, caplog)
    again, lines2 = reload(log_file, caplog)
    pd.testing.assert_frame_equal(first, fresh.events)
    pd.testing.assert_frame_equal(again, fresh.events)
    assert lines == [] and lines2 == []
    meta = json.loads((entry(tmp_path) / "meta.json").read_text())
    assert set(meta["tables"]) >= {"events.parquet", "items.parquet"} and meta["files"] == fresh.files


@pytest.mark.parametrize("fault", ["truncated events.parquet", "garbage meta.json", "missing events.parquet",
                                   "altered meta.json"])
def test_damaged_cache_is_rebuilt_with_one_line(tmp_path, log_file, caplog, fault):
    fresh = load_dataset("canonical", path=log_file, cache=False).events
    load_dataset("canonical", path=log_file)
    folder = entry(tmp_path)
    if fault == "truncated events.parquet":
        data = (folder / "events.parquet").read_bytes()
        (folder / "events.parquet").write_bytes(data[: len(data) // 2])
    elif fault == "garbage meta.json":
        (folder / "meta.json").write_bytes(b"\x00{not json")
    elif fault == "missing events.parquet":
        (folder / "events.parquet").unlink()
    else:
        meta = json.loads((folder / "meta.json").read_text())
        meta["notes"] = ["edited by hand"]
        (folder / "meta.json").write_text(json.dumps(meta))
    events, lines = reload(log_file, caplog)
    pd.testing.assert_frame_equal(events, fresh)
    assert len(lines) == 1 and "damaged" in lines[0] and "rebuilt" in lines[0], lines
    _, after = reload(log_file, caplog)
    assert after == [], "the rebuilt entry is intact"


def test_altered_parquet_is_never_used(tmp_path, log_file, caplog):
    fresh = load_dataset("canonical", path=log_file, cache=False).events
    load_dataset("canonical", path=log_file)
    target = entry(tmp_path) / "events.parquet"
    altered = pd.read_parquet(target)
    altered.loc[altered.index[:20], "value"] = 5.0  # a valid Parquet file with changed numbers
    altered.to_parquet(target, index=False)
    events, lines = reload(log_file, caplog)
    pd.testing.assert_frame_equal(events, fresh)
    assert (events["value"] == 1.0).all()
    assert len(lines) == 1 and "events.parquet" in lines[0], lines


def _load(path: str, root: str, out: multiprocessing.Queue) -> None:
    import os

    os.environ["RECNB_ROOT"] = root
    from recnb.data import load_dataset as load

    out.put(float(load("canonical", path=path).events["value"].sum()))


def test_concurrent_loads_agree(tmp_path, log_file):
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_load, args=(str(log_file), str(tmp_path / "project"), out)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    sums = [out.get(timeout=5) for _ in procs]
    assert all(p.exitcode == 0 for p in procs)
    assert len(set(sums)) == 1
    names = [p.name for p in (tmp_path / "project" / "data" / "processed").iterdir()]
    assert len(names) == 1 and not names[0].startswith("."), names
