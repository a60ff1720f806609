"""``python -m recnb bench``: time the evaluation and each baseline's fit on ML-100K and on a simulated
log of about one million events; print a table (median of repeats) and write ``reports/bench.json``."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Callable

import pandas as pd
import torch

from .data import load_dataset
from .data.fetch import project_root
from .data.simulate import simulate
from .data.split import Split, leave_last_out
from .evaluate import evaluate
from .models.baselines import BPRMF, EASE, ItemKNN, MostPopular


def _median_seconds(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_split(split: Split, repeats: int = 3, bpr_epochs: int = 3) -> list[dict[str, object]]:
    """Seconds for each baseline's fit, one BPR-MF epoch, and one full-ranking test evaluation."""
    rows = []
    pop = MostPopular().fit(split)
    for name, make in [("pop fit", MostPopular), ("itemknn fit (grid of 6)", ItemKNN), ("ease fit (grid of 6 λ)", EASE)]:
        rows.append({"task": name, "seconds": _median_seconds(lambda: make().fit(split), repeats)})
    bpr_time = _median_seconds(lambda: BPRMF(max_epochs=bpr_epochs, patience=bpr_epochs, progress=False).fit(split),
                               max(1, repeats // 2))
    rows.append({"task": "bpr-mf epoch (incl. validation)", "seconds": bpr_time / bpr_epochs})
    if split.n_users <= 5000:  # full-softmax sequence models: one epoch each (ML-100K scale only)
        from .models.sequence import SequenceRecommender

        for cell in ("gru", "sasrec"):
            t = _median_seconds(lambda: SequenceRecommender(cell, max_epochs=2, patience=2, progress=False).fit(split),
                                max(1, repeats // 2))
            rows.append({"task": f"{cell} epoch (incl. validation)", "seconds": t / 2})
    from .models.graph import GraphRecommender

    for loss in ("ce", "bpr"):
        t = _median_seconds(lambda: GraphRecommender(loss=loss, max_epochs=3, patience=3, progress=False).fit(split),
                            max(1, repeats // 2))
        rows.append({"task": f"lightgcn-{loss} epoch (incl. validation)", "seconds": t / 3})
    rows.append({"task": f"evaluate all {len(split.test_users)} test users (pop)",
                 "seconds": _median_seconds(lambda: evaluate(pop, split), repeats)})
    return rows


def run_bench(repeats: int = 3, out: str | Path | None = None) -> pd.DataFrame:
    """Run the benchmark on ML-100K and a ~1M-event simulated log; write ``reports/bench.json``."""
    datasets = {
        "ml-100k": lambda: load_dataset("ml-100k", fetch=True),
        "sim-1M": lambda: simulate(n_users=20_000, n_items=5_000, n_categories=50, mean_views=45, seed=0),
    }
    rows = []
    for name, make in datasets.items():
        t0 = time.perf_counter()
        ds = make()
        split = leave_last_out(ds)
        prep = time.perf_counter() - t0
        rows.append({"dataset": name, "task": f"load + split ({len(ds.events):,} events)", "seconds": prep})
        rows += [{"dataset": name, **r} for r in bench_split(split, repeats)]
    table = pd.DataFrame(rows)
    path = Path(out) if out else project_root() / "reports" / "bench.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"platform": platform.platform(), "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "repeats": repeats, "results": table.to_dict("records")}
    path.write_text(json.dumps(meta, indent=1))
    return table
