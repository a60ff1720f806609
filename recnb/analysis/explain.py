"""Why was this item recommended? Two explanations that are faithful to the model that ranked it.

* :func:`occlusion`: for each distinct item in the user's history, the drop in the model's score of the
  recommended item when every event on that history item is removed and the model scores again (the model's
  weights stay as trained). It is exact for what the model computes at scoring time, for any model that reads
  the history when it scores (EASE and ItemKNN, where it equals the item-item weight; Mult-VAE; a GRU;
  LightGCN's propagated layers; a score ensemble of them). It does not capture what the history taught the
  weights during training.
* :func:`neighbours`: the users closest to the user in a model's user-vector space (cosine) who have the
  recommended item in their history. For dot-product models whose item vectors are pulled towards the users
  who chose them (LightGCN, BPR-MF) these are the users through whom the item came close; it is a similarity
  view, not an additive decomposition of the score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch.nn import functional as F

from ..data.split import Split
from ..models.base import Fitted


def occlusion(model: Fitted, split: Split, user: int, item: int, stage: str = "test",
              max_items: int = 50) -> pd.DataFrame:
    """Leave-one-history-item-out contributions to ``model``'s score of ``item`` for ``user``.

    Returns one row per distinct history item (the ``max_items`` most recent): ``item`` (index), ``item_id``
    (the dataset's original id), ``events`` (how many events of the user it removes), ``contribution`` =
    score(full history) - score(without it), sorted by contribution; ``attrs["score"]`` is the full-history
    score.
    """
    roles = ("train",) if stage in ("train", "valid") else ("train", "valid", "gap")
    ev = split.events
    mine = (ev["u"].to_numpy() == user) & ev["role"].isin(roles).to_numpy()
    hist_items = ev["i"].to_numpy()[mine]
    order = pd.unique(hist_items[::-1])[:max_items]  # most recent first
    users = np.array([user])
    with torch.no_grad():
        full = float(model.bind(split).score(users, stage)[0, item])
    rows = []
    for h in order:
        drop = mine & (ev["i"].to_numpy() == h)
        reduced = split.derive(events=ev[~drop].reset_index(drop=True))
        with torch.no_grad():
            s = float(model.bind(reduced).score(users, stage)[0, item])
        rows.append({"item": int(h), "item_id": split.item_ids[h], "events": int(drop.sum()),
                     "contribution": full - s})
    out = pd.DataFrame(rows, columns=["item", "item_id", "events", "contribution"])
    out = out.sort_values("contribution", ascending=False, kind="stable").reset_index(drop=True)
    out.attrs["score"] = full
    return out


def neighbours(vectors: torch.Tensor, split: Split, user: int, item: int, k: int = 5,
               stage: str = "test") -> pd.DataFrame:
    """The ``k`` users most similar to ``user`` (cosine of ``vectors``, shape (n_users, dim)) among those
    whose ``stage`` history holds ``item``: columns ``user`` (index), ``user_id`` (the dataset's original
    id), ``similarity``, ``history`` (their number of distinct items)."""
    hist = split.history(stage)
    has = hist[:, item].nonzero()[0]
    has = has[has != user]
    if len(has) == 0:
        return pd.DataFrame(columns=["user", "user_id", "similarity", "history"])
    v = F.normalize(vectors.detach().float(), dim=1)
    sim = (v[torch.from_numpy(has)] @ v[user]).numpy()
    top = np.argsort(-sim, kind="stable")[:k]
    return pd.DataFrame({"user": has[top], "user_id": split.user_ids[has[top]], "similarity": sim[top],
                         "history": np.diff(hist.indptr)[has[top]]})


__all__ = ["occlusion", "neighbours"]
