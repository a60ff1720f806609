"""Notebook 04 runs on a reader's own log: a canonical CSV with string ids (issue 15 item 7)."""

from __future__ import annotations

import pytest

from tests.notebooks.ownlog import run_own_log, string_id_log


@pytest.mark.slow
def test_sequence_notebook_runs_on_a_canonical_log_with_string_ids(tmp_path):
    log, _ = string_id_log(tmp_path, item="i", n_users=200, n_items=150, n_categories=6, n_clusters=3,
                           mean_views=15, seed=3)
    metrics, _, _ = run_own_log(tmp_path, "04", log)
    assert any(k.startswith("mylog/") for k in metrics), metrics  # named after the file, as in 01
    assert all(0.0 <= v <= 1.0 for k, v in metrics.items() if k.endswith("ndcg@10"))
