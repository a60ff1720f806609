"""``python -m recnb bench --data``: time and peak memory of loading a canonical CSV of 10 million events
(written from the simulator) in a fresh process; writes ``reports/bench-data.json``."""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from pathlib import Path

import pandas as pd

from ..data.fetch import project_root
from ..data.simulate import simulate
from .child import peak_rss_mb, run_in_child


def write_simulated_csv(path: str | Path, n_events: int, seed: int = 0) -> Path:
    """A canonical CSV of exactly ``n_events`` simulated shop events (users, items, view / cart / purchase,
    Unix seconds), for ingest benchmarks; the simulator is sized to give at least ``n_events``."""
    from ..data.sources.canonical import write_file

    n_users = max(10, int(n_events / 48))
    ds = simulate(n_users=n_users, n_items=max(100, n_users // 4), n_categories=50, mean_views=45, seed=seed)
    while len(ds.events) < n_events:  # the simulator is random: grow until there are enough events
        n_users = int(n_users * 1.1) + 1
        ds = simulate(n_users=n_users, n_items=max(100, n_users // 4), n_categories=50, mean_views=45, seed=seed)
    return write_file(ds.events.iloc[:n_events], path)


def child_load(path: str) -> dict[str, float]:
    """Load ``path`` with ``load_dataset("canonical", path=..., cache=False)`` in this process: ``events``,
    ``seconds``, ``peak_rss_mb`` and ``rss_after_imports_mb`` (the peak before the load)."""
    from ..data import load_dataset

    base = peak_rss_mb()
    t0 = time.perf_counter()
    ds = load_dataset("canonical", path=path, cache=False)
    return {"events": len(ds.events), "seconds": time.perf_counter() - t0, "peak_rss_mb": peak_rss_mb(),
            "rss_after_imports_mb": base}


def measure_load(path: str | Path) -> dict[str, float]:
    """:func:`child_load` of ``path`` in a fresh Python process (its peak memory is the load's own)."""
    return run_in_child(__name__, "child_load", str(path))


def run_data_bench(n_events: int = 10_000_000, out: str | Path | None = None) -> pd.DataFrame:
    """Write an ``n_events`` canonical CSV to a temporary folder, load it in a fresh process, and write
    ``reports/bench-data.json``: file size, seconds, peak RSS, memory per event."""
    with tempfile.TemporaryDirectory(prefix="recnb-bench-") as tmp:
        path = write_simulated_csv(Path(tmp) / "events.csv", n_events)
        size = path.stat().st_size
        r = measure_load(path)
    row = {"task": f"load a canonical CSV ({r['events']:,} events, {size / 2**20:,.0f} MiB)",
           "seconds": r["seconds"], "peak RSS MiB": r["peak_rss_mb"],
           "RSS after imports MiB": r["rss_after_imports_mb"],
           "bytes per event (peak - imports)": (r["peak_rss_mb"] - r["rss_after_imports_mb"]) * 2**20 / r["events"]}
    table = pd.DataFrame([row])
    path_out = Path(out) if out else project_root() / "reports" / "bench-data.json"
    path_out.parent.mkdir(parents=True, exist_ok=True)
    path_out.write_text(json.dumps({"platform": platform.platform(), "cpus": os.cpu_count(),
                                    "file_bytes": size, "results": table.to_dict("records")}, indent=1))
    return table
