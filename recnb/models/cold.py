"""Rankers that need no item-level statistic, for items no ID model has trained on (the cold-item task).

:func:`genre_matrix` gives the item x genre matrix :class:`PopularityByGenre` reads; :class:`RandomRanker`
ties every item. The cold-item protocol itself (which items are cold, the derived splits) is
:func:`recnb.data.split.hold_out_items`; the ID + text score mix is :class:`recnb.models.fusion.Hybrid`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

from ..data.split import Split
from ..train import select_on_validation
from .base import Fitted
from .baselines import recency_weights


def genre_matrix(items: pd.DataFrame, split: Split, column: str = "genres") -> tuple[sp.csr_matrix, list[str]]:
    """Binary item x genre matrix in ``split``'s item order from a ``|``-separated ``column`` of the item
    table; shape (n_items, n_genres), with the genre names. Items missing from the table or with no genre
    have an empty row (counted in the error if none has any)."""
    if column not in items.columns:
        raise ValueError(f"{split.name}: the item table has no {column!r} column (columns: "
                         f"{', '.join(map(str, items.columns))}); popularity-by-genre needs genres")
    g = items.set_index("item_id")[column].astype("string").reindex(split.item_ids)
    long = g.str.split("|").explode().str.strip()
    long = long[long.notna() & (long != "")]
    pos = pd.Series(np.arange(split.n_items), index=split.item_ids).loc[long.index].to_numpy()
    codes, names = pd.factorize(long.to_numpy())
    if len(names) == 0:
        raise ValueError(f"{split.name}: no item of the split has a genre in column {column!r}")
    m = sp.csr_matrix((np.ones(len(pos), dtype=np.float32), (pos, codes)), shape=(split.n_items, len(names)))
    m.data[:] = 1.0
    return m, [str(n) for n in names]


class PopularityByGenre(Fitted):
    """Items ranked by how much of the user's (recency-weighted) history shares their genres.

    With p_u(g) the share of genre g in the user's history, each event weighted by ``decay`` ^ (events of the
    user after it) as the zero-shot text model weights it (:func:`~recnb.models.baselines.recency_weights`),
    and G the item x genre matrix: score(u, i) = mean over i's genres of p_u(g) + 1e-3 · mean over i's genres
    of the genre's share of all train interactions (ties between items of equally liked genres go to the more
    popular genres). ``decay`` is chosen on validation NDCG@10 from ``decays``, the same grid the text model
    gets. No item-level statistic is used, so cold and warm items are treated alike.

    Args:
        item_genres: (n_items, n_genres) binary, from :func:`genre_matrix`.
        decays: recency decays to choose from (1.0 = every event counts the same).
    """

    def __init__(self, item_genres: sp.csr_matrix, decays: tuple[float, ...] = (1.0,)) -> None:
        g = sp.csr_matrix(item_genres, dtype=np.float64)
        k = np.asarray(g.sum(axis=1)).ravel()
        self.genres_ = g
        self.mean_ = sp.diags(np.where(k > 0, 1.0 / np.maximum(k, 1), 0.0)) @ g  # row-normalised: means
        self.decays = decays

    def fit(self, split: Split) -> PopularityByGenre:
        if self.genres_.shape[0] != split.n_items:
            raise ValueError(f"item_genres has {self.genres_.shape[0]} rows, the split has {split.n_items} items")
        self.split_ = split
        share = np.asarray((split.train @ self.genres_).sum(axis=0)).ravel()
        self.tiebreak_ = np.asarray(self.mean_ @ (share / max(share.sum(), 1.0))).ravel() * 1e-3
        self.rebuild(split)
        self.scores_ = select_on_validation(self, split, "decay_", self.decays)
        return self

    def rebuild(self, split: Split) -> None:
        """Forget the recency weights read from another split's histories."""
        self.weights_: dict[tuple[str, float], sp.csr_matrix] = {}

    def score(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """Scores of every item, shape (len(users), n_items)."""
        key = (stage, self.decay_)
        if key not in self.weights_:
            self.weights_[key] = recency_weights(self.split_, stage, self.decay_)
        h = self.weights_[key][np.asarray(users)]
        counts = np.asarray((h @ self.genres_).todense())
        p = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1e-300)
        s = np.asarray(self.mean_ @ p.T).T + self.tiebreak_[None, :]
        return torch.from_numpy(s.astype(np.float32))


class RandomRanker(Fitted):
    """A random ranking in expectation: every item gets the same score, and the study's tie-aware metrics
    (:func:`recnb.evaluate.tie_aware_metrics`) then give exactly the mean over uniformly random orders, with
    no sampling noise."""

    def fit(self, split: Split) -> RandomRanker:
        self.split_ = split
        return self

    def score(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """Zeros, shape (len(users), n_items)."""
        return torch.zeros(len(users), self.split_.n_items)


__all__ = ["genre_matrix", "PopularityByGenre", "RandomRanker"]
