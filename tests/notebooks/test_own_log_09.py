"""Notebook 09 on the reader's own log: a canonical CSV with string ids and no item text runs to the end,
says that the text sections are skipped and why, and records nothing it could not compute."""

from __future__ import annotations

import json

import pytest

from recnb.data.simulate import simulate
from recnb.data.sources.canonical import write_file
from recnb.report import run_report


@pytest.mark.slow
def test_notebook_09_runs_on_a_canonical_log_without_text(tmp_path):
    ds = simulate(n_users=60, n_items=40, n_categories=4, n_clusters=2, mean_views=8, seed=2)
    events = ds.events.assign(user_id="u" + ds.events["user_id"].astype(str),
                              item_id="i" + ds.events["item_id"].astype(str))
    path = write_file(events, tmp_path / "own.csv")
    rc = run_report("smoke", only=["09"], out_root=tmp_path, dataset="canonical", data_path=str(path))
    out = tmp_path / "smoke"
    manifest = json.loads((out / "manifest.json").read_text())
    assert rc == 0, manifest["notebooks"][0]["error"]
    html = (out / "09_large_models.html").read_text()
    assert "Skipped on" in html and "titles" in html
    assert "has no item text" in html  # the shop logs' reasons, from recnb.models.text
    metrics = json.loads((out / "metrics.json").read_text()).get("09_large_models", {})
    assert not any("text" in name for name in metrics), metrics
