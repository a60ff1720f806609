"""``python -m recnb bench --scale 1e6,1e7[,1e8]``: how preparation, evaluation and training scale.

For each size the simulator (:func:`recnb.data.simulate.simulate`) writes the log as Parquet chunks of about
two million events (independent simulator runs with seeds ``seed + chunk``, disjoint user ids, one item id
range of ``events / 500`` items), then three fresh processes each report their wall time and their peak
RSS (``VmHWM`` of ``/proc/self/status``):

1. ``prepare``: :func:`recnb.scale.duckdb_prep.prepare_duckdb` over the chunk glob (user 5-core, all event
   types as targets) under DuckDB's ``memory_limit``;
2. ``evaluate``: full-ranking test evaluation of :class:`~recnb.models.baselines.MostPopular` on the prepared
   split with :func:`recnb.scale.evaluation.evaluate_capped` (memory cap stated in the output);
3. ``train``: seconds per GRU training batch (the study's defaults: dim 64, 50 events, batch 128,
   full-softmax) measured over a few batches after a warm-up, and the epoch time it implies
   (batches per epoch x mean seconds per batch; an estimate, stated as such).

A log-log least-squares fit (:func:`recnb.evaluate.power_law`) of each time against the number
of events gives the exponent and the extrapolation to the full Taobao log (about 100 million events).
Results go to ``reports/bench-scale.json`` and a log-log plot ``reports/bench-scale.png``.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ..evaluate.names import NDCG10
from .child import peak_rss_mb, run_in_child

EVENTS_PER_CHUNK = 2_000_000
TAOBAO_EVENTS = 100_000_000
"""The full Taobao UserBehavior log's order of size (about 100 million rows; the exact count is not verified
here: only the head sample is on disk), the point the fits are extrapolated to."""


def write_chunks(folder: str | Path, n_events: int, seed: int = 0) -> dict[str, float]:
    """Write about ``n_events`` simulated events as ``chunk-00000.parquet`` ... under ``folder`` (canonical
    columns, ``timestamp`` in Unix seconds). Returns events, chunks, bytes and seconds."""
    from ..data.schema import epoch_seconds
    from ..data.simulate import simulate

    folder = Path(folder)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    t0 = time.perf_counter()
    per_user = 40 * 1.16  # mean views plus the funnel's carts and purchases (SimConfig defaults)
    n_items = max(1000, n_events // 500)
    chunks = max(1, math.ceil(n_events / EVENTS_PER_CHUNK))
    users_per_chunk = max(1, int(n_events / chunks / per_user))
    total = 0
    for c in range(chunks):
        ev = simulate(n_users=users_per_chunk, n_items=n_items, n_categories=100, seed=seed + c).events
        pd.DataFrame({"user_id": ev["user_id"].to_numpy() + c * users_per_chunk, "item_id": ev["item_id"].to_numpy(),
                      "event": ev["event"].astype(str).to_numpy(), "value": ev["value"].to_numpy(),
                      "timestamp": epoch_seconds(ev["timestamp"])}).to_parquet(folder / f"chunk-{c:05d}.parquet",
                                                                              index=False)
        total += len(ev)
    size = sum(f.stat().st_size for f in folder.glob("*.parquet"))
    return {"events": total, "chunks": chunks, "items": n_items, "bytes": size, "seconds": time.perf_counter() - t0}


def child_prepare(glob: str, out: str, memory_limit: str) -> dict[str, float]:
    """Step 1 in this process; returns its seconds and peak RSS."""
    from ..scale.duckdb_prep import prepare_duckdb

    res = prepare_duckdb(glob, out, user_k=5, memory_limit=memory_limit, name="sim-chunks")
    return {**res, "peak_rss_mb": peak_rss_mb()}


def child_evaluate(prepared: str, cap_bytes: int) -> dict[str, float]:
    """Step 2 in this process (reading the split is timed apart from the evaluation)."""
    from ..models.baselines import MostPopular
    from ..scale.evaluation import batch_for_cap, evaluate_capped
    from ..scale.prepared import read_split

    t0 = time.perf_counter()
    split = read_split(prepared)
    t1 = time.perf_counter()
    rss_split = peak_rss_mb()
    ev = evaluate_capped(MostPopular().fit(split), split, "test", cap_bytes=cap_bytes)
    return {"read_seconds": t1 - t0, "seconds": time.perf_counter() - t1, "users": len(ev.users),
            "items": split.n_items, "batch": batch_for_cap(split.n_items, cap_bytes), "cap_mb": cap_bytes / 2**20,
            NDCG10: float(ev.per_user[NDCG10].mean()), "peak_rss_after_read_mb": rss_split,
            "peak_rss_mb": peak_rss_mb()}


def child_train(prepared: str, n_batches: int = 8, seed: int = 0) -> dict[str, float]:
    """Step 3 in this process: the GRU's training step (:meth:`SequenceRecommender.batch_loss`, backward,
    Adam) on random batches of training users; one warm-up batch is not timed. The model is built by its
    own ``fit`` with no epoch (``max_epochs=0``: the encoder and bias, untrained, on the fit's device)."""
    import torch

    from ..models.sequence import SequenceRecommender, pad_last
    from ..scale.prepared import read_split
    from ..train import adam

    split = read_split(prepared)
    model = SequenceRecommender("gru", seed=seed, max_epochs=0, progress=False).fit(split)
    model.train()
    dev = next(model.parameters()).device
    opt = adam(model.parameters(), lr=model.lr)
    seq = split.sequences("train")
    users = np.flatnonzero(seq.lengths() >= 2)
    rng = np.random.default_rng(seed)
    times = []
    for k in range(n_batches + 1):
        t0 = time.perf_counter()
        b = rng.choice(users, min(model.batch_size, len(users)), replace=False)
        items, events, gaps = (torch.from_numpy(a).to(dev) for a in pad_last(seq, b, model.max_len, extra=1))
        loss, _ = model.batch_loss(items[:, :-1], events[:, :-1], gaps[:, :-1], items[:, 1:])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if k:
            times.append(time.perf_counter() - t0)
    per_batch = float(np.mean(times))
    batches = math.ceil(len(users) / model.batch_size)
    return {"seconds_per_batch": per_batch, "batches_per_epoch": batches, "epoch_seconds_estimate": per_batch * batches,
            "threads": torch.get_num_threads(), "peak_rss_mb": peak_rss_mb()}


def run_scale_bench(sizes: list[int], workdir: str | Path, memory_limit: str = "6GB", cap_bytes: int = 2**30,
                    steps: tuple[str, ...] = ("prepare", "evaluate", "train"), out: str | Path | None = None,
                    keep: bool = False) -> pd.DataFrame:
    """Run the bench for each size in ``sizes`` (events); returns one row per size and writes the JSON and
    the plot. ``workdir`` holds the chunks and prepared splits (removed afterwards unless ``keep``)."""
    from ..data.fetch import project_root

    workdir = Path(workdir)
    rows = []
    for n in sizes:
        chunks, prepared = workdir / f"sim-{n}" / "chunks", workdir / f"sim-{n}" / "prepared"
        w = write_chunks(chunks, n)
        row: dict[str, float] = {"target events": n, "events": w["events"], "parquet MiB": w["bytes"] / 2**20,
                                 "simulate s": w["seconds"]}
        print(f"{n:,}: wrote {w['events']:,} events in {w['chunks']} chunks ({row['parquet MiB']:.0f} MiB, "
              f"{w['seconds']:.1f} s)", flush=True)
        if "prepare" in steps:
            p = run_in_child(__name__, "child_prepare", str(chunks / "*.parquet"), str(prepared), memory_limit)
            row.update({"prepare s": p["seconds"], "prepare peak RSS MiB": p["peak_rss_mb"], "split events": p["rows"],
                        "users": p["users"], "items": p["items"]})
            print(f"  prepare: {p['seconds']:.1f} s, peak RSS {p['peak_rss_mb']:.0f} MiB", flush=True)
        if "evaluate" in steps:
            e = run_in_child(__name__, "child_evaluate", str(prepared), cap_bytes)
            row.update({"evaluate s": e["seconds"], "evaluate users": e["users"], "evaluate batch": e["batch"],
                        "evaluate cap MiB": e["cap_mb"], "evaluate peak RSS MiB": e["peak_rss_mb"],
                        "read split s": e["read_seconds"], "read split peak RSS MiB": e["peak_rss_after_read_mb"]})
            print(f"  evaluate: {e['seconds']:.1f} s for {e['users']:,} users, peak RSS {e['peak_rss_mb']:.0f} MiB",
                  flush=True)
        if "train" in steps:
            t = run_in_child(__name__, "child_train", str(prepared))
            row.update({"train s/batch": t["seconds_per_batch"], "train batches/epoch": t["batches_per_epoch"],
                        "train epoch s (estimate)": t["epoch_seconds_estimate"], "train threads": t["threads"],
                        "train peak RSS MiB": t["peak_rss_mb"]})
            print(f"  train: {t['seconds_per_batch']:.3f} s/batch x {t['batches_per_epoch']:,} batches", flush=True)
        rows.append(row)
        if not keep:
            shutil.rmtree(workdir / f"sim-{n}", ignore_errors=True)
    table = pd.DataFrame(rows)
    fits = fit_times(table)
    path = Path(out) if out else project_root() / "reports" / "bench-scale.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"platform": platform.platform(), "cpus": os.cpu_count(), "memory_limit": memory_limit,
                                "results": table.to_dict("records"), "fits": fits}, indent=1, default=float))
    if len(table) >= 2:
        plot_scaling(table, fits, path.with_suffix(".png"))
    return table


