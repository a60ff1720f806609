"""Hypothesis strategies for the logs a reader may bring (issue 32): canonical CSVs and sequence files of 1-500
users, 1-300 items, 1-30 events per user, popularity skew 0-2, mixes of event types, a clock or an order only,
and string ids with commas, quotes, unicode and HTML; and malformed canonical files, each with one planted fault
at a known row and column.

A log is drawn as a :class:`LogSpec` (its shape) and built with NumPy from the spec's seed, so that Hypothesis
shrinks a failing log to a small spec rather than to a long list of rows."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from recnb.data.sources.canonical import write_file

FUZZ = os.environ.get("RECNB_FUZZ", "") not in ("", "0")
"""``make fuzz`` sets ``RECNB_FUZZ=1``: the long sweep; otherwise the fast slice of ``make test``."""


def examples(fast: int, sweep: int, shrink: bool = True) -> settings:
    """Hypothesis settings: ``fast`` examples with a fixed seed in ``make test``, ``sweep`` random ones in
    ``make fuzz`` (``RECNB_FUZZ_SCALE`` multiplies the sweep). ``shrink=False`` for examples that take minutes
    (whole notebooks): a failure is reported as drawn."""
    scale = float(os.environ.get("RECNB_FUZZ_SCALE", "1"))
    phases = [Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if shrink else [])
    return settings(max_examples=max(1, int(sweep * scale)) if FUZZ else fast, derandomize=not FUZZ,
                    deadline=None, database=None, print_blob=True, phases=phases,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


T0 = pd.Timestamp("2023-03-01", tz="UTC")
MIXES = (("view",), ("rating",), ("purchase",), ("play",), ("view", "cart", "purchase"),
         ("view", "fav", "cart", "purchase"), ("view", "rating"), ("view", "fav", "cart", "purchase", "rating", "play"))
TRICKY = ('a,b', 'say "hi"', "naïve-日本", "<script>alert(1)</script>", "&amp;", "O'Brien", "tab\there", "x;y")
SEQUENCE_TRICKY = ('a,b', '"q"', "naïve-日本", "<b>x</b>", "&amp;", "O'Brien")  # no blanks: they separate ids


@dataclass(frozen=True)
class LogSpec:
    """The shape of a generated log."""

    kind: str  # canonical | sequences
    n_users: int
    n_items: int
    min_events: int
    max_events: int
    skew: float
    mix: tuple[str, ...]
    time: str  # clock | none (canonical without timestamps) | order (sequences)
    ids: str  # int | plain | tricky
    seed: int
    distinct: bool = False  # each user's events on distinct items (so that the 5-item user core keeps them all)

    def frame(self) -> pd.DataFrame:
        """The events of this spec (canonical columns; ``timestamp`` NaT when the log has no clock)."""
        rng = np.random.default_rng(self.seed)
        per_user = rng.integers(self.min_events, self.max_events + 1, self.n_users)
        users = np.repeat(np.arange(self.n_users), per_user)
        p = (np.arange(self.n_items) + 1.0) ** -self.skew
        p /= p.sum()
        if self.distinct:
            items = np.concatenate([rng.choice(self.n_items, size=k, replace=False, p=p) for k in per_user])
        else:
            items = rng.choice(self.n_items, size=len(users), p=p)
        event = rng.choice(np.array(self.mix), size=len(users))
        value = np.where(event == "rating", rng.integers(1, 6, len(users)), 1).astype(float)
        if self.time == "clock":
            ts = T0 + pd.to_timedelta(np.sort(rng.integers(0, 90 * 86400, len(users))), unit="s")
            ts = pd.Series(ts).sample(frac=1, random_state=self.seed).to_numpy()  # rows in any order
        else:
            ts = pd.NaT
        return pd.DataFrame({"user_id": self._ids(users, "u", rng), "item_id": self._ids(items, "i", rng),
                             "event": event, "value": value, "timestamp": ts})

    def _ids(self, codes: np.ndarray, prefix: str, rng: np.random.Generator) -> list:
        if self.ids == "int":
            return codes.tolist()
        if self.ids == "plain":
            return [f"{prefix}{c}" for c in codes]
        pool = SEQUENCE_TRICKY if self.kind == "sequences" else TRICKY
        names = [f"{pool[c % len(pool)]}{prefix}{c}" for c in range(int(codes.max()) + 1)]
        return [names[c] for c in codes]

    def write(self, folder: Path) -> Path:
        """Write the log as its kind's file in ``folder``; returns the path."""
        events = self.frame()
        if self.kind == "canonical":
            return write_file(events, folder / "fuzzlog.csv")
        path = folder / "fuzzseq.txt"
        lines = [" ".join([str(u), *map(str, g["item_id"])]) for u, g in events.groupby("user_id", sort=False)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path


@st.composite
def log_specs(draw: st.DrawFn, kinds: tuple[str, ...] = ("canonical", "sequences")) -> LogSpec:
    """A :class:`LogSpec` within the ranges of issue 32."""
    kind = draw(st.sampled_from(kinds))
    lo = draw(st.integers(1, 30))
    return LogSpec(kind=kind, n_users=draw(st.integers(1, 500)), n_items=draw(st.integers(1, 300)), min_events=lo,
                   max_events=draw(st.integers(lo, 30)), skew=draw(st.floats(0, 2)),
                   mix=("purchase",) if kind == "sequences" else draw(st.sampled_from(MIXES)),
                   time="order" if kind == "sequences" else draw(st.sampled_from(["clock", "none"])),
                   ids=draw(st.sampled_from(["int", "plain", "tricky"])), seed=draw(st.integers(0, 2**16)))


@st.composite
def studyable_specs(draw: st.DrawFn) -> LogSpec:
    """Logs that meet the contracts of the ranking notebooks (at least 25 users with 5 to 30 events on distinct
    items of a catalogue of at least 30), so that the notebooks really run rather than being skipped."""
    kind = draw(st.sampled_from(["canonical", "sequences"]))
    lo = draw(st.integers(6, 15))
    return LogSpec(kind=kind, n_users=draw(st.integers(25, 200)), n_items=draw(st.integers(30, 150)), min_events=lo,
                   max_events=draw(st.integers(lo, 30)), skew=draw(st.floats(0, 2)),
                   mix=("purchase",) if kind == "sequences" else draw(st.sampled_from(MIXES)),
                   time="order" if kind == "sequences" else draw(st.sampled_from(["clock", "none"])),
                   ids=draw(st.sampled_from(["int", "plain", "tricky"])), seed=draw(st.integers(0, 2**16)),
                   distinct=True)


COLUMNS = ("user_id", "item_id", "event", "value", "timestamp")
CELL_FAULTS = {  # column -> bad tokens a cell of it may hold
    "user_id": ("",),
    "item_id": ("",),
    "event": ("bogus", "VIEWED", "42"),
    "value": ("abc", "nan", "-1", "inf", ""),
    "timestamp": ("not-a-time", "2024-13-45", "yesterday"),
}
FILE_FAULTS = ("empty", "header only", "random bytes", "wrong column", "missing column", "short row")


@dataclass(frozen=True)
class Malformed:
    """A canonical file with one planted fault: ``column`` and 1-based ``row`` (line in the file; the header
    is line 1) when the fault is in one cell or row, ``None`` for a file-level fault."""

    text: bytes
    fault: str
    row: int | None
    column: str | None


@st.composite
def malformed_files(draw: st.DrawFn) -> Malformed:
    """A small valid canonical CSV with one fault planted in it."""
    n = draw(st.integers(1, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    rows = [[f"u{rng.integers(0, 9)}", f"i{rng.integers(0, 9)}", "view", "1", str(1_700_000_000 + 60 * i)]
            for i in range(n)]
    fault = draw(st.sampled_from(("cell",) * 3 + FILE_FAULTS))
    header = list(COLUMNS)
    row = column = None
    if fault == "cell":
        column = draw(st.sampled_from(COLUMNS))
        i = draw(st.integers(0, n - 1))
        rows[i][COLUMNS.index(column)] = draw(st.sampled_from(CELL_FAULTS[column]))
        row, fault = i + 2, f"bad {column}"
    elif fault == "short row":
        i = draw(st.integers(0, n - 1))
        rows[i] = rows[i][:-1]
        row = i + 2
    elif fault == "wrong column":
        header[draw(st.integers(0, 3))] = "colour"  # a renamed timestamp is a log without a clock
    elif fault == "missing column":
        j = draw(st.integers(0, 3))  # timestamp may be absent (a log without a clock)
        header.pop(j)
        rows = [r[:j] + r[j + 1:] for r in rows]
    if fault == "empty":
        return Malformed(b"", fault, None, None)
    if fault == "random bytes":
        return Malformed(draw(st.binary(min_size=1, max_size=200)).replace(b",", b";"), fault, None, None)
    body = [",".join(header)] + ([] if fault == "header only" else [",".join(r) for r in rows])
    return Malformed(("\n".join(body) + "\n").encode(), fault, row, column)


__all__ = ["FUZZ", "LogSpec", "Malformed", "examples", "log_specs", "malformed_files", "studyable_specs"]
