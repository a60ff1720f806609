"""Anomaly and fraud detection (the article's section 1.2, 异常检测): shilling attacks on a rating log,
their detection, and what they do to the recommendations.

Attack models (Lam & Riedl, WWW 2004; Mobasher et al., ACM TOIT 2007), each profile = the target item
(rated r_max to *push* it, r_min to *nuke* it) + ``filler`` other items:

* ``random``: filler items drawn uniformly, ratings ~ N(global mean, global std);
* ``average``: filler items drawn uniformly, ratings ~ N(item mean, item std) of each filler item;
* ``bandwagon``: the ``n_popular`` most-rated items rated r_max, plus random-attack filler.

Ratings are rounded and clipped to the scale. Detectors: the feature autoencoder's reconstruction error on
per-user rating features, and RDMA, the rating deviation from mean agreement (Chirita et al., WIDM 2005):
RDMA_u = (1/|I_u|) Σ_{i∈I_u} |r_ui - r̄_i| / n_i.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..evaluate import binary_metrics
from ..models.baselines import ease_weights

ATTACKS = ("random", "average", "bandwagon")


@dataclass(frozen=True)
class Attack:
    """One attack: ``kind`` (random, average, bandwagon), ``intent`` (push or nuke), ``share`` of the genuine
    users added as attackers, ``filler`` items per profile (share of the catalogue when < 1), ``n_popular``
    items for bandwagon, ``target`` item id (None: a seeded item among those with 5 to 50 ratings)."""

    kind: str = "random"
    intent: str = "push"
    share: float = 0.05
    filler: float = 0.05
    n_popular: int = 10
    target: int | None = None
    seed: int = 0


def inject(ratings: pd.DataFrame, attack: Attack, scale: tuple[float, float] = (1, 5)) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add attack profiles to ``ratings`` (canonical events, all ``rating``).

    Returns ``(events with attackers appended, truth)`` where ``truth`` has one row per user (``user_id``,
    ``is_attacker``) and ``attrs["target"]`` the target item. Attackers get new user ids above the largest one;
    their timestamps (if any) are drawn within the log's last day. Deterministic per ``attack.seed``.
    """
    if attack.kind not in ATTACKS or attack.intent not in ("push", "nuke"):
        raise ValueError(f"attack {attack}: kind must be one of {ATTACKS}, intent push or nuke")
    rng = np.random.default_rng(attack.seed)
    lo, hi = scale
    items = np.sort(ratings["item_id"].unique())
    per_item = ratings.groupby("item_id")["value"].agg(["mean", "std", "size"])
    target = attack.target
    if target is None:
        mid = per_item.index[(per_item["size"] >= 5) & (per_item["size"] <= 50)].to_numpy()
        target = int(rng.choice(mid if len(mid) else items))
    n_users = ratings["user_id"].nunique()
    n_attackers = max(1, int(round(attack.share * n_users)))
    n_filler = int(round(attack.filler * len(items))) if attack.filler < 1 else int(attack.filler)
    popular = per_item["size"].sort_values(ascending=False, kind="stable").index[:attack.n_popular].to_numpy()
    pool = np.setdiff1d(items, np.r_[target, popular if attack.kind == "bandwagon" else []])
    mu, sigma = ratings["value"].mean(), ratings["value"].std()
    first_id = int(ratings["user_id"].max()) + 1
    rows_u, rows_i, rows_v = [], [], []
    for a in range(n_attackers):  # a few hundred profiles at most: not a hot path
        filler = rng.choice(pool, size=min(n_filler, len(pool)), replace=False)
        if attack.kind == "average":
            m = per_item.loc[filler, "mean"].to_numpy()
            s = per_item.loc[filler, "std"].fillna(sigma).to_numpy()
            values = rng.normal(m, s)
        else:
            values = rng.normal(mu, sigma, size=len(filler))
        chosen, vals = [filler], [values]
        if attack.kind == "bandwagon":
            chosen.append(popular)
            vals.append(np.full(len(popular), hi))
        chosen.append(np.array([target]))
        vals.append(np.array([hi if attack.intent == "push" else lo]))
        i = np.concatenate(chosen)
        rows_u.append(np.full(len(i), first_id + a))
        rows_i.append(i)
        rows_v.append(np.clip(np.round(np.concatenate(vals)), lo, hi))
    fake = pd.DataFrame({"user_id": np.concatenate(rows_u), "item_id": np.concatenate(rows_i),
                         "event": pd.Categorical(["rating"] * sum(map(len, rows_u)), categories=ratings["event"].cat.categories),
                         "value": np.concatenate(rows_v).astype(float)})
    if "timestamp" in ratings:
        end = ratings["timestamp"].max()
        offsets = pd.to_timedelta(rng.uniform(0, 86400, len(fake)), unit="s")
        fake["timestamp"] = end - offsets
    out = pd.concat([ratings, fake[ratings.columns]], ignore_index=True)
    users = np.r_[np.sort(ratings["user_id"].unique()), first_id + np.arange(n_attackers)]
    truth = pd.DataFrame({"user_id": users, "is_attacker": users >= first_id})
    truth.attrs["target"] = target
    return out, truth