TIMES = ("prepare s", "evaluate s", "train epoch s (estimate)", "prepare peak RSS MiB")


def fit_times(table: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per measured column of :data:`TIMES`: the log-log fit ``y = a x^b`` over events and its value at the
    full Taobao log (an extrapolation)."""
    from ..evaluate.statistics import power_law

    out = {}
    for col in TIMES:
        if col not in table or len(table) < 2:
            continue
        f = power_law(table["events"].to_numpy(float), table[col].to_numpy(float), n_boot=0)
        out[col] = {"a": f["a"], "b": f["b"], "at_taobao": f["a"] * TAOBAO_EVENTS ** f["b"]}
    return out


def plot_scaling(table: pd.DataFrame, fits: dict[str, dict[str, float]], path: Path) -> Path:
    """Log-log plot of each measured column against events, with its fit extended to the Taobao size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    grid = np.geomspace(table["events"].min(), max(TAOBAO_EVENTS, table["events"].max()), 50)
    for col, f in fits.items():
        pts = ax.loglog(table["events"], table[col], "o", label=f"{col}: b = {f['b']:.2f}")
        ax.loglog(grid, f["a"] * grid ** f["b"], "--", color=pts[0].get_color())
    ax.axvline(TAOBAO_EVENTS, color="grey", lw=0.8)
    ax.set_xlabel("events")
    ax.set_ylabel("seconds (MiB for RSS)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
