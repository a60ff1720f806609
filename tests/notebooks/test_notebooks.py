"""Every notebook runs end to end through the report runner with the smoke profile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recnb.experiment import available_shops
from recnb.report import notebooks, run_report

ROOT = Path(__file__).resolve().parents[2]
ALL = notebooks(ROOT / "notebooks")


@pytest.mark.slow
@pytest.mark.parametrize("nb", ALL, ids=[p.stem for p in ALL])
def test_notebook_smoke(nb, tmp_path, ml100k):
    rc = run_report("smoke", only=[nb.name[:2]], out_root=tmp_path)
    out = tmp_path / "smoke"
    manifest = json.loads((out / "manifest.json").read_text())
    assert rc == 0, manifest["notebooks"][0]["error"]
    metrics = json.loads((out / "metrics.json").read_text())[nb.stem]
    assert metrics, "the notebook recorded no numbers"
    assert (out / f"{nb.stem}.html").stat().st_size > 10_000
    if nb.name.startswith("07"):  # the shop case study: the real shop logs when present, else the simulator
        shops = available_shops()
        assert set(shops) <= set(manifest["data_sha256"])
        assert bool(shops) != any(k.startswith("simulated-shop/") for k in metrics)
    else:
        assert "ml-100k" in manifest["data_sha256"]


@pytest.mark.slow
def test_case_study_runs_on_the_simulated_shop_without_the_real_logs(tmp_path, monkeypatch):
    monkeypatch.setenv("RECNB_DATA_PATH", str(tmp_path / "no-data-here"))
    assert available_shops() == []
    rc = run_report("smoke", only=["07"], out_root=tmp_path)
    out = tmp_path / "smoke"
    manifest = json.loads((out / "manifest.json").read_text())
    assert rc == 0, manifest["notebooks"][0]["error"]
    metrics = json.loads((out / "metrics.json").read_text())["07_ecommerce_case_study"]
    assert metrics["simulated-shop/data_is_simulated"] == 1
    assert "simulated-shop/newuser/ndcg@10@5events" in metrics and "simulated-shop/ease/ndcg@10" in metrics
    html = (out / "07_ecommerce_case_study.html").read_text()
    assert "the simulator" in html and "shop" in html
