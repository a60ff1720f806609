"""Serving a fitted model on a stream (:mod:`recnb.data.stream`): user state, quality per target, latency, refits.

A user's state at a target:

* **updated** (fold-in, no retraining): the history holds every earlier event of the user, the stream's
  included. EASE and ItemKNN multiply it by their item-item weights; the sequence model reads its last
  ``max_len`` events, so folding an event in costs one pass over that window;
* **stale**: the model's input is the history frozen at ``test_start``, as a system that only updates in
  nightly batches. The seen-filter is the same as the updated state's (every earlier event of the user is
  masked), so updated vs stale measures the state alone, not a refreshed filter.

Two paths compute the same scores: :func:`stream_ndcg` (batched, for quality) and :class:`FoldIn` (one event
at a time, as a server would, for :func:`latency`); the tests check they agree. Items new since
``test_start`` are made recommendable by :func:`fold_in_items` (no retraining) or :func:`periodic_refit`;
:func:`over_time` summarises per window of log time.
"""

from __future__ import annotations

import copy
import time
from typing import Callable

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from tqdm.auto import tqdm

from .evaluate.names import NDCG10
from . import env
from .data.stream import HOUR, Stream, refit_split, snapshot, target_table
from .evaluate import bootstrap_ci, evaluate
from .models.base import Fitted
from .models.baselines import EASE, ItemKNN
from .models.sequence import SequenceRecommender, gap_buckets


def stream_ndcg(models: dict[str, Fitted], stream: Stream, rows: np.ndarray, stale: bool = False,
                chunk: int = 2000, progress: bool = False) -> dict[str, np.ndarray]:
    """NDCG@10 of each fitted model at each target ``rows`` (timeline rows): ``{name: array (len(rows),)}``.
    Each chunk of ``chunk`` targets becomes one :func:`snapshot`, to which every model is rebound and
    ranked by :func:`recnb.evaluate.evaluate`. With ``stale`` the model reads the stale snapshot (history
    frozen at ``test_start``) but the ranking masks the updated one (every earlier event of the user), so
    that stale and updated states share the seen-filter."""
    rows = np.asarray(rows, dtype=np.int64)
    out = {name: np.empty(len(rows)) for name in models}
    for b in tqdm(range(0, len(rows), chunk), desc="stream ndcg", leave=False, disable=not progress):
        snap = snapshot(stream, rows[b:b + chunk])
        inputs = snapshot(stream, rows[b:b + chunk], stale=True) if stale else snap
        for name, model in models.items():
            ev = evaluate(model.bind(inputs), snap, "test", ks=(10,))
            out[name][b:b + chunk] = ev.per_user[NDCG10].to_numpy()
    return out


def compare_states(stream: Stream, models: dict[str, Fitted], progress: bool = False) -> pd.DataFrame:
    """Per target, :func:`target_table` and for each model the NDCG@10 of its ``updated`` and ``stale`` state
    (columns ``"<name> updated"``, ``"<name> stale"``)."""
    out = target_table(stream)
    rows = out["row"].to_numpy()
    for stale in (False, True):
        for name, values in stream_ndcg(models, stream, rows, stale, progress=progress).items():
            out[f"{name} {'stale' if stale else 'updated'}"] = values
    return out[list(out.columns[:7]) + [f"{n} {s}" for n in models for s in ("updated", "stale")]]


def periodic_refit(stream: Stream, make: Callable[[], Fitted], model: Fitted, every_hours: float,
                   progress: bool = False) -> tuple[np.ndarray, pd.DataFrame]:
    """Refit ``make()`` (a model with its hyperparameters fixed, e.g. the λ the start model chose on
    validation) on :func:`refit_split` every ``every_hours`` hours of log time after ``test_start``
    (``model``, fitted at ``test_start``, serves until the first refit) and score each target with the model
    of its moment and its updated history.

    Returns ``(ndcg, refits)``: NDCG@10 per target in :meth:`Stream.targets` order, and one row per model
    (``at``: Unix seconds it took over, ``train events``: events it was fitted on, ``stream events``: how
    many of those are stream events, ``fit seconds``).
    """
    rows = stream.targets()
    t = stream.timeline["t"].to_numpy()[rows]
    times = np.arange(stream.test_start + every_hours * HOUR, stream.end, every_hours * HOUR)
    out = np.empty(len(rows))
    log = [{"at": stream.test_start, "train events": int((stream.split.events["role"] == "train").sum()), "stream events": 0,
            "fit seconds": np.nan}]
    current = model
    bounds = np.r_[stream.test_start, times, np.inf]
    all_t = stream.timeline["t"].to_numpy()
    for k in tqdm(range(len(bounds) - 1), desc=f"refit every {every_hours:g} h", leave=False, disable=not progress):
        if k:
            t0 = time.perf_counter()
            split = refit_split(stream, bounds[k])
            current = make().fit(split)
            log.append({"at": bounds[k], "train events": int((split.events["role"] == "train").sum()),
                        "stream events": int(((all_t >= stream.test_start) & (all_t < bounds[k])).sum()),
                        "fit seconds": time.perf_counter() - t0})
        inside = (t >= bounds[k]) & (t < bounds[k + 1])
        if inside.any():
            out[inside] = stream_ndcg({"m": current}, stream, rows[inside])["m"]
    return out, pd.DataFrame(log)