def rating_features(ratings: pd.DataFrame) -> pd.DataFrame:
    """Per-user rating-profile features (index ``user_id``): number of ratings (log), mean, std, share of
    extreme ratings (min or max of the scale), mean popularity (log ratings) of the rated items, mean absolute
    deviation from the item means, and RDMA."""
    item = ratings.groupby("item_id")["value"].agg(["mean", "size"])
    dev = (ratings["value"] - ratings["item_id"].map(item["mean"])).abs()
    lo, hi = ratings["value"].min(), ratings["value"].max()
    frame = ratings.assign(dev=dev, rdma=dev / ratings["item_id"].map(item["size"]),
                           pop=np.log1p(ratings["item_id"].map(item["size"])),
                           extreme=ratings["value"].isin([lo, hi]).astype(float))
    g = frame.groupby("user_id")
    return pd.DataFrame({"log_ratings": np.log1p(g.size()), "rating_mean": g["value"].mean(),
                         "rating_std": g["value"].std(ddof=0), "extreme_share": g["extreme"].mean(),
                         "item_popularity": g["pop"].mean(), "deviation": g["dev"].mean(), "rdma": g["rdma"].mean()})


def detection_scores(scores: np.ndarray, truth: np.ndarray, n_boot: int = 1000, seed: int = 0) -> dict[str, float]:
    """ROC-AUC and PR-AUC with 95% bootstrap CIs (users resampled) and precision at the number of attackers."""
    truth = np.asarray(truth, dtype=bool)
    n = int(truth.sum())
    top = np.argsort(-np.asarray(scores), kind="stable")[:n]
    return {**binary_metrics(truth, scores, n_boot, seed), "precision@n": float(truth[top].mean()), "n attackers": n}


def target_exposure(ratings: pd.DataFrame, target: int, users: np.ndarray, ks: tuple[int, ...] = (10, 50),
                    lam: float = 100.0) -> dict[str, float]:
    """Where ``target`` lands in the rankings of ``users`` (genuine user ids): EASE (Steck 2019, λ = ``lam``)
    fitted on the positive ratings (>= 4) of ``ratings`` as binary interactions, each user's seen items masked.
    Returns the mean rank percentile of the target (0 = top, 1 = bottom) and the share of users with it in
    their top k for each k: how far an attack moved the item."""
    pos = ratings[ratings["value"] >= 4]
    uids, u = np.unique(pos["user_id"].to_numpy(), return_inverse=True)
    iids, i = np.unique(pos["item_id"].to_numpy(), return_inverse=True)
    x = sp.csr_matrix((np.ones(len(u), np.float32), (u, i)), shape=(len(uids), len(iids)))
    x.data[:] = 1.0
    b = ease_weights(x, lam)
    rows = np.searchsorted(uids, users[np.isin(users, uids)])
    scores = np.asarray(x[rows] @ b)
    scores[x[rows].toarray() > 0] = -np.inf
    if target not in set(iids.tolist()):  # no positive rating at all: ranked below every rated item
        return {"rank percentile": 1.0, **{f"in top {k}": 0.0 for k in ks}}
    t = int(np.searchsorted(iids, target))
    seen = np.isinf(scores[:, t])
    rank = (scores > scores[:, [t]]).sum(1)[~seen]
    return {"rank percentile": float((rank / len(iids)).mean()), **{f"in top {k}": float((rank < k).mean()) for k in ks}}


__all__ = ["ATTACKS", "Attack", "inject", "rating_features", "detection_scores", "target_exposure"]
