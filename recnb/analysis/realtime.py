"""Glue of notebook 10 (privacy and real time): the stream's cut times, the models replayed on it, and tidy
tables of updated vs stale states, new items and the periodic refit.

The measurements themselves live in :mod:`recnb.analysis.stream` (replay, fold-in, latency) and
:mod:`recnb.privacy` (Flower, Opacus, membership inference); this module only chooses, runs and tabulates.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..data.schema import Dataset, epoch_seconds
from ..evaluate import bootstrap_ci, evaluate
from ..models.baselines import EASE, ItemKNN
from ..models.sequence import SequenceRecommender
from ..privacy.federated import FederatedRun
from .stream import HOUR, Stream, fold_in_items, make_stream, one_hot, stream_ndcg


def stream_cuts(ds: Dataset, stream_hours: float, valid_hours: float) -> tuple[float, float, float, float, float]:
    """Cut times (Unix seconds) ``(valid_start, test_start, end, stream_hours, valid_hours)``: the stream is the
    last ``stream_hours`` of the log and validation the ``valid_hours`` before it, each cut to at most a
    quarter of the log's span (so that a short log keeps most of its events for training); the hours
    actually used are returned."""
    t = epoch_seconds(ds.events["timestamp"]).astype(float)
    t1 = float(t.max()) + 1.0
    span = (t1 - float(t.min())) / HOUR
    s, v = min(stream_hours, span / 4), min(valid_hours, span / 4)
    return t1 - (s + v) * HOUR, t1 - s * HOUR, t1, s, v


def build_stream(ds: Dataset, stream_hours: float, valid_hours: float) -> Stream:
    """:func:`~recnb.analysis.stream.make_stream` at the cuts of :func:`stream_cuts`."""
    v0, t0, t1, _, _ = stream_cuts(ds, stream_hours, valid_hours)
    return make_stream(ds, v0, t0, t1)


def fit_stream_models(stream: Stream, seq_epochs: int, ease_items: int, seed: int = 0) -> tuple[dict[str, object], pd.DataFrame]:
    """Fit the fold-in models on ``stream.split`` (each tunes on its validation stage): ItemKNN, EASE (on at
    most ``ease_items`` items) and a GRU sequence model (``seq_epochs`` epochs at most). Returns the models and
    one row per model: ``model``, validation ``valid ndcg@10``, ``fit seconds``."""
    makers = {"itemknn": lambda: ItemKNN(),
              "ease": lambda: EASE(max_items=ease_items),
              "gru": lambda: SequenceRecommender("gru", dim=64, max_len=50, max_epochs=seq_epochs, patience=3,
                                                 progress=False, seed=seed)}
    models, rows = {}, []
    for name, make in makers.items():
        t0 = time.perf_counter()
        models[name] = make().fit(stream.split)
        seconds = time.perf_counter() - t0
        valid = evaluate(models[name], stream.split, "valid", ks=(10,)).per_user["ndcg@10"].mean()
        rows.append({"model": name, "valid ndcg@10": float(valid), "fit seconds": seconds})
    return models, pd.DataFrame(rows)


def state_table(frame: pd.DataFrame, models: list[str], n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """From :func:`~recnb.analysis.stream.compare_states`: per model, the mean NDCG@10 of the updated and the
    stale state over the targets, each with its 95% CI, and the paired difference (updated - stale) with its CI."""
    rows = []
    for m in models:
        up, st = frame[f"{m} updated"].to_numpy(), frame[f"{m} stale"].to_numpy()
        row = {"model": m, "targets": len(frame)}
        for label, v in (("updated", up), ("stale", st), ("updated - stale", up - st)):
            lo, hi = bootstrap_ci(v, n_boot, seed)
            row |= {label: float(v.mean()), f"{label} low": lo, f"{label} high": hi}
        rows.append(row)
    return pd.DataFrame(rows)


def new_item_study(model: SequenceRecommender, stream: Stream, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """New items made recommendable without retraining (:func:`~recnb.analysis.stream.fold_in_items`): the
    co-occurrence fold-in uses the stream up to its midpoint and every variant is scored on the targets after
    it, on the targets on items the model never trained on. One row per variant: ``variant``, ``targets``,
    ``ndcg@10`` with CI, ``fold-in seconds`` (content: item categories, only where the log has them)."""
    rows = stream.targets()
    mid = (stream.test_start + stream.end) / 2
    tl = stream.timeline
    trained = np.asarray(stream.split.train.sum(axis=0)).ravel() > 0
    keep = (tl["t"].to_numpy()[rows] >= mid) & ~trained[tl["i"].to_numpy()[rows]]
    rows = rows[keep]
    variants: dict[str, tuple[object, float]] = {"as trained": (model, 0.0)}
    t0 = time.perf_counter()
    variants["co-occurrence fold-in"] = (fold_in_items(model, stream, until=mid), time.perf_counter() - t0)
    if stream.split.categories:
        t0 = time.perf_counter()
        content = one_hot(np.asarray(stream.split.item_category))
        variants["category fold-in"] = (fold_in_items(model, stream, until=mid, content=content), time.perf_counter() - t0)
    out = []
    for name, (m, seconds) in variants.items():
        v = stream_ndcg({"m": m}, stream, rows)["m"] if len(rows) else np.zeros(0)
        lo, hi = bootstrap_ci(v, n_boot, seed) if len(v) else (np.nan, np.nan)
        out.append({"variant": name, "targets": len(rows), "ndcg@10": float(v.mean()) if len(v) else np.nan,
                    "ci_low": lo, "ci_high": hi, "fold-in seconds": seconds})
    return pd.DataFrame(out)


def rounds_frame(runs: list[FederatedRun]) -> pd.DataFrame:
    """The per-round rows of several federated (or centralised) runs in long form, with a ``setting`` column
    and ``MB per round`` (bytes down + up)."""
    parts = [r.rounds.assign(setting=r.name) for r in runs]
    out = pd.concat(parts, ignore_index=True)
    out["MB per round"] = (out["bytes down"] + out["bytes up"]) / 1e6
    return out


def federated_table(runs: list[FederatedRun], n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """One row per run: the clients sampled per round (0: centralised), the round (epoch) chosen on validation
    NDCG@10, its test NDCG@10 with CI, the total traffic in MB and the wall seconds."""
    out = []
    for r in runs:
        s = r.evaluation.summary(n_boot, seed).set_index("metric").loc["ndcg@10"]
        traffic = float((r.rounds["bytes down"] + r.rounds["bytes up"]).sum()) / 1e6
        out.append({"setting": r.name, "clients per round": int(r.rounds["clients"].max()),
                    "rounds": int(r.rounds["round"].max()), "best round (validation)": r.best_round,
                    "ndcg@10": s["mean"], "ci_low": s["ci_low"], "ci_high": s["ci_high"], "total MB": traffic,
                    "seconds": r.seconds})
    return pd.DataFrame(out)


__all__ = ["stream_cuts", "build_stream", "fit_stream_models", "state_table", "new_item_study", "rounds_frame",
           "federated_table"]