def fold_in_items(model: SequenceRecommender, stream: Stream, until: float, content: np.ndarray | sp.spmatrix | None = None,
                  ridge: float = 1.0) -> SequenceRecommender:
    """A copy of a fitted sequence model in which the items it never trained on get an embedding and an
    output bias, without retraining:

    * with ``content`` (features per item, shape (n_items, d), dense or sparse, e.g. a one-hot category or a
      text embedding): a ridge regression from content to [embedding, bias] fitted on the trained items
      (the model's train split), applied to the untrained ones;
    * without: co-occurrence, the mean [embedding, bias] of the items viewed just before the item in the
      stream before ``until`` (Unix seconds); items without such a predecessor keep their initial values.
    """
    m = copy.deepcopy(model)
    trained = np.asarray(model.split_.train.sum(axis=0)).ravel() > 0  # type: ignore[attr-defined]
    emb = m.encoder.item.weight.data  # (n_items + 1, dim): row 0 is padding
    target = torch.cat([emb[1:], m.out_bias.data[:, None]], 1).double()  # (n_items, dim + 1)
    new = np.flatnonzero(~trained)
    if content is not None:
        x = sp.csr_matrix(content, dtype=np.float64)
        xt = x[trained]
        gram = (xt.T @ xt).toarray() + ridge * np.eye(x.shape[1])
        coef = np.linalg.solve(gram, (xt.T @ target[torch.from_numpy(trained)].numpy()))
        values = torch.from_numpy(np.asarray(x[new] @ coef))
        has = torch.from_numpy(np.asarray(x[new].sum(axis=1)).ravel() != 0)
    else:
        tl = stream.timeline
        u, i, t = tl["u"].to_numpy(), tl["i"].to_numpy(), tl["t"].to_numpy()
        prev_ok = np.r_[False, u[1:] == u[:-1]] & (t < until)
        nxt, prv = i[prev_ok], i[np.flatnonzero(prev_ok) - 1]
        keep = ~trained[nxt] & trained[prv]
        sums = np.zeros((len(trained), target.shape[1]))
        np.add.at(sums, nxt[keep], target[torch.from_numpy(prv[keep])].numpy())
        counts = np.bincount(nxt[keep], minlength=len(trained))
        values = torch.from_numpy(sums[new] / np.maximum(counts[new], 1)[:, None])
        has = torch.from_numpy(counts[new] > 0)
    idx = torch.from_numpy(new)[has]
    emb[idx + 1] = values[has, :-1].to(emb.dtype)
    m.out_bias.data[idx] = values[has, -1].to(emb.dtype)
    return m


def one_hot(codes: np.ndarray) -> sp.csr_matrix:
    """Sparse one-hot rows of integer codes (negative: no code, an empty row), shape (len(codes), max + 1):
    item categories as the ``content`` of :func:`fold_in_items`."""
    codes = np.asarray(codes)
    ok = codes >= 0
    return sp.csr_matrix((np.ones(int(ok.sum())), (np.flatnonzero(ok), codes[ok])),
                         shape=(len(codes), int(codes.max(initial=-1)) + 1))


