"""Per-user and per-item behaviour features: the article's feature list (section 3.2.2, 特征提取)
made real: interest tags (top categories and their shares), time since the previous action, activity
counts per event type, recency, active days, category entropy, rating habits, purchase ratio.

Compute features from *training* events only when they feed a model that is evaluated later (pass
``split_events(split, "train")``), so that no future behaviour leaks into a profile.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .schema import EVENT_TYPES


def _category(events: pd.DataFrame, items: pd.DataFrame) -> pd.Series:
    if "category" not in items.columns:
        return pd.Series(pd.NA, index=events.index, dtype="string")
    return events["item_id"].map(items.set_index("item_id")["category"]).astype("string")


def user_features(events: pd.DataFrame, items: pd.DataFrame | None = None, top_tags: int = 3) -> pd.DataFrame:
    """One row per user (index ``user_id``).

    Columns: ``events``, ``items``, ``n_<event>`` for each event type present, ``active_days``,
    ``tenure_days``, ``recency_days`` (days from the user's last event to the log's last event),
    ``gap_seconds_median`` (time since the previous action), ``category_entropy`` (bits),
    ``top1_category`` .. ``top{top_tags}_category`` with their ``_share``, ``interest_tags`` (text),
    ``rating_mean`` / ``rating_std`` (when there are ratings) and ``purchase_ratio`` (purchases per view,
    when there are both). Time columns are NaN for logs without time.
    """
    items = items if items is not None else pd.DataFrame({"item_id": []})
    ev = events
    g = ev.groupby("user_id")
    out = pd.DataFrame({"events": g.size(), "items": g["item_id"].nunique()})
    counts = pd.crosstab(ev["user_id"], ev["event"].astype(str))
    for e in EVENT_TYPES:
        if e in counts.columns:
            out[f"n_{e}"] = counts[e].reindex(out.index, fill_value=0)
    ts = ev["timestamp"]
    if ts.notna().any():
        timed = ev[ts.notna()]
        tg = timed.groupby("user_id")["timestamp"]
        out["active_days"] = tg.agg(lambda s: s.dt.floor("D").nunique())
        out["tenure_days"] = (tg.max() - tg.min()).dt.total_seconds() / 86400
        out["recency_days"] = (timed["timestamp"].max() - tg.max()).dt.total_seconds() / 86400
        srt = timed.sort_values(["user_id", "timestamp"], kind="stable")
        gap = srt.groupby("user_id")["timestamp"].diff().dt.total_seconds()
        out["gap_seconds_median"] = gap.groupby(srt["user_id"]).median()
    else:
        for c in ("active_days", "tenure_days", "recency_days", "gap_seconds_median"):
            out[c] = np.nan
    cat = _category(ev, items)
    if cat.notna().any():
        share = pd.crosstab(ev["user_id"], cat.fillna("(none)"), normalize="index")
        p = share.to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            out["category_entropy"] = pd.Series(-(np.where(p > 0, p * np.log2(p), 0)).sum(1), index=share.index)
        order = np.argsort(-p, axis=1, kind="stable")[:, :top_tags]
        names = share.columns.to_numpy()
        tags = []
        for k in range(min(top_tags, p.shape[1])):
            out[f"top{k + 1}_category"] = pd.Series(names[order[:, k]], index=share.index).astype("string")
            out[f"top{k + 1}_share"] = pd.Series(p[np.arange(len(p)), order[:, k]], index=share.index)
            tags.append(out[f"top{k + 1}_category"] + " " + (100 * out[f"top{k + 1}_share"]).round(0).astype(int)
                        .astype(str) + "%")
        out["interest_tags"] = tags[0].str.cat(tags[1:], sep=", ") if len(tags) > 1 else tags[0]
    ratings = ev[ev["event"] == "rating"]
    if len(ratings):
        rg = ratings.groupby("user_id")["value"]
        out["rating_mean"], out["rating_std"] = rg.mean(), rg.std(ddof=0)
    if "n_purchase" in out and "n_view" in out:
        out["purchase_ratio"] = out["n_purchase"] / out["n_view"].where(out["n_view"] > 0)
    return out


def item_features(events: pd.DataFrame, items: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per item (index ``item_id``): ``events``, ``users``, ``popularity_rank`` (1 = most
    popular), ``category`` (when known) and ``rating_mean`` (when rated)."""
    g = events.groupby("item_id")
    out = pd.DataFrame({"events": g.size(), "users": g["user_id"].nunique()})
    out["popularity_rank"] = out["users"].rank(ascending=False, method="min").astype(int)
    if items is not None and "category" in items.columns:
        out["category"] = items.set_index("item_id")["category"].reindex(out.index)
    ratings = events[events["event"] == "rating"]
    if len(ratings):
        out["rating_mean"] = ratings.groupby("item_id")["value"].mean()
    return out


def numeric_matrix(features: pd.DataFrame, log_counts: bool = True) -> pd.DataFrame:
    """The numeric columns of a feature table, counts log1p-transformed, NaN filled with the column
    median (0 when the whole column is missing): a model-ready matrix before scaling."""
    num = features.select_dtypes("number").astype(float).copy()
    if log_counts:
        for c in num.columns:
            if c in ("events", "items") or c.startswith("n_") or c.endswith("_days") or c.endswith("_seconds_median"):
                num[c] = np.log1p(num[c].clip(lower=0))
    return num.fillna(num.median()).fillna(0.0)
