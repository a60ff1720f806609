"""The study on the reader's own log (issue 15 item 7): notebook 01 runs through the report runner on a canonical
CSV with string ids, profiles that log alone, and skips the sections the log cannot feed with one sentence."""

from __future__ import annotations

import json

import pytest

from recnb.data.simulate import simulate
from recnb.data.sources.canonical import write_file
from recnb.report import run_report
from tests.notebooks.test_notebooks import metric_problems


@pytest.mark.slow
def test_notebook_01_profiles_a_readers_own_log(tmp_path):
    ds = simulate(n_users=150, n_items=120, n_categories=6, n_clusters=3, mean_views=12, seed=3)
    events = ds.events.assign(user_id="u" + ds.events["user_id"].astype(str),
                              item_id="sku-" + ds.events["item_id"].astype(str))
    path = write_file(events, tmp_path / "mylog.csv")
    rc = run_report("smoke", only=["01"], out_root=tmp_path / "rep", dataset="canonical", data_path=str(path))
    out = tmp_path / "rep" / "smoke"
    manifest = json.loads((out / "manifest.json").read_text())
    assert rc == 0, manifest["notebooks"][0]["error"]
    metrics = json.loads((out / "metrics.json").read_text())["01_data_collection"]
    assert metrics["mylog/events"] == len(events) and metrics["mylog/users"] == events["user_id"].nunique()
    assert not metric_problems(metrics), metric_problems(metrics)
    assert set(manifest["data_sha256"]) == {"mylog"}  # the reader's log alone, no other dataset loaded
    html = (out / "01_data_collection.html").read_text()
    assert "which no dataset here has" in html  # the relations section is skipped with one sentence
