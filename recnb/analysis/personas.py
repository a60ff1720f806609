"""User profiles (用户画像, the article's section 1.2): personas from the feature autoencoder's latent profile.

Pipeline: per-user behaviour features (:func:`recnb.data.features.user_features`) plus each user's share of
events per category -> :class:`~recnb.models.autoencoder.FeatureAutoencoder` latent h -> k-means with k chosen by
the silhouette score (Rousseeuw 1987) -> one sentence per persona generated from its numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from ..data.features import numeric_matrix, user_features


def category_shares(events: pd.DataFrame, items: pd.DataFrame, top: int = 20) -> pd.DataFrame:
    """Share of each user's events per category, for the ``top`` most frequent categories (the rest pooled
    as ``other``): shape (n_users, <= top + 1), rows sum to 1; empty when items have no category."""
    if "category" not in items.columns:
        return pd.DataFrame(index=pd.Index(events["user_id"].unique(), name="user_id"))
    cat = events["item_id"].map(items.set_index("item_id")["category"]).astype("string").fillna("(none)")
    keep = cat.value_counts().index[:top]
    cat = cat.where(cat.isin(keep), "other")
    shares = pd.crosstab(events["user_id"], cat, normalize="index")
    shares.columns = [f"share {c}" for c in shares.columns]
    return shares


def persona_features(events: pd.DataFrame, items: pd.DataFrame, top: int = 20) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(raw, model_input)``: the readable per-user features (for descriptions) and the numeric matrix the
    autoencoder is fitted on (log counts, medians for gaps, category shares), both indexed by ``user_id``."""
    raw = user_features(events, items)
    shares = category_shares(events, items, top)
    model_input = numeric_matrix(raw).join(shares).fillna(0.0)
    return raw.join(shares), model_input


def choose_k(latent: np.ndarray, ks: range | list[int] = range(2, 11), seed: int = 0,
             sample: int = 5000) -> tuple[int, pd.DataFrame]:
    """The k of k-means with the highest silhouette score on ``latent`` (n_users, d); returns
    ``(k, table of k and silhouette)``. Silhouettes use a seeded sample of at most ``sample`` users."""
    rows = []
    for k in ks:
        labels = KMeans(k, n_init=10, random_state=seed).fit_predict(latent)
        rows.append({"k": k, "silhouette": silhouette_score(latent, labels, sample_size=min(sample, len(latent)),
                                                            random_state=seed)})
    table = pd.DataFrame(rows)
    return int(table.loc[table["silhouette"].idxmax(), "k"]), table


def cluster(latent: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """k-means labels (n_users,), renumbered so that persona 0 is the largest."""
    labels = KMeans(k, n_init=10, random_state=seed).fit_predict(latent)
    order = np.argsort(-np.bincount(labels, minlength=k), kind="stable")
    return np.argsort(order)[labels]


def _ratio_words(ratio: float, high: str, low: str) -> str:
    if ratio >= 1.5:
        return f"{high} ({ratio:.1f}x the median user)"
    if ratio <= 0.67:
        return f"{low} ({ratio:.1f}x the median user)"
    return ""


def describe(raw: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """One row per persona: size, share, key numbers and a sentence generated from them (activity, recency,
    rating habits, purchase ratio, and the categories the persona over-represents most)."""
    frame = raw.assign(persona=labels)
    share_cols = [c for c in raw.columns if c.startswith("share ")]
    overall_events = raw["events"].median()
    rows = []
    for p, g in frame.groupby("persona"):
        words = []
        act = _ratio_words(g["events"].median() / overall_events, "very active", "light users")
        if act:
            words.append(act)
        if "recency_days" in g and raw["recency_days"].notna().any():
            words.append(f"last seen a median {g['recency_days'].median():.0f} days before the end of the log")
        if "rating_mean" in g and raw["rating_mean"].notna().any():
            diff = g["rating_mean"].mean() - raw["rating_mean"].mean()
            habit = "generous raters" if diff > 0.2 else "harsh raters" if diff < -0.2 else "average raters"
            words.append(f"{habit} (mean {g['rating_mean'].mean():.2f} against {raw['rating_mean'].mean():.2f})")
        if "purchase_ratio" in g and raw["purchase_ratio"].notna().any():
            words.append(f"buy {g['purchase_ratio'].median():.1%} of what they view (median)")
        if share_cols:
            lift = (g[share_cols].mean() / raw[share_cols].mean().replace(0, np.nan)).dropna()
            top = lift.sort_values(ascending=False).index[:2]
            words.append("over-represent " + " and ".join(
                f"{c.removeprefix('share ')} ({g[c].mean():.0%} of their events, {lift[c]:.1f}x)" for c in top))
        rows.append({"persona": int(p), "users": len(g), "share": len(g) / len(raw),
                     "median events": g["events"].median(), "description": "; ".join(words) + "."})
    return pd.DataFrame(rows)


__all__ = ["category_shares", "persona_features", "choose_k", "cluster", "describe"]
