"""Cleaning rules with a ledger, and the normalisations the article names (section 3.2.2, 数据预处理).

Each rule takes an event log and a :class:`Ledger` and returns the cleaned log; the ledger gets one row
per rule (rows in, rows out, users and items affected), even when the rule removed nothing, so a
report can show exactly what happened to the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class Ledger:
    """What each cleaning rule removed: one row per rule application."""

    rows: list[dict[str, object]] = field(default_factory=list)

    def add(self, rule: str, before: pd.DataFrame, after: pd.DataFrame, detail: str = "") -> None:
        """Record one rule: counts of rows, and the users and items that lost every event."""
        self.rows.append({
            "rule": rule, "rows_in": len(before), "rows_out": len(after), "removed": len(before) - len(after),
            "users_lost": before["user_id"].nunique() - after["user_id"].nunique(),
            "items_lost": before["item_id"].nunique() - after["item_id"].nunique(), "detail": detail})

    def frame(self) -> pd.DataFrame:
        """The ledger as a DataFrame."""
        cols = ["rule", "rows_in", "rows_out", "removed", "users_lost", "items_lost", "detail"]
        return pd.DataFrame(self.rows, columns=cols)


def drop_duplicates(events: pd.DataFrame, ledger: Ledger,
                    subset: tuple[str, ...] = ("user_id", "item_id", "event", "timestamp")) -> pd.DataFrame:
    """Remove exact repeats of (user, item, event, timestamp), keeping the first."""
    out = events.drop_duplicates(list(subset), keep="first").reset_index(drop=True)
    ledger.add("duplicates", events, out, f"identical {', '.join(subset)}")
    return out


def drop_missing(events: pd.DataFrame, ledger: Ledger, require_time: bool = False) -> pd.DataFrame:
    """Remove rows with a missing id, event or value (and timestamp when ``require_time``).

    Untimed rows are kept by default: some sources hold out their final event without a time, and the
    split step orders them last.
    """
    cols = ["user_id", "item_id", "event", "value"] + (["timestamp"] if require_time else [])
    out = events.dropna(subset=cols).reset_index(drop=True)
    ledger.add("missing values", events, out, f"NaN in {', '.join(cols)}")
    return out


def drop_out_of_range(events: pd.DataFrame, ledger: Ledger, event: str, low: float, high: float) -> pd.DataFrame:
    """Remove ``event`` rows whose value lies outside ``[low, high]``."""
    bad = (events["event"] == event) & ~events["value"].between(low, high)
    out = events[~bad].reset_index(drop=True)
    ledger.add(f"{event} value outside [{low:g}, {high:g}]", events, out)
    return out


def k_core(events: pd.DataFrame, ledger: Ledger, user_k: int = 5, item_k: int = 5,
           max_rounds: int = 100) -> pd.DataFrame:
    """Iteratively keep users with >= ``user_k`` and items with >= ``item_k`` distinct partners.

    Counts distinct user-item pairs (not raw events), repeating until stable.
    """
    out, rounds = events, 0
    while rounds < max_rounds:
        pairs = out[["user_id", "item_id"]].drop_duplicates()
        users = pairs["user_id"].value_counts()
        items = pairs["item_id"].value_counts()
        keep = out["user_id"].map(users).ge(user_k).to_numpy() & out["item_id"].map(items).ge(item_k).to_numpy()
        rounds += 1
        if keep.all():
            break
        out = out[keep]
    out = out.reset_index(drop=True)
    ledger.add(f"{user_k}-core users, {item_k}-core items", events, out, f"{rounds} round(s)")
    return out


def clean(events: pd.DataFrame, user_k: int = 0, item_k: int = 0,
          ranges: dict[str, tuple[float, float]] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The standard pipeline: duplicates, missing values, value ranges, then k-core (when > 0).

    Returns ``(events, ledger frame)``.
    """
    ledger = Ledger()
    out = drop_duplicates(events, ledger)
    out = drop_missing(out, ledger)
    for ev, (lo, hi) in (ranges or {}).items():
        out = drop_out_of_range(out, ledger, ev, lo, hi)
    if user_k or item_k:
        out = k_core(out, ledger, max(user_k, 1), max(item_k, 1))
    return out, ledger.frame()


def zscore(x: pd.Series | np.ndarray) -> np.ndarray:
    """Z-score normalisation (x - mean) / std, as the article names it; constant input gives zeros."""
    a = np.asarray(x, dtype=float)
    sd = a.std()
    return (a - a.mean()) / sd if sd > 0 else np.zeros_like(a)


def minmax(x: pd.Series | np.ndarray) -> np.ndarray:
    """Min-max normalisation to [0, 1], as the article names it; constant input gives zeros."""
    a = np.asarray(x, dtype=float)
    span = a.max() - a.min()
    return (a - a.min()) / span if span > 0 else np.zeros_like(a)
