"""Glue of notebook 11 (privacy and real time): the streams' cut times (the last hours of a shop log, or the
window where returning users act most, :func:`busiest_cuts`), the models replayed on them, the choice of a
model on the validation stream against popularity (:func:`versus_popularity`), and tidy tables with paired CIs
of updated vs stale states, periodic refits vs fold-in, new items (the variant chosen on validation) and the
federated runs.

The measurements themselves live in :mod:`recnb.data.stream` (the stream split, replay),
:mod:`recnb.serving` (fold-in, quality per target, latency, refits) and
:mod:`recnb.privacy` (Flower, Opacus, membership inference); this module only chooses, runs and tabulates.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from ..evaluate.names import NDCG10, VALID_NDCG10
from ..data.schema import Dataset, epoch_seconds
from ..data.stream import HOUR, Stream, make_stream
from ..evaluate import bootstrap_ci, evaluate
from ..models.baselines import EASE, ItemKNN, MostPopular
from ..models.sequence import SequenceRecommender
from ..privacy.federated import FederatedRun
from ..prose import count, estimate
from ..serving import fold_in_items, one_hot, stream_ndcg


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


def busiest_cuts(ds: Dataset, stream_hours: float, valid_hours: float, grid_hours: float = 24.0) -> tuple[float, float, float]:
    """Cut times (Unix seconds) ``(valid_start, test_start, end)`` of the window where returning users act
    most: over ``test_start`` on a grid of ``grid_hours``, the one that maximises the smaller of two counts,
    the events in ``[test_start, test_start + stream_hours)`` and those in the ``valid_hours`` before it, each
    counting only users with an event before ``valid_start`` (users a model trained on). Only counts of
    events are read, never a model's result. For a log such as MovieLens, where most users rate in one burst
    when they join, the last hours of the log hold few returning users; this window holds many."""
    t = epoch_seconds(ds.events["timestamp"]).astype(float)
    keep = np.isfinite(t)
    t = t[keep]
    u = pd.factorize(ds.events["user_id"].to_numpy()[keep])[0]
    first = np.full(u.max() + 1, np.inf)
    np.minimum.at(first, u, t)
    order = np.argsort(t, kind="stable")
    t, u = t[order], u[order]
    sh, vh = stream_hours * HOUR, valid_hours * HOUR
    grid = np.arange(t[0] + vh + grid_hours * HOUR, t[-1] - sh + 1, grid_hours * HOUR)
    if not len(grid):
        raise ValueError(f"busiest_cuts: {ds.name} spans less than {stream_hours + valid_hours + grid_hours:g} hours")
    best, cut = -1, grid[0]
    for t0 in grid:  # one vector operation per candidate cut (a few hundred), not per user
        v0 = t0 - vh
        lo, mid, hi = np.searchsorted(t, [v0, t0, t0 + sh])
        known = first[u[lo:hi]] < v0
        score = min(int(known[:mid - lo].sum()), int(known[mid - lo:].sum()))
        if score > best:
            best, cut = score, t0
    return cut - vh, cut, cut + sh


def build_stream(ds: Dataset, stream_hours: float, valid_hours: float) -> Stream:
    """:func:`~recnb.data.stream.make_stream` at the cuts of :func:`stream_cuts`."""
    v0, t0, t1, _, _ = stream_cuts(ds, stream_hours, valid_hours)
    return make_stream(ds, v0, t0, t1)


def fit_stream_models(stream: Stream, seq_epochs: int, ease_items: int, seed: int = 0,
                      names: tuple[str, ...] = ("itemknn", "ease", "gru")) -> tuple[dict[str, object], pd.DataFrame]:
    """Fit the fold-in models ``names`` on ``stream.split`` (each tunes on its validation stage): ItemKNN, EASE
    (on at most ``ease_items`` items) and a GRU sequence model (``seq_epochs`` epochs at most). Returns the
    models and one row per model: ``model``, validation ``valid ndcg@10``, ``fit seconds``."""
    makers = {"itemknn": lambda: ItemKNN(),
              "ease": lambda: EASE(max_items=ease_items),
              "gru": lambda: SequenceRecommender("gru", dim=64, max_len=50, max_epochs=seq_epochs, patience=3,
                                                 progress=False, seed=seed)}
    models, rows = {}, []
    for name, make in makers.items():
        if name not in names:
            continue
        t0 = time.perf_counter()
        models[name] = make().fit(stream.split)
        seconds = time.perf_counter() - t0
        valid = evaluate(models[name], stream.split, "valid", ks=(10,)).per_user[NDCG10].mean()
        rows.append({"model": name, VALID_NDCG10: float(valid), "fit seconds": seconds})
    return models, pd.DataFrame(rows)


def state_table(frame: pd.DataFrame, models: list[str], n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """From :func:`~recnb.serving.compare_states`: per model, the mean NDCG@10 of the updated and the
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
    """New items made recommendable without retraining (:func:`~recnb.serving.fold_in_items`), the
    variant chosen on validation. The stream is cut in thirds at ``t1 < t2``: for validation, each variant
    folds in the stream before ``t1`` and is scored on the targets in ``[t1, t2)``; for test, it folds in the
    stream before ``t2`` and is scored on the targets from ``t2`` on; in both, only targets on items the model
    never trained on count. The variant with the best validation NDCG@10 is ``chosen`` (the first in the
    table's order on a tie: "as trained" wins when no fold-in helps on validation).

    One row per variant: ``variant``, ``valid targets``, ``valid ndcg@10``, ``targets`` and test ``ndcg@10``
    with its 95% CI, the paired test difference against "as trained" (``minus as trained`` with ``minus
    low``/``minus high``), ``fold-in seconds`` (the test fold-in) and ``chosen`` (content: item categories,
    only where the log has them)."""
    rows = stream.targets()
    span = stream.end - stream.test_start
    t1, t2 = stream.test_start + span / 3, stream.test_start + 2 * span / 3
    tl = stream.timeline
    trained = np.asarray(stream.split.train.sum(axis=0)).ravel() > 0
    t = tl["t"].to_numpy()[rows]
    untrained = ~trained[tl["i"].to_numpy()[rows]]
    stages = {"valid": (t1, rows[(t >= t1) & (t < t2) & untrained]), "test": (t2, rows[(t >= t2) & untrained])}
    content = one_hot(np.asarray(stream.split.item_category)) if stream.split.categories else None
    makers = {"as trained": lambda until: model,
              "co-occurrence fold-in": lambda until: fold_in_items(model, stream, until=until)}
    if content is not None:
        makers["category fold-in"] = lambda until: fold_in_items(model, stream, until=until, content=content)
    scores: dict[str, dict[str, np.ndarray]] = {}
    seconds: dict[str, float] = {}
    for name, make in makers.items():
        scores[name] = {}
        for stage, (until, picked) in stages.items():
            t0 = time.perf_counter()
            m = make(until)
            seconds[name] = time.perf_counter() - t0
            scores[name][stage] = stream_ndcg({"m": m}, stream, picked)["m"] if len(picked) else np.zeros(0)
    valid = {n: float(v["valid"].mean()) if len(v["valid"]) else np.nan for n, v in scores.items()}
    finite = {n: v for n, v in valid.items() if np.isfinite(v)}
    chosen = max(finite, key=lambda n: (finite[n], -list(makers).index(n))) if finite else "as trained"
    base = scores["as trained"]["test"]
    out = []
    for name in makers:
        v = scores[name]["test"]
        lo, hi = bootstrap_ci(v, n_boot, seed) if len(v) else (np.nan, np.nan)
        dlo, dhi = bootstrap_ci(v - base, n_boot, seed) if len(v) else (np.nan, np.nan)
        out.append({"variant": name, "valid targets": len(scores[name]["valid"]), VALID_NDCG10: valid[name],
                    "targets": len(v), NDCG10: float(v.mean()) if len(v) else np.nan, "ci_low": lo, "ci_high": hi,
                    "minus as trained": float((v - base).mean()) if len(v) else np.nan, "minus low": dlo,
                    "minus high": dhi, "fold-in seconds": seconds[name], "chosen": name == chosen})
    return pd.DataFrame(out)


