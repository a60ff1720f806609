"""Notebook 04 runs on a reader's own log: a canonical CSV with string ids (issue 15 item 7)."""

from __future__ import annotations

import json

import pytest

from recnb.data.simulate import simulate
from recnb.data.sources.canonical import write_file
from recnb.report import run_report


@pytest.mark.slow
def test_sequence_notebook_runs_on_a_canonical_log_with_string_ids(tmp_path):
    events = simulate(n_users=200, n_items=150, n_categories=6, n_clusters=3, mean_views=15, seed=3).events.copy()
    events["user_id"] = "u" + events["user_id"].astype(str)
    events["item_id"] = "i" + events["item_id"].astype(str)
    log = write_file(events, tmp_path / "mylog.csv")
    rc = run_report("smoke", only=["04"], out_root=tmp_path / "rep", dataset="canonical", data_path=str(log))
    out = tmp_path / "rep" / "smoke"
    manifest = json.loads((out / "manifest.json").read_text())
    assert rc == 0, manifest["notebooks"][0]["error"]
    metrics = json.loads((out / "metrics.json").read_text())["04_sequence_rnn"]
    assert any(k.startswith("canonical/") for k in metrics), metrics
    assert all(0.0 <= v <= 1.0 for k, v in metrics.items() if k.endswith("ndcg@10"))
