"""The stream split: a log's test period replayed as a time-ordered stream of events.

Setup (:func:`make_stream`). Models fit on ``time_cut_split(ds, valid_start, test_start)`` (train before
``valid_start``; validation on each user's first new item in ``[valid_start, test_start)``). Every event
from ``test_start`` on (until ``end``) is then replayed in time order. A **target** is a stream event on an
item new to the user (no earlier event of any type on it) by a user with at least one event before
``test_start``; it is predicted from the moment just before it, over the whole catalogue with the user's
history at that moment masked. :func:`replay` replays another window (the validation stream),
:func:`snapshot` turns targets into a :class:`~recnb.data.split.Split` that a fitted model scores with its own
code, :func:`target_table` lists them and :func:`refit_split` is what a refit at a given time trains on.

Serving on a stream (fold-in, quality per target, latency, periodic refits) is :mod:`recnb.serving`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .schema import Dataset, epoch_seconds
from .split import ROLES, Split, time_cut_split

HOUR = 3600.0
"""Seconds per hour: stream windows and refit periods are given in hours of log time."""


def _seconds(x: str | pd.Timestamp | float) -> float:
    if isinstance(x, (int, float, np.floating, np.integer)):
        return float(x)
    ts = pd.Timestamp(x)
    return (ts.tz_localize("UTC") if ts.tzinfo is None else ts).timestamp()


@dataclass
class Stream:
    """A log cut for replay (see the module docstring).

    Attributes:
        dataset: the log.
        split: ``time_cut_split(dataset, valid_start, test_start)``, what the models fit on; its user and
            item indices are used throughout.
        timeline: every event before ``end``, ordered by user then time (ties: source order), with columns
            ``u``, ``i``, ``event`` (code), ``t`` (Unix seconds), ``stream`` (at or after ``test_start``),
            ``first`` (first event of the user on that item), ``target`` and ``new_item`` (the item has no
            event before ``test_start``).
        offsets: each user's rows in ``timeline``, shape (n_users + 1,).
        n_before: events before ``test_start`` per user, shape (n_users,).
        arrival: time of each item's first event (``inf`` if none before ``end``), shape (n_items,).
        valid_start, test_start, end: the cut times (Unix seconds).
    """

    dataset: Dataset
    split: Split
    timeline: pd.DataFrame
    offsets: np.ndarray
    n_before: np.ndarray
    arrival: np.ndarray
    valid_start: float
    test_start: float
    end: float

    def stream_rows(self) -> np.ndarray:
        """Timeline rows of the stream's events in time order (ties: by user), shape (n,)."""
        tl = self.timeline
        rows = np.flatnonzero(tl["stream"].to_numpy())
        return rows[np.lexsort((rows, tl["t"].to_numpy()[rows]))]

    def targets(self) -> np.ndarray:
        """Timeline rows of the target events in time order, shape (n_targets,)."""
        rows = self.stream_rows()
        return rows[self.timeline["target"].to_numpy()[rows]]

    def summary(self) -> dict[str, int | float]:
        """Counts a report should state."""
        tl = self.timeline
        s = tl["stream"].to_numpy()
        return {"events before test_start": int((~s).sum()), "stream events": int(s.sum()),
                "targets": int(tl["target"].sum()),
                "stream events on items already seen by the user": int((s & ~tl["first"].to_numpy()).sum()),
                "stream events of users new at test_start": int((s & (self.n_before[tl["u"].to_numpy()] == 0)).sum()),
                "targets on new items": int((tl["target"] & tl["new_item"]).sum()),
                "new items": int(((self.arrival >= self.test_start) & np.isfinite(self.arrival)).sum()),
                "stream hours": (self.end - self.test_start) / HOUR}


def make_stream(ds: Dataset, valid_start: str | pd.Timestamp | float, test_start: str | pd.Timestamp | float,
                end: str | pd.Timestamp | float | None = None) -> Stream:
    """Cut ``ds`` for replay: models fit on ``time_cut_split(ds, valid_start, test_start)``; events in
    ``[test_start, end)`` (default: to the last event) are the stream. Times are UTC strings, timestamps or
    Unix seconds. Raises ``ValueError`` when the log has untimed events or the cut leaves no stream."""
    v0, t0 = _seconds(valid_start), _seconds(test_start)
    if not v0 < t0:
        raise ValueError(f"make_stream: valid_start ({valid_start}) must come before test_start ({test_start})")
    ev = ds.events
    untimed = ev["timestamp"].isna().to_numpy()
    if untimed.any():
        row = int(np.flatnonzero(untimed)[0])
        raise ValueError(f"make_stream: {ds.name} has {int(untimed.sum())} events without a timestamp (first: row "
                         f"{row}, user {ev['user_id'].iloc[row]}); a stream needs a time for every event")
    split = time_cut_split(ds, pd.Timestamp(v0, unit="s", tz="UTC"), pd.Timestamp(t0, unit="s", tz="UTC"))
    t = epoch_seconds(ev["timestamp"]).astype(float)
    t1 = float(t.max()) + 1 if end is None else _seconds(end)
    keep = t < t1
    u = np.searchsorted(split.user_ids, ev["user_id"].to_numpy()[keep])
    i = np.searchsorted(split.item_ids, ev["item_id"].to_numpy()[keep])
    t = t[keep]
    order = np.lexsort((np.arange(len(u)), t, u))
    tl = pd.DataFrame({"u": u[order], "i": i[order], "event": ev["event"].cat.codes.to_numpy()[keep][order].astype(np.int8),
                       "t": t[order]})
    stream = tl["t"].to_numpy() >= t0
    if not stream.any():
        raise ValueError(f"make_stream: no event of {ds.name} in [{test_start}, {end or 'the end'})")
    tl["stream"], tl["first"] = stream, ~tl.duplicated(["u", "i"]).to_numpy()
    return Stream(ds, split, tl, *_window(tl, t0, split), v0, t0, t1)


