"""Every notebook runs end to end through the report runner with the smoke profile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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
    assert "ml-100k" in manifest["data_sha256"]