def chosen_variant(table: pd.DataFrame) -> pd.Series:
    """The row of :func:`new_item_study` chosen on validation (never on the test column)."""
    return table.loc[table["chosen"].to_numpy(bool)].iloc[0]


def signal_models(stream: Stream, ease_items: int) -> dict[str, object]:
    """The models of the stream with signal, fitted on ``stream.split`` (each tunes its own hyperparameters
    on the split's validation stage): popularity (the reference), ItemKNN and EASE (on at most ``ease_items``
    items), the fold-in models of :class:`~recnb.serving.FoldIn`."""
    makers = {"popularity": lambda: MostPopular(), "itemknn": lambda: ItemKNN(ks=(100, 400), shrinks=(10.0,)),
              "ease": lambda: EASE(lambdas=(100.0, 500.0, 2000.0), max_items=ease_items)}
    return {name: make().fit(stream.split) for name, make in makers.items()}


def versus_popularity(stream: Stream, validation: Stream, models: dict[str, object], n_boot: int = 1000,
                      seed: int = 0, test: bool = True) -> tuple[pd.DataFrame, str, dict[str, np.ndarray]]:
    """Choose a model on the validation replay and measure it against popularity on both replays.

    Every model's updated-state NDCG@10 is computed on every target of ``validation`` (the replay of the
    validation window, :func:`~recnb.data.stream.replay`) and of ``stream``; the model with the best mean
    on validation is chosen (popularity, the reference, is never chosen over a model that beats it).
    Returns ``(table, chosen, test)``: one row per (stage, model) with ``targets``, ``ndcg@10`` and its 95% CI,
    and the paired difference against popularity on the same targets (``minus popularity``, ``low``,
    ``high``); the chosen name; and the per-target test NDCG@10 of every model (Stream.targets order; empty
    with ``test=False``, which scores the validation replay only)."""
    stages = (("valid", validation), ("test", stream)) if test else (("valid", validation),)
    scores = {stage: stream_ndcg(models, s, s.targets()) for stage, s in stages}
    means = {n: float(v.mean()) for n, v in scores["valid"].items() if n != "popularity"}
    chosen = max(means, key=means.get) if means else "popularity"
    rows = []
    for stage, per in scores.items():
        pop = per["popularity"]
        for name, v in per.items():
            lo, hi = bootstrap_ci(v, n_boot, seed)
            dlo, dhi = bootstrap_ci(v - pop, n_boot, seed)
            rows.append({"stage": stage, "model": name, "targets": len(v), NDCG10: float(v.mean()), "ci_low": lo,
                         "ci_high": hi, "minus popularity": float((v - pop).mean()), "low": dlo, "high": dhi,
                         "chosen": name == chosen})
    return pd.DataFrame(rows), chosen, scores.get("test", {})


