"""Notebook 12 (the benchmark) on a reader's own file in the S3-Rec sequence format: a generated file with no
attribute file runs the whole line-up to the end, records every model under the file's name, and says that no
published row exists for it (issue 34)."""

from __future__ import annotations

import json

import pytest

from recnb.analysis.benchmark import ALL, SINGLES
from recnb.data.simulate import simulate
from recnb.report import run_report


def write_s3rec(path, n_users: int = 160, n_items: int = 50, seed: int = 4):
    """A simulated log written as the S3-Rec files are: one user per line, ``user item item ...``, oldest first."""
    events = simulate(n_users=n_users, n_items=n_items, n_categories=4, n_clusters=2, mean_views=12, seed=seed).events
    events = events.sort_values(["user_id", "timestamp"], kind="stable")
    lines = [f"{u} " + " ".join(map(str, g["item_id"].drop_duplicates())) for u, g in events.groupby("user_id")]
    path.write_text("\n".join(line for line in lines if len(line.split()) >= 4) + "\n")
    return path


@pytest.mark.slow
def test_notebook_12_runs_on_a_generated_sequence_file(tmp_path):
    log = write_s3rec(tmp_path / "Garden.txt")
    rc = run_report("smoke", only=["12"], out_root=tmp_path / "rep", dataset="sequences", data_path=str(log))
    out = tmp_path / "rep" / "smoke"
    manifest = json.loads((out / "manifest.json").read_text())
    entry = manifest["notebooks"][0]
    assert rc == 0, entry["error"]
    assert entry["status"] == "ok", entry["reason"]  # a skip is no pass
    assert entry["wall_s"] > 0
    metrics = json.loads((out / "metrics.json").read_text())[entry["notebook"]]
    for model in ("pop", *SINGLES, ALL):
        assert 0.0 <= metrics[f"Garden/{model}/ndcg@10"] <= 1.0, sorted(metrics)
    assert "Garden/best/ndcg@10" in metrics
    html = (out / f"{entry['notebook']}.html").read_text()
    assert "No published full-ranking row exists for" in html and "Garden" in html
