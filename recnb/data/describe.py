"""Descriptive statistics of a behaviour log, as an analyst profiles it before modelling.

Every function takes a :class:`~recnb.data.schema.Dataset` and returns a tidy pandas object; none loops
over users in Python.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .schema import EVENT_TYPES, Dataset, epoch_seconds


def event_counts(ds: Dataset) -> pd.DataFrame:
    """Events, users and items per event type (types with no events left out)."""
    ev = ds.events
    g = ev.groupby("event", observed=True)
    out = pd.DataFrame({"events": g.size(), "users": g["user_id"].nunique(), "items": g["item_id"].nunique()})
    return out[out["events"] > 0].reset_index()


def item_popularity(ds: Dataset) -> pd.Series:
    """Events per item, most popular first (index: item_id)."""
    return ds.events["item_id"].value_counts().rename("events")


def user_activity(ds: Dataset) -> pd.Series:
    """Events per user, most active first (index: user_id)."""
    return ds.events["user_id"].value_counts().rename("events")


def gini(counts: pd.Series | np.ndarray) -> float:
    """Gini coefficient of a count distribution (0: all equal, 1: one item has everything)."""
    x = np.sort(np.asarray(counts, dtype=float))
    if x.size == 0 or x.sum() == 0:
        return 0.0
    cum = np.cumsum(x)
    return float((x.size + 1 - 2 * (cum / cum[-1]).sum()) / x.size)


def head_share(counts: pd.Series, top: float = 0.2) -> float:
    """Share of all events that fall on the ``top`` fraction of most popular items."""
    c = np.sort(counts.to_numpy())[::-1]
    k = max(1, int(round(top * c.size)))
    return float(c[:k].sum() / c.sum())


def inter_event_seconds(ds: Dataset) -> pd.Series:
    """Seconds between consecutive timed events of the same user (empty when the log has no time)."""
    ev = ds.events.dropna(subset=["timestamp"]).sort_values(["user_id", "timestamp"], kind="stable")
    if ev.empty:
        return pd.Series(dtype=float, name="seconds")
    t = epoch_seconds(ev["timestamp"])
    same = ev["user_id"].to_numpy()[1:] == ev["user_id"].to_numpy()[:-1]
    return pd.Series(np.diff(t)[same].astype(float), name="seconds")


def rhythm(ds: Dataset) -> tuple[pd.Series, pd.DataFrame]:
    """Events per calendar day (UTC) and an hour-of-day x weekday count table."""
    ts = ds.events["timestamp"].dropna()
    daily = ts.dt.floor("D").value_counts().sort_index().rename("events")
    hourly = pd.crosstab(ts.dt.hour.rename("hour"), ts.dt.day_name().rename("weekday"))
    days = [d for d in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
            if d in hourly.columns]
    return daily, hourly[days]


def category_shares(ds: Dataset, top: int = 15) -> pd.DataFrame:
    """Share of events and of items per item category (the ``top`` categories, the rest as 'other')."""
    if "category" not in ds.items.columns:
        return pd.DataFrame(columns=["category", "event share", "item share"])
    cat = ds.events[["item_id"]].merge(ds.items[["item_id", "category"]], on="item_id", how="left")["category"]
    ev = cat.fillna("(none)").value_counts(normalize=True)
    it = ds.items["category"].fillna("(none)").value_counts(normalize=True)
    table = pd.DataFrame({"event share": ev, "item share": it}).fillna(0.0).sort_values("event share",
                                                                                       ascending=False)
    if len(table) > top:
        rest = table.iloc[top:].sum().rename("other")
        table = pd.concat([table.iloc[:top], rest.to_frame().T])
    return table.rename_axis("category").reset_index()


def funnel(ds: Dataset) -> pd.DataFrame:
    """The view -> cart -> purchase funnel: users and events per stage and conversion from the stage
    before (events: purchases / carts; users: share of the previous stage's users who reach it)."""
    subs = {e: ds.events[ds.events["event"] == e] for e in ("view", "fav", "cart", "purchase")}
    table = pd.DataFrame([{"stage": e, "events": len(sub), "users": sub["user_id"].nunique()}
                          for e, sub in subs.items() if len(sub)])
    if len(table):
        table["event conversion"] = table["events"] / table["events"].shift(1)
        table["user conversion"] = table["users"] / table["users"].shift(1)
    return table


def social_degree(ds: Dataset) -> pd.Series:
    """Out-degree of each user in the user-user edges (friend / trust)."""
    return ds.edges["user_id"].value_counts().rename("degree")


def overview(datasets: list[Dataset]) -> pd.DataFrame:
    """One row of :meth:`Dataset.summary` per dataset, plus the long-tail statistics."""
    rows = []
    for ds in datasets:
        pop = item_popularity(ds)
        rows.append({**ds.summary(), "item Gini": gini(pop), "top-20% item share": head_share(pop)})
    return pd.DataFrame(rows)


__all__ = ["EVENT_TYPES", "event_counts", "item_popularity", "user_activity", "gini", "head_share",
           "inter_event_seconds", "rhythm", "category_shares", "funnel", "social_degree", "overview"]
