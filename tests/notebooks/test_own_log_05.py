"""The reader's own log (issue 15 item 7): notebook 05 runs on a small canonical CSV with string ids and skips what
the log lacks (the social datasets are looked up on the data search path, not in the reader's file)."""

from __future__ import annotations

import json

import pytest

from recnb.data.simulate import simulate
from recnb.data.sources.canonical import write_file
from recnb.report import run_report


@pytest.mark.slow
def test_graph_notebook_runs_on_a_canonical_log_with_string_ids(tmp_path, monkeypatch):
    monkeypatch.setenv("RECNB_DATA_PATH", str(tmp_path / "no-data-here"))  # no Last.fm or Ciao: section 4 skips
    events = simulate(n_users=300, n_items=120, mean_views=12, p_purchase=0.6, seed=3).events
    events = events.assign(user_id="u" + events["user_id"].astype(str), item_id="sku-" + events["item_id"].astype(str))
    log = write_file(events, tmp_path / "mylog.csv")
    rc = run_report("smoke", only=["05"], out_root=tmp_path, dataset="canonical", data_path=str(log))
    out = tmp_path / "smoke"
    manifest = json.loads((out / "manifest.json").read_text())
    assert rc == 0, manifest["notebooks"][0]["error"]
    metrics = json.loads((out / "metrics.json").read_text())["05_graph_gnn"]
    assert "canonical/lightgcn/ndcg@10" in metrics and "canonical/lightgcn/best_layers" in metrics
    assert not any(k.startswith(("lastfm/", "ciao/")) for k in metrics)
    html = (out / "05_graph_gnn.html").read_text()
    assert "not available" in html