def over_time(frame: pd.DataFrame, columns: list[str], window_hours: float = 3.0, start: float | None = None,
              n_boot: int = 200, seed: int = 0) -> pd.DataFrame:
    """Mean of each NDCG column of ``frame`` (one row per target, with a ``t`` column) per window of
    ``window_hours`` hours of log time since ``start`` (default: the first target): long form with
    ``window`` (hours since start), ``policy``, ``targets``, ``ndcg@10``, ``ci_low``, ``ci_high``."""
    t0 = frame["t"].min() if start is None else start
    w = np.floor((frame["t"].to_numpy() - t0) / (window_hours * HOUR)) * window_hours
    rows = []
    for win in np.unique(w):
        part = frame[w == win]
        for c in columns:
            lo, hi = bootstrap_ci(part[c].to_numpy(), n_boot, seed)
            rows.append({"window": float(win), "policy": c, "targets": len(part), NDCG10: float(part[c].mean()),
                         "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


class FoldIn:
    """Per-event state of a fitted model, updated as each event arrives, for latency measurements.

    Supported: :class:`~recnb.models.baselines.ItemKNN` and :class:`~recnb.models.baselines.EASE` (the
    state is the score vector history · W, updated by adding item i's row of W when i is new to the user)
    and :class:`~recnb.models.sequence.SequenceRecommender` (the state is the encoding of the user's last
    ``max_len`` events, recomputed when an event is appended). A request masks the user's items and takes
    the top k. :meth:`start` loads a user's history before ``test_start``. :meth:`scores` equal the model's
    ``score`` (for an EASE restricted to its most popular items, up to the constant by which ``EASE.score``
    shifts the restricted items in each batch: the ranking is the same).
    """

    def __init__(self, model: object, stream: Stream) -> None:
        if not isinstance(model, (ItemKNN, EASE, SequenceRecommender)):
            raise TypeError(f"FoldIn supports ItemKNN, EASE and SequenceRecommender, not {type(model).__name__}")
        self.model, self.stream = model, stream
        self.n_items = stream.split.n_items
        self.seen: dict[int, torch.Tensor] = {}
        self.state: dict[int, torch.Tensor] = {}
        self.window: dict[int, list[np.ndarray]] = {}
        self.last_t: dict[int, float] = {}
        if isinstance(model, ItemKNN):
            self.weights = model.similarity_.tocsr()
        elif isinstance(model, EASE):
            self.position = np.full(self.n_items, -1)
            self.position[model.items_] = np.arange(len(model.items_))

    def start(self, u: int) -> None:
        """Load user ``u``'s events before ``test_start`` (the stale state)."""
        tl, lo = self.stream.timeline, self.stream.offsets[u]
        rows = slice(lo, lo + self.stream.n_before[u])
        items, events, t = tl["i"].to_numpy()[rows], tl["event"].to_numpy()[rows], tl["t"].to_numpy()[rows]
        self.seen[u] = torch.zeros(self.n_items, dtype=torch.bool)
        self.seen[u][torch.as_tensor(items.astype(np.int64))] = True
        if isinstance(self.model, SequenceRecommender):
            gaps = np.r_[np.nan, np.diff(t)]
            n = self.model.max_len
            self.window[u] = [items[-n:] + 1, events[-n:].astype(np.int64) + 1, gap_buckets(gaps[-n:])]
            self.last_t[u] = float(t[-1]) if len(t) else np.nan
            self._encode(u)
        else:
            h = np.zeros(self.n_items, dtype=np.float32)
            h[items] = 1.0
            self.state[u] = self._linear(h)

    def _linear(self, h: np.ndarray) -> torch.Tensor:
        if isinstance(self.model, ItemKNN):
            return torch.from_numpy(np.asarray(self.weights.T @ h, dtype=np.float32))
        if not isinstance(self.model, EASE):
            raise TypeError(f"FoldIn: no linear state for a {type(self.model).__name__}")
        with torch.no_grad():
            return self.model.apply(torch.from_numpy(h[self.model.items_])[None].to(env.device()))[0].cpu()

    def _encode(self, u: int) -> None:
        n = self.model.max_len  # type: ignore[union-attr]
        parts = [np.r_[np.zeros(n - len(a), dtype=np.int64), a][None] for a in self.window[u]]
        with torch.no_grad():
            self.state[u] = self.model.encoder(*(torch.from_numpy(p) for p in parts))[0, -1]  # type: ignore[union-attr]

    def update(self, u: int, i: int, event: int, t: float) -> bool:
        """Fold event (user ``u``, item ``i``, event code, Unix seconds ``t``) into ``u``'s state. Returns
        whether the state changed: a linear model ignores an item the user already had (and EASE an item
        outside its restricted set), a no-op; a sequence model re-encodes on every event."""
        if u not in self.seen:
            self.start(u)
        new = not bool(self.seen[u][i])
        self.seen[u][i] = True
        if isinstance(self.model, SequenceRecommender):
            n = self.model.max_len
            gap = gap_buckets(np.array([t - self.last_t[u] if u in self.last_t else np.nan]))
            items, events, gaps = self.window[u]
            self.window[u] = [np.r_[items, i + 1][-n:], np.r_[events, event + 1][-n:], np.r_[gaps, gap][-n:]]
            self.last_t[u] = t
            self._encode(u)
            return True
        if new:
            if isinstance(self.model, ItemKNN):
                row = self.weights[i]
                self.state[u][torch.from_numpy(row.indices.astype(np.int64))] += torch.from_numpy(row.data.astype(np.float32))
                return True
            if isinstance(self.model, EASE) and self.position[i] >= 0:
                with torch.no_grad():
                    self.state[u] += self.model.rows(np.array([self.position[i]]))[0].cpu()
                return True
        return False

    def scores(self, u: int) -> torch.Tensor:
        """Unmasked scores of every item for ``u``, shape (n_items,), equal to the model's ``score``."""
        if u not in self.seen:
            self.start(u)
        m = self.model
        if isinstance(m, SequenceRecommender):
            with torch.no_grad():
                return self.state[u] @ m.encoder.item.weight[1:].T + m.out_bias
        if isinstance(m, EASE) and len(m.items_) < self.n_items:
            sub = self.state[u]
            out = m.fallback_.clone()
            out[torch.from_numpy(m.items_)] = sub + 1.0 - sub.min()  # as EASE.score: restricted items first
            return out
        return self.state[u]

    def recommend(self, u: int, k: int = 10) -> np.ndarray:
        """Top ``k`` items for ``u`` with the user's items masked, best first, shape (k,)."""
        s = self.scores(u).clone()
        s[self.seen[u]] = -torch.inf
        return torch.topk(s, k).indices.numpy()


def latency(model: object, stream: Stream, n_events: int = 2000, k: int = 10, name: str | None = None,
            threads: int = 1, warmup: int = 100) -> pd.DataFrame:
    """Replay the first ``warmup + n_events`` stream events through :class:`FoldIn` on ``threads`` torch
    threads: each event is folded in (timed: ``event`` when it changed the state, ``no-op event`` when it did
    not, see :meth:`FoldIn.update`), then its user asks for ``k`` recommendations (timed: ``request``). The
    first ``warmup`` events are replayed untimed (allocator, caches and lazy initialisation warm up), and a
    user's history before ``test_start`` is loaded before their first event, untimed.
    Returns one row per timing: ``model``, ``kind``, ``ms``."""
    tl = stream.timeline
    rows = stream.stream_rows()[:warmup + n_events]
    fold = FoldIn(model, stream)
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    out: list[tuple[str, float]] = []
    try:
        for n, (u, i, e, t) in enumerate(zip(tl["u"].to_numpy()[rows].tolist(), tl["i"].to_numpy()[rows].tolist(),
                                             tl["event"].to_numpy()[rows].tolist(), tl["t"].to_numpy()[rows].tolist())):
            if u not in fold.seen:
                fold.start(u)
            t0 = time.perf_counter()
            changed = fold.update(u, i, e, t)
            t1 = time.perf_counter()
            fold.recommend(u, k)
            t2 = time.perf_counter()
            if n >= warmup:
                out += [("event" if changed else "no-op event", (t1 - t0) * 1e3), ("request", (t2 - t1) * 1e3)]
    finally:
        torch.set_num_threads(old)
    frame = pd.DataFrame(out, columns=["kind", "ms"])
    frame.insert(0, "model", name or type(model).__name__)
    return frame


def latency_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """p50, p99 and mean milliseconds per model and kind, with the number of timings."""
    g = frame.groupby(["model", "kind"])["ms"]
    return pd.DataFrame({"p50 ms": g.quantile(0.5), "p99 ms": g.quantile(0.99), "mean ms": g.mean(),
                         "n": g.size()}).reset_index()


__all__ = ["stream_ndcg", "compare_states", "periodic_refit", "fold_in_items", "one_hot", "over_time", "FoldIn",
           "latency", "latency_summary"]
