"""``python -m recnb bench``: time the evaluation and each baseline's fit on ML-100K and on a simulated
log of about one million events; print a table (median of repeats), check the speed goals (:data:`GOALS`,
each printed as ``pass`` or ``short``) and write ``reports/bench.json``.

Speed goals live here and nowhere else: a test never asserts a wall-clock time, because a loaded laptop or CI
runner would fail it for reasons that have nothing to do with the code."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path
from dataclasses import dataclass
from typing import Callable

import pandas as pd
import torch

from .data import load_dataset
from .data.fetch import project_root
from .data.simulate import simulate
from .data.split import Split, leave_last_out
from .evaluate import evaluate
from .models.baselines import BPRMF, EASE, ItemKNN, MostPopular


@dataclass(frozen=True)
class SpeedGoal:
    """A time budget for one benchmark task: ``task`` matches the start of a task name of the table."""

    dataset: str
    task: str
    seconds: float
    origin: str


GOALS: tuple[SpeedGoal, ...] = (
    SpeedGoal("ml-100k", "ease fit", 5.0, "was test_speed_on_ml100k (tests/unit/test_baselines.py)"),
    SpeedGoal("ml-100k", "evaluate all", 1.0, "was test_speed_on_ml100k (tests/unit/test_baselines.py)"),
    SpeedGoal("ml-100k", "lightgcn-ce epoch", 1.0,
              "was test_lightgcn_epoch_on_ml100k_is_under_a_second (tests/unit/test_graph.py)"),
    SpeedGoal("ml-100k", "cached load", 1.0,
              "was in test_cache_round_trip_is_identical_and_fast (tests/unit/test_fetch.py)"),
    SpeedGoal("sim-1M", "simulate", 15.0, "was test_a_million_events_is_fast (tests/unit/test_simulate.py)"),
)


def check_goals(table: pd.DataFrame, goals: tuple[SpeedGoal, ...] = GOALS) -> pd.DataFrame:
    """One row per goal: the measured seconds of the first matching task (NaN if none ran), the budget and
    ``status``: ``pass`` (within budget), ``short`` (over it) or ``not run``."""
    rows = []
    for g in goals:
        hit = table[(table["dataset"] == g.dataset) & table["task"].str.startswith(g.task)]
        seconds = float(hit["seconds"].iloc[0]) if len(hit) else float("nan")
        status = "not run" if not len(hit) else ("pass" if seconds <= g.seconds else "short")
        rows.append({"status": status, "dataset": g.dataset, "task": g.task, "seconds": seconds,
                     "budget_s": g.seconds, "origin": g.origin})
    return pd.DataFrame(rows)


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
    for name, make in [("pop fit", MostPopular), ("itemknn fit (grid of 6)", ItemKNN), ("ease fit (default λ grid)", EASE)]:
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


def run_bench(repeats: int = 3, out: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the benchmark on ML-100K and a ~1M-event simulated log; write ``reports/bench.json``.
    Returns the timings and :func:`check_goals` of them."""
    datasets = {  # name: (task, make); a real dataset is loaded once first, so the timed load reads the cache
        "ml-100k": ("cached load", lambda: load_dataset("ml-100k", fetch=True)),
        "sim-1M": ("simulate", lambda: simulate(n_users=20_000, n_items=5_000, n_categories=50, mean_views=45, seed=0)),
    }
    rows = []
    for name, (task, make) in datasets.items():
        if task == "cached load":
            make()
        t0 = time.perf_counter()
        ds = make()
        made = time.perf_counter() - t0
        t0 = time.perf_counter()
        split = leave_last_out(ds)
        prep = time.perf_counter() - t0
        rows.append({"dataset": name, "task": f"{task} ({len(ds.events):,} events)", "seconds": made})
        rows.append({"dataset": name, "task": "leave-last-out split", "seconds": prep})
        rows += [{"dataset": name, **r} for r in bench_split(split, repeats)]
    table = pd.DataFrame(rows)
    goals = check_goals(table)
    path = Path(out) if out else project_root() / "reports" / "bench.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"platform": platform.platform(), "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "repeats": repeats, "results": table.to_dict("records"), "goals": goals.to_dict("records")}
    path.write_text(json.dumps(meta, indent=1))
    return table, goals