def _window(tl: pd.DataFrame, start: float, split: Split) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mark the events of ``tl`` from ``start`` on as the stream (columns ``stream``, ``target``,
    ``new_item``, in place); returns the :class:`Stream` fields ``(offsets, n_before, arrival)``."""
    u, t, i = tl["u"].to_numpy(), tl["t"].to_numpy(), tl["i"].to_numpy()
    inside = t >= start
    n_before = np.bincount(u[~inside], minlength=split.n_users)
    arrival = np.full(split.n_items, np.inf)
    np.minimum.at(arrival, i, t)
    tl["stream"] = inside
    tl["target"] = inside & tl["first"].to_numpy() & (n_before[u] > 0)
    tl["new_item"] = arrival[i] >= start
    return np.r_[0, np.cumsum(np.bincount(u, minlength=split.n_users))], n_before, arrival


def replay(stream: Stream, start: float, end: float) -> Stream:
    """The same log, split and fitted indices, replayed over ``[start, end)`` instead (Unix seconds, ``end``
    at most ``stream.end``): targets are first touches in that window by users with an event before
    ``start``. ``replay(stream, stream.valid_start, stream.test_start)`` is the **validation stream**: the
    window the models did not train on, asked the test stream's question with many targets per user (the
    split's validation stage holds one per user), for choosing a model on validation."""
    if not stream.timeline["t"].min() < start < end <= stream.end:
        raise ValueError(f"replay: need {stream.timeline['t'].min()} < start ({start}) < end ({end}) <= {stream.end}")
    tl = stream.timeline
    tl = tl[tl["t"].to_numpy() < end].reset_index(drop=True)
    window = _window(tl, start, stream.split)
    return Stream(stream.dataset, stream.split, tl, *window, stream.valid_start, start, end)


def snapshot(stream: Stream, rows: np.ndarray, stale: bool = False) -> Split:
    """A :class:`Split` whose user ``k`` is the moment just before timeline row ``rows[k]``: history = the
    user's earlier events (``stale``: only those before ``test_start``), test target = that row's item.
    Valid and test stages read the same history; every event type is a target type, so the whole
    history is masked at ranking."""
    tl, base = stream.timeline, stream.split
    rows = np.asarray(rows, dtype=np.int64)
    u = tl["u"].to_numpy()[rows]
    lo = stream.offsets[u]
    hi = lo + stream.n_before[u] if stale else rows
    lengths = hi - lo
    ends = np.cumsum(lengths)
    idx = np.arange(ends[-1] if len(ends) else 0) - np.repeat(ends - lengths - lo, lengths)
    k = np.arange(len(rows))
    pick = np.r_[idx, rows]
    frame = pd.DataFrame({"u": np.r_[np.repeat(k, lengths), k], "i": tl["i"].to_numpy()[pick],
                          "event": tl["event"].to_numpy()[pick], "t": tl["t"].to_numpy()[pick], "v": 1.0,
                          "is_target": np.r_[np.zeros(len(idx), bool), np.ones(len(rows), bool)]})
    frame = frame.iloc[np.lexsort((frame["is_target"].to_numpy(), frame["u"].to_numpy()))].reset_index(drop=True)
    frame["role"] = pd.Categorical(np.where(frame.pop("is_target").to_numpy(), "test", "train"), categories=list(ROLES))
    none = np.zeros(0, dtype=np.int64)
    return Split(f"{base.name} stream", k, base.item_ids, frame, base.targets, none, none, k,
                 tl["i"].to_numpy()[rows], base.item_category, base.categories,
                 f"stream snapshot ({'stale: history frozen at test_start' if stale else 'updated: every earlier event'})")


def target_table(stream: Stream) -> pd.DataFrame:
    """The targets in time order: timeline ``row``, ``u``, ``i``, ``t``, ``new_item``, ``item age hours``
    (since the item's first event in the log; 0 when the target is that first event) and ``trained`` (the
    item has train events in ``stream.split``)."""
    rows = stream.targets()
    tl = stream.timeline
    i, t = tl["i"].to_numpy()[rows], tl["t"].to_numpy()[rows]
    trained = np.asarray(stream.split.train.sum(axis=0)).ravel() > 0
    return pd.DataFrame({"row": rows, "u": tl["u"].to_numpy()[rows], "i": i, "t": t,
                         "new_item": tl["new_item"].to_numpy()[rows],
                         "item age hours": (t - stream.arrival[i]) / HOUR, "trained": trained[i]})


def refit_split(stream: Stream, at: float) -> Split:
    """What a refit at time ``at`` (Unix seconds) trains on: every event before ``at`` (the stream's
    included) is a train event; no validation target (the hyperparameters stay those chosen before the
    stream, so nothing after ``at`` is read); same user and item indices as ``stream.split``."""
    stamp = pd.Timestamp(at, unit="s", tz="UTC")
    split = time_cut_split(stream.dataset, stamp, stamp)
    if not (np.array_equal(split.item_ids, stream.split.item_ids) and np.array_equal(split.user_ids, stream.split.user_ids)):
        raise AssertionError("refit_split: the refit split indexes users or items differently from the stream")
    return split


__all__ = ["HOUR", "Stream", "make_stream", "replay", "snapshot", "target_table", "refit_split"]
