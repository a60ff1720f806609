"""Shared steps of the own-log smoke tests (issue 15 item 7): a canonical CSV with string ids written from
the simulator, and one notebook run on it through the report runner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from recnb.data.simulate import simulate
from recnb.data.sources.canonical import write_file
from recnb.report import run_report


def string_id_log(folder: Path, name: str = "mylog.csv", user: str = "u", item: str = "sku-",
                  **sim: Any) -> tuple[Path, Any]:
    """Write a simulated log (``simulate(**sim)``) with ids ``<user>N`` / ``<item>N`` to ``folder/name``;
    returns ``(path, events)``."""
    events = simulate(**sim).events
    events = events.assign(user_id=user + events["user_id"].astype(str), item_id=item + events["item_id"].astype(str))
    return write_file(events, folder / name), events


def run_own_log(folder: Path, notebook: str, log: Path) -> tuple[dict[str, float], dict[str, Any], str]:
    """Run notebook ``NN`` in the smoke profile with ``dataset="canonical"`` on ``log``; assert it ran and
    return ``(its recorded metrics, the manifest, its HTML)``: a notebook skipped by its data contract fails."""
    rc = run_report("smoke", only=[notebook], out_root=folder / "rep", dataset="canonical", data_path=str(log))
    out = folder / "rep" / "smoke"
    manifest = json.loads((out / "manifest.json").read_text())
    assert rc == 0, manifest["notebooks"][0]["error"]
    assert manifest["notebooks"][0]["status"] == "ok", manifest["notebooks"][0]["reason"]  # a skip is no pass
    stem = manifest["notebooks"][0]["notebook"]
    metrics = json.loads((out / "metrics.json").read_text()).get(stem, {})
    return metrics, manifest, (out / f"{stem}.html").read_text()
