"""Notebook 07 on a reader's own log (issue 15 item 7): a canonical CSV with string ids, written from the
simulator, runs end to end through the report runner; sections the log cannot support (categories) are skipped
with a sentence, and the recommendations show the original string ids."""

from __future__ import annotations

import json

import pytest

from recnb.data.simulate import simulate
from recnb.data.sources.canonical import write_file
from recnb.report import run_report

from .test_notebooks import metric_problems


@pytest.mark.slow
def test_case_study_runs_on_a_canonical_log_with_string_ids(tmp_path):
    events = simulate(n_users=300, n_items=150, n_categories=8, mean_views=20, seed=0).events
    events = events.assign(user_id="u" + events["user_id"].astype(str), item_id="sku-" + events["item_id"].astype(str))
    path = write_file(events, tmp_path / "mylog.csv")
    rc = run_report("smoke", only=["07"], out_root=tmp_path / "rep", dataset="canonical", data_path=str(path))
    out = tmp_path / "rep" / "smoke"
    manifest = json.loads((out / "manifest.json").read_text())
    assert rc == 0, manifest["notebooks"][0]["error"]
    metrics = json.loads((out / "metrics.json").read_text())["07_ecommerce_case_study"]
    assert "mylog/best_fusion/ndcg@10" in metrics and "mylog/newuser/ndcg@10@5events" in metrics
    assert not any(k.startswith(("taobao/", "retailrocket/", "simulated-shop/")) for k in metrics)
    assert not metric_problems(metrics), metric_problems(metrics)
    html = (out / "07_ecommerce_case_study.html").read_text()
    assert "your own log" in html and "Skipped on" in html and "sku-" in html
