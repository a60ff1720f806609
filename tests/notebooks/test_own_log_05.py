"""The reader's own log (issue 15 item 7): notebook 05 runs on a small canonical CSV with string ids and skips what
the log lacks (the social datasets are looked up on the data search path, not in the reader's file)."""

from __future__ import annotations

import pytest

from tests.notebooks.ownlog import run_own_log, string_id_log


@pytest.mark.slow
def test_graph_notebook_runs_on_a_canonical_log_with_string_ids(tmp_path, monkeypatch):
    monkeypatch.setenv("RECNB_DATA_PATH", str(tmp_path / "no-data-here"))  # no Last.fm or Ciao: section 4 skips
    log, _ = string_id_log(tmp_path, n_users=300, n_items=120, mean_views=12, p_purchase=0.6, seed=3)
    metrics, _, html = run_own_log(tmp_path, "05", log)
    assert "mylog/lightgcn/ndcg@10" in metrics and "mylog/lightgcn/best_layers" in metrics
    assert not any(k.startswith(("lastfm/", "ciao/")) for k in metrics)
    assert "not available" in html