def versus_sentences(table: pd.DataFrame, chosen: str) -> str:
    """The verdict of a :func:`versus_popularity` table in words, one sentence per stage it holds: the chosen
    model's NDCG@10 and popularity's, each with its 95% CI, and the paired difference with its CI."""
    out = []
    for stage in table["stage"].unique():
        r = table[(table["stage"] == stage) & table["chosen"]].iloc[0]
        p = table[(table["stage"] == stage) & (table["model"] == "popularity")].iloc[0]
        verdict = difference_word(r["low"], r["high"], "above", "below", "not distinguishable from")
        word = {"valid": "Validation", "test": "Test"}.get(stage, stage)
        out.append(f"{word} stream: **{chosen}** (chosen on validation) "
                   f"{estimate(r[NDCG10], r['ci_low'], r['ci_high'], 4)} vs popularity "
                   f"{estimate(p[NDCG10], p['ci_low'], p['ci_high'], 4)} NDCG@10 over {count(r['targets'], 'target')}: "
                   f"{verdict} popularity (paired difference {estimate(r['minus popularity'], r['low'], r['high'], 4)}).")
    return "\n\n".join(out)


def refit_table(refit: np.ndarray, fold_in: np.ndarray, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Periodic refit against fold-in only on the same targets: each mean NDCG@10 with its 95% CI and the
    paired difference (refit - fold-in) with its CI, one row."""
    row: dict[str, float] = {"targets": len(refit)}
    for label, v in (("refit", refit), ("fold-in", fold_in), ("refit - fold-in", refit - fold_in)):
        lo, hi = bootstrap_ci(v, n_boot, seed)
        row |= {label: float(np.mean(v)), f"{label} low": lo, f"{label} high": hi}
    return pd.DataFrame([row])


def difference_word(low: float, high: float, better: str = "helps", worse: str = "hurts",
                    neither: str = "makes no clear difference") -> str:
    """The verdict a 95% CI of a difference supports: ``better`` when it lies above 0, ``worse`` below,
    else ``neither``."""
    return better if low > 0 else worse if high < 0 else neither


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
        s = r.evaluation.summary(n_boot, seed).set_index("metric").loc[NDCG10]
        traffic = float((r.rounds["bytes down"] + r.rounds["bytes up"]).sum()) / 1e6
        out.append({"setting": r.name, "clients per round": int(r.rounds["clients"].max()),
                    "rounds": int(r.rounds["round"].max()), "best round (validation)": r.best_round,
                    NDCG10: s["mean"], "ci_low": s["ci_low"], "ci_high": s["ci_high"], "total MB": traffic,
                    "seconds": r.seconds})
    return pd.DataFrame(out)


__all__ = ["stream_cuts", "busiest_cuts", "build_stream", "fit_stream_models", "state_table", "new_item_study", "chosen_variant",
           "signal_models", "versus_popularity", "refit_table", "difference_word", "rounds_frame",
           "federated_table"]
