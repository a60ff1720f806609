"""Behaviour prediction (the article's section 1.2, 行为预测): will a user purchase in the next window, and
which category will they act on next?

Protocol (no leakage, tested): two global time cuts, ``cut_test = end - window`` and
``cut_train = cut_test - window``. Training rows: features from events before ``cut_train``, label = a purchase
in ``[cut_train, cut_test)``. Test rows: features from events before ``cut_test``, label = a purchase in
``[cut_test, end]``. A row's features never see its label window; the two label windows do not overlap.
Untimed events (Retailrocket's held-out purchases) cannot be placed in time and are left out (counted).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


@dataclass
class PurchaseTask:
    """Feature tables and labels of the two cuts (index ``user_id``), with the cut times and counts."""

    X_train: pd.DataFrame
    y_train: pd.Series
    X_test: pd.DataFrame
    y_test: pd.Series
    cut_train: pd.Timestamp
    cut_test: pd.Timestamp
    end: pd.Timestamp
    info: dict[str, int] = field(default_factory=dict)


def rfm_features(events: pd.DataFrame, cut: pd.Timestamp, items: pd.DataFrame | None = None) -> pd.DataFrame:
    """Recency-frequency features of each user from ``events`` strictly before ``cut`` (index ``user_id``):
    days since the last event and the last purchase, events and distinct items (log), counts per event type
    (log), active days, carts never bought, and distinct categories when known."""
    ev = events[events["timestamp"] < cut]
    g = ev.groupby("user_id")
    days = (cut - g["timestamp"].max()).dt.total_seconds() / 86400
    out = pd.DataFrame({"recency_days": days, "log_events": np.log1p(g.size()),
                        "log_items": np.log1p(g["item_id"].nunique()),
                        "active_days": g["timestamp"].agg(lambda s: s.dt.floor("D").nunique())})
    counts = pd.crosstab(ev["user_id"], ev["event"].astype(str))
    for e in ("view", "fav", "cart", "purchase"):
        out[f"log_{e}"] = np.log1p(counts[e]) if e in counts else 0.0
    buys = ev[ev["event"] == "purchase"]
    last_buy = buys.groupby("user_id")["timestamp"].max()
    span = (cut - ev["timestamp"].min()).total_seconds() / 86400
    out["days_since_purchase"] = ((cut - last_buy).dt.total_seconds() / 86400).reindex(out.index).fillna(span)
    carts = ev[ev["event"] == "cart"][["user_id", "item_id"]].drop_duplicates()
    bought = set(zip(buys["user_id"], buys["item_id"]))
    open_cart = carts[[p not in bought for p in zip(carts["user_id"], carts["item_id"])]].groupby("user_id").size()
    out["log_open_carts"] = np.log1p(open_cart.reindex(out.index).fillna(0))
    if items is not None and "category" in items.columns:
        cat = ev["item_id"].map(items.set_index("item_id")["category"])
        out["log_categories"] = np.log1p(cat.groupby(ev["user_id"]).nunique())
    return out.fillna(0.0)


def purchase_task(events: pd.DataFrame, window_days: float = 1.0, items: pd.DataFrame | None = None) -> PurchaseTask:
    """Build the two-cut purchase-prediction task (see the module docstring)."""
    timed = events[events["timestamp"].notna()]
    end = timed["timestamp"].max()
    cut_test = end - pd.Timedelta(days=window_days)
    cut_train = cut_test - pd.Timedelta(days=window_days)

    def labels(users: pd.Index, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.Series:
        w = timed[(timed["timestamp"] >= lo) & (timed["timestamp"] < hi) & (timed["event"] == "purchase")]
        return pd.Series(users.isin(w["user_id"].unique()), index=users, name="purchase")

    x_train = rfm_features(timed, cut_train, items)
    x_test = rfm_features(timed, cut_test, items)
    return PurchaseTask(x_train, labels(x_train.index, cut_train, cut_test), x_test,
                        labels(x_test.index, cut_test, end + pd.Timedelta(seconds=1)), cut_train, cut_test, end,
                        {"untimed events left out": int(events["timestamp"].isna().sum()),
                         "train users": len(x_train), "test users": len(x_test)})


def fit_predict(X_train: pd.DataFrame, y_train: pd.Series, X_test: pd.DataFrame, seed: int = 0) -> np.ndarray:
    """Standardised logistic regression (balanced class weights): test purchase probabilities (n_test,)."""
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, class_weight="balanced", random_state=seed))
    model.fit(X_train.to_numpy(), y_train.to_numpy())
    return model.predict_proba(X_test.to_numpy())[:, 1]


def next_category(events: pd.DataFrame, cut: pd.Timestamp, items: pd.DataFrame) -> pd.DataFrame:
    """For users active both before and after ``cut``: the category of their first event after the cut and
    three predictions from the past only: their most recent category, their most frequent one, and the most
    frequent category of everyone (index ``user_id``)."""
    cat_of = items.set_index("item_id")["category"]
    timed = events[events["timestamp"].notna()].assign(category=lambda d: d["item_id"].map(cat_of))
    timed = timed[timed["category"].notna()].sort_values(["user_id", "timestamp"], kind="stable")
    before, after = timed[timed["timestamp"] < cut], timed[timed["timestamp"] >= cut]
    truth = after.groupby("user_id")["category"].first()
    users = truth.index.intersection(before["user_id"].unique())
    b = before[before["user_id"].isin(users)]
    return pd.DataFrame({"truth": truth.loc[users],
                         "most recent": b.groupby("user_id")["category"].last().loc[users],
                         "most frequent": b.groupby("user_id")["category"].agg(lambda s: s.value_counts().index[0]).loc[users],
                         "global most frequent": before["category"].value_counts().index[0]})


__all__ = ["PurchaseTask", "rfm_features", "purchase_task", "fit_predict", "next_category"]
