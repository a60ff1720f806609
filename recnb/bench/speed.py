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
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd
import torch

from .. import env
from ..data import load_dataset
from ..data.fetch import project_root
from ..data.simulate import simulate
from ..data.split import Split, leave_last_out
from ..evaluate import evaluate
from ..models.baselines import BPRMF, EASE, ItemKNN, MostPopular
from .flops import floor_gemm_rate, model_flops


@dataclass(frozen=True)
class SpeedGoal:
    """A budget for one benchmark task: ``task`` matches the start of a task name of the table; the task's
    ``column`` (``seconds``, or ``floor_x``: seconds / the GEMM floor of its FLOP) must be at most
    ``budget``."""

    dataset: str
    task: str
    budget: float
    origin: str
    column: str = "seconds"


GOALS: tuple[SpeedGoal, ...] = (
    SpeedGoal("ml-100k", "ease fit", 5.0, "was test_speed_on_ml100k (tests/unit/test_baselines.py)"),
    SpeedGoal("ml-100k", "evaluate all", 1.0, "was test_speed_on_ml100k (tests/unit/test_baselines.py)"),
    SpeedGoal("ml-100k", "lightgcn-ce epoch", 1.0,
              "was test_lightgcn_epoch_on_ml100k_is_under_a_second (tests/unit/test_graph.py)"),
    SpeedGoal("ml-100k", "cached load", 1.0,
              "was in test_cache_round_trip_is_identical_and_fast (tests/unit/test_fetch.py)"),
    SpeedGoal("sim-1M", "simulate", 15.0, "was test_a_million_events_is_fast (tests/unit/test_simulate.py)"),
    SpeedGoal("ml-100k", "sasrec epoch", 3.0, "issue 17: SASRec epoch within 3x of the fp32 GEMM floor",
              column="floor_x"),
)

# issue 20: Flower and Opacus of notebook 11 together in the quick profile (checked by ``bench --privacy quick``)
PRIVACY_GOAL = SpeedGoal("ml-100k", "flower + opacus (quick)", 180.0,
                         "issue 20 acceptance: Flower and Opacus within 3 minutes together on 2 cores")


def check_goals(table: pd.DataFrame, goals: tuple[SpeedGoal, ...] = GOALS) -> pd.DataFrame:
    """One row per goal: the measured value (``column`` of the first matching task; NaN if none ran), the
    budget and ``status``: ``pass`` (within budget), ``short`` (over it) or ``not run``."""
    rows = []
    for g in goals:
        hit = table[(table["dataset"] == g.dataset) & table["task"].str.startswith(g.task)]
        if g.column in hit:
            hit = hit[hit[g.column].notna()]
        value = float(hit[g.column].iloc[0]) if len(hit) else float("nan")
        status = "not run" if not len(hit) else ("pass" if value <= g.budget else "short")
        rows.append({"status": status, "dataset": g.dataset, "task": g.task, "measure": g.column,
                     "value": value, "budget": g.budget, "origin": g.origin})
    return pd.DataFrame(rows)


