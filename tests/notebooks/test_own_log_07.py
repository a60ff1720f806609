"""Notebook 07 on a reader's own log (issue 15 item 7): a canonical CSV with string ids, written from the
simulator, runs end to end through the report runner; sections the log cannot support (categories) are skipped
with a sentence, and the recommendations show the original string ids."""

from __future__ import annotations

import pytest

from tests.notebooks.ownlog import run_own_log, string_id_log
from tests.notebooks.test_notebooks import metric_problems


@pytest.mark.slow
def test_case_study_runs_on_a_canonical_log_with_string_ids(tmp_path):
    log, _ = string_id_log(tmp_path, n_users=300, n_items=150, n_categories=8, mean_views=20, seed=0)
    metrics, _, html = run_own_log(tmp_path, "07", log)
    assert "mylog/best_fusion/ndcg@10" in metrics and "mylog/newuser/ndcg@10@5events" in metrics
    assert not any(k.startswith(("taobao/", "retailrocket/", "simulated-shop/")) for k in metrics)
    assert not metric_problems(metrics), metric_problems(metrics)
    assert "your own log" in html and "Skipped on" in html and "sku-" in html