def _median_seconds(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_split(split: Split, repeats: int = 3, bpr_epochs: int = 3, train_epochs: int | None = None,
                patience: int = 10) -> list[dict[str, object]]:
    """Seconds for each baseline's fit, one BPR-MF epoch and one full-ranking test evaluation; with
    ``train_epochs``, the training rows of :func:`bench_training` too (else three LightGCN epochs each)."""
    rows = []
    pop = MostPopular().fit(split)
    for name, make in [("pop fit", MostPopular), ("itemknn fit (grid of 6)", ItemKNN), ("ease fit (default λ grid)", EASE)]:
        rows.append({"task": name, "seconds": _median_seconds(lambda: make().fit(split), repeats)})
    bpr_time = _median_seconds(lambda: BPRMF(max_epochs=bpr_epochs, patience=bpr_epochs, progress=False).fit(split),
                               max(1, repeats // 2))
    rows.append({"task": "bpr-mf epoch (incl. validation)", "seconds": bpr_time / bpr_epochs})
    rows.append({"task": f"evaluate all {len(split.test_users)} test users (pop)",
                 "seconds": _median_seconds(lambda: evaluate(pop, split), repeats)})
    if train_epochs:
        rows += bench_training(split, train_epochs, patience)
    else:
        from ..models.graph import GraphRecommender

        for loss in ("ce", "bpr"):
            t = _median_seconds(lambda: GraphRecommender(loss=loss, max_epochs=3, patience=3, progress=False).fit(split),
                                max(1, repeats // 2))
            rows.append({"task": f"lightgcn-{loss} epoch (incl. validation)", "seconds": t / 3})
    return rows


def bench_training(split: Split, max_epochs: int, patience: int = 10) -> list[dict[str, object]]:
    """Train GRU, SASRec and LightGCN (full softmax, default settings) with early stopping on validation
    NDCG@10, at most ``max_epochs`` epochs, on :func:`recnb.env.device`; measure the fp32 GEMM rate of the
    SASRec logits' shape there in the same run (:func:`~recnb.bench.flops.floor_gemm_rate`: the faster of
    the whole product and one block of the fused loss). Rows: each model's median training epoch (with its
    FLOP count, :func:`~recnb.bench.flops.model_flops`, the GEMM floor FLOP / rate and ``floor_x`` = epoch
    seconds / floor), median validation (a full ranking of the validation users; the floor uses the faster
    of the GEMM rate measured first and the one measured right after the model's epochs), time to the best
    validation NDCG@10 (with that epoch, the value, and whether patience ran out before the cap), and the
    full-ranking test evaluation of the trained SASRec."""
    from ..models.graph import GraphRecommender
    from ..models.sequence import SequenceRecommender

    dev = env.device()
    seq = SequenceRecommender("sasrec", progress=False)
    m, k, n = seq.batch_size * seq.max_len, seq.dim, split.n_items
    rate, best = floor_gemm_rate(m, k, n, dev)
    rows: list[dict[str, object]] = [{"task": f"fp32 GEMM ({best}x{k} @ {k}x{n}, the faster of {m} rows and one "
                                              f"block of the fused loss) on {dev}", "seconds": 2.0 * best * k * n / rate,
                                      "gflop": 2.0 * best * k * n / 1e9, "gflop_per_s": rate / 1e9}]
    models = {
        "gru": lambda: SequenceRecommender("gru", max_epochs=max_epochs, patience=patience, progress=False),
        "sasrec": lambda: SequenceRecommender("sasrec", max_epochs=max_epochs, patience=patience, progress=False),
        "lightgcn-ce": lambda: GraphRecommender(loss="ce", max_epochs=max_epochs, patience=patience, progress=False),
    }
    for name, make in models.items():
        model = make().fit(split)
        fit = model.fit_
        epoch_s = statistics.median(fit.epoch_seconds)
        flop = model_flops(model, split)
        # the GEMM rate measured again right after this model's epochs: a shared machine's load drifts
        floor = flop / max(rate, floor_gemm_rate(m, k, n, dev)[0])
        rows.append({"task": f"{name} epoch (training only, median of {len(fit.epoch_seconds)})", "seconds": epoch_s,
                     "gflop": flop / 1e9, "gflop_per_s": flop / epoch_s / 1e9, "floor_s": floor, "floor_x": epoch_s / floor})
        rows.append({"task": f"{name} validation (full ranking, median)", "seconds": statistics.median(fit.valid_seconds)})
        rows.append({"task": f"{name} time to best valid ndcg@10 (epoch {fit.best_epoch} of {len(fit.epoch_seconds)}, "
                             f"{'stopped by patience' if fit.stopped_early else 'cap reached'}, ndcg@10 {fit.best_score:.4f})",
                     "seconds": fit.seconds_to_best})
        if name == "sasrec":
            rows.append({"task": f"evaluate all {len(split.test_users)} test users (sasrec, scoring included)",
                         "seconds": _median_seconds(lambda: evaluate(model, split), 3)})
    return rows


def run_bench(repeats: int = 3, out: str | Path | None = None, train_epochs: int | None = None,
              patience: int = 10, only: str | None = None,
              log: Callable[[str], None] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the benchmark on ML-100K (with the training rows of :func:`bench_training`, at most
    ``train_epochs`` epochs each: default 100 on CUDA, 5 on the CPU) and a ~1M-event simulated log (skipped
    with ``only="ml-100k"``); write ``reports/bench.json``. ``log`` receives one line per dataset as it is
    done (a run stopped by a time limit still shows what it measured). Returns the timings and
    :func:`check_goals`."""
    if train_epochs is None:
        train_epochs = 100 if env.device().type == "cuda" else 5
    datasets = {  # name: (task, make); a real dataset is loaded once first, so the timed load reads the cache
        "ml-100k": ("cached load", lambda: load_dataset("ml-100k", fetch=True)),
        "sim-1M": ("simulate", lambda: simulate(n_users=20_000, n_items=5_000, n_categories=50, mean_views=45, seed=0)),
    }
    if only:
        datasets = {k: v for k, v in datasets.items() if k == only}
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
        done = [{"dataset": name, **r} for r in bench_split(split, repeats, train_epochs=train_epochs if name == "ml-100k" else None,
                                                            patience=patience)]
        rows += done
        if log:
            for r in done:
                log(f"{name}: {r['task']}: {r['seconds']:.3f} s" + (f", {r['floor_x']:.2f}x the GEMM floor" if "floor_x" in r else ""))
    table = pd.DataFrame(rows)
    goals = check_goals(table)
    path = Path(out) if out else project_root() / "reports" / "bench.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"platform": platform.platform(), "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "device": str(env.device()), "device_name": (torch.cuda.get_device_name(env.device())
                                                         if env.device().type == "cuda" else platform.processor()),
            "train_epochs": train_epochs, "patience": patience,
            "repeats": repeats, "results": table.to_dict("records"), "goals": goals.to_dict("records")}
    path.write_text(json.dumps(meta, indent=1))
    return table, goals
