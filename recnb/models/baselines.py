"""The baselines every deep model must beat, on the common interface ``fit(split)`` / ``score(users)``.

* :class:`MostPopular`: items ranked by the number of train users.
* :class:`ItemKNN`: item-based CF with shrunk cosine similarity and top-k neighbourhoods
  (Sarwar et al., WWW 2001; shrinkage as in Koren's neighbourhood models).
* :class:`EASE`: the closed-form linear item-item model of Steck (WWW 2019),
  B = I - P diagMat(1 / diag(P)), P = (XᵀX + λI)⁻¹, with λ chosen on validation NDCG@10.
* :class:`BPRMF`: matrix factorisation trained with BPR (Rendle et al., UAI 2009) in torch, early-stopped.
* :class:`SeenItems`: the user's own earlier items first (recency-weighted), then popularity: the "re-find"
  baseline of next-purchase tasks, where a bought item has often been viewed or carted before.

At ``score`` time the input history is the split's history for that stage (train for ``valid``; train +
valid + gap for ``test``): a model never sees the target it is scored on.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp
import torch

from .. import env
from ..data.split import Split
from ..train import Trainer, select_on_validation, validation_score
from .base import Fitted, Recommender, as_index
from .ease import EASE


class MostPopular(Fitted):
    """Rank items by train popularity (distinct train users per item); the same list for everyone."""

    def fit(self, split: Split) -> MostPopular:
        self.split_ = split
        self.popularity_ = torch.from_numpy(split.item_popularity().astype(np.float32)).to(env.device())
        return self

    def score(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        return self.popularity_.expand(len(users), -1)


class ItemKNN(Fitted):
    """Item-based k-nearest-neighbour CF.

    sim(i, j) = |U_i ∩ U_j| / (sqrt(|U_i| |U_j|) + shrink), keeping the ``k`` most similar items of
    each item; score(u, j) = Σ_{i ∈ history(u)} sim(i, j). ``k`` and ``shrink`` are chosen on validation
    NDCG@10 from the grids given.
    """

    def __init__(self, ks: tuple[int, ...] = (50, 100, 400), shrinks: tuple[float, ...] = (0.0, 10.0)) -> None:
        self.ks, self.shrinks = ks, shrinks

    def fit(self, split: Split) -> ItemKNN:
        self.split_ = split
        x = split.train.tocsc().astype(np.float32)
        co = (x.T @ x).tocsr()
        co.setdiag(0)
        co.eliminate_zeros()
        norms = np.sqrt(np.asarray(x.sum(axis=0)).ravel())
        rows = np.repeat(np.arange(co.shape[0]), np.diff(co.indptr))
        denom = norms[rows] * norms[co.indices]
        self.scores_: dict[tuple[int, float], float] = {}
        best, chosen = -1.0, None  # without validation users every score is NaN: the first setting stays
        for shrink in self.shrinks:
            sim = co.copy()
            sim.data = co.data / (denom + shrink)
            widest = _keep(sim, _rank_in_row(sim) < max(self.ks))  # one sort of the big matrix per shrink
            rank = _rank_in_row(widest)  # and one of the kept entries: every k is a mask of it
            for k in sorted(self.ks, reverse=True):
                self.similarity_ = _keep(widest, rank < k)
                s = self.scores_[(k, shrink)] = validation_score(self, split)
                if chosen is None or s > best:
                    best, self.k_, self.shrink_, chosen = s, k, shrink, self.similarity_
        self.similarity_ = chosen
        return self

    def score(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        s = self.split_.history(stage)[users] @ self.similarity_  # sparse x sparse: scipy, on the CPU
        return torch.from_numpy(np.asarray(s.todense(), dtype=np.float32)).to(env.device())


def _rank_in_row(m: sp.csr_matrix) -> np.ndarray:
    """Each stored entry's rank within its row by decreasing value (0 = largest; ties keep storage order),
    shape (m.nnz,), in storage order; the entries must be non-negative (similarities). Vectorised over all
    rows: one stable sort of int64 keys (row << 32) + (0x7FFFFFFF - the value's float32 bits), which order
    as (row, decreasing value) because the bits of non-negative floats order as their values."""
    data = m.data.astype(np.float32) + np.float32(0.0)  # -0.0 becomes +0.0
    if len(data) and data.min() < 0:
        raise ValueError("_rank_in_row: expected non-negative entries (similarities)")
    rows = torch.from_numpy(np.repeat(np.arange(m.shape[0], dtype=np.int64), np.diff(m.indptr)))
    bits = torch.from_numpy(data.view(np.int32).astype(np.int64))
    order = torch.sort((rows << 32) | (0x7FFFFFFF - bits), stable=True).indices
    rank = torch.empty(len(order), dtype=torch.int64)
    rank[order] = torch.arange(len(order)) - torch.from_numpy(m.indptr.astype(np.int64))[rows[order]]
    return rank.numpy()


def _keep(m: sp.csr_matrix, keep: np.ndarray) -> sp.csr_matrix:
    """The CSR matrix of the entries of ``m`` where the boolean ``keep`` (shape (m.nnz,)) is true."""
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    return sp.csr_matrix((m.data[keep], (rows[keep], m.indices[keep])), shape=m.shape)


class BPRMF(Recommender):
    """Matrix factorisation with the BPR pairwise loss (Rendle et al., UAI 2009).

    x̂_ui = p_u · q_i; loss = -Σ log σ(x̂_ui - x̂_uj) + reg ||θ||² over (u, i ∈ train(u), j uniform).
    Early-stopped on validation NDCG@10 by :class:`recnb.train.Trainer`.
    """

    user_parameters = True

    def __init__(self, dim: int = 64, lr: float = 5e-3, reg: float = 1e-3, batch_size: int = 4096,
                 max_epochs: int = 200, patience: int = 10, seed: int = 0, progress: bool = True) -> None:
        super().__init__()
        self.dim, self.lr, self.reg, self.batch_size = dim, lr, reg, batch_size
        self.max_epochs, self.patience, self.seed, self.progress = max_epochs, patience, seed, progress

    def fit(self, split: Split) -> BPRMF:
        trainer = Trainer(self.seed)
        self.split_ = split
        self.user_emb = torch.nn.Embedding(split.n_users, self.dim)
        self.item_emb = torch.nn.Embedding(split.n_items, self.dim)
        torch.nn.init.normal_(self.user_emb.weight, std=0.1, generator=trainer.generator)
        torch.nn.init.normal_(self.item_emb.weight, std=0.1, generator=trainer.generator)
        dev = env.device()
        self.to(dev)  # initialised on the CPU (same values on every device), then moved
        coo = split.train.tocoo()
        users = torch.from_numpy(coo.row.astype(np.int64)).to(dev)
        items = torch.from_numpy(coo.col.astype(np.int64)).to(dev)

        def batches() -> Iterator[tuple[torch.Tensor, ...]]:  # the epoch's order, then one negative per triple
            order, neg = trainer.order(len(users), self.batch_size), trainer.randint(split.n_items, len(users)).to(dev)
            for idx in order:
                idx = idx.to(dev)
                yield users[idx], items[idx], neg[idx]

        self.fit_ = trainer.fit(self, batches, split, lr=self.lr, max_epochs=self.max_epochs, patience=self.patience,
                                desc="BPR-MF", progress=self.progress)
        return self

    def batch_loss(self, users: torch.Tensor, items: torch.Tensor, negatives: torch.Tensor) -> tuple[torch.Tensor, int]:
        """BPR loss of the triples (u, i, j) (each (b,)) plus ``reg`` times their squared factors per triple; and b."""
        u, i, j = self.user_emb(users), self.item_emb(items), self.item_emb(negatives)
        x = (u * (i - j)).sum(1)
        return -torch.nn.functional.logsigmoid(x).mean() + self.reg * (
            u.pow(2).sum() + i.pow(2).sum() + j.pow(2).sum()) / len(users), len(users)

    def vectors(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """The learned user factors p_u, shape (len(users), dim) (the same at every stage: BPR-MF does not
        read the history when it scores)."""
        return self.user_emb.weight[as_index(users, self.device)]

    def decode(self, vectors: torch.Tensor, stage: str = "test") -> torch.Tensor:
        """x̂_ui = p_u · q_i for every item, shape (n, n_items)."""
        return vectors @ self.item_emb.weight.T


def recency_weights(split: Split, stage: str, decay: float) -> sp.csr_matrix:
    """Recency-weighted user x item counts of the ``stage`` history, shape (n_users, n_items):
    w[u, i] = Σ over u's events on i of ``decay`` ^ (events of u after that one), so the newest event
    weighs 1 and ``decay = 1`` gives plain counts (floored at 1e-300 so that no event vanishes)."""
    seq = split.sequences(stage)
    u = np.repeat(np.arange(split.n_users), seq.lengths())
    since = seq.offsets[u + 1] - 1 - np.arange(len(u))  # 0 for the user's newest event
    w = sp.csr_matrix((np.maximum(decay ** since.astype(np.float64), 1e-300), (u, seq.items)),
                      shape=(split.n_users, split.n_items))
    w.sum_duplicates()
    return w


class SeenItems(Fitted):
    """Rank the items the user has already interacted with (any event type) above all others, by a
    recency-weighted count Σ decay^(events since), then the rest by popularity.

    ``decay`` is chosen on validation NDCG@10 from ``decays`` (1.0 = plain count). Meaningful where targets
    may repeat earlier non-target events (a purchase after views); where the history is masked, as in
    all-events tasks, it reduces to popularity.
    """

    def __init__(self, decays: tuple[float, ...] = (0.5, 0.8, 0.95, 1.0)) -> None:
        self.decays = decays

    def fit(self, split: Split) -> SeenItems:
        self.split_ = split
        pop = split.item_popularity().astype(np.float64)
        self.popularity_ = torch.from_numpy((pop / (pop.max() + 1.0)).astype(np.float32)).to(env.device())
        self.scores_ = select_on_validation(self, split, "decay_", self.decays)
        return self

    def score(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        w = recency_weights(self.split_, stage, self.decay_)[users]
        top = np.maximum(w.max(axis=1).toarray().ravel(), 1e-300)
        w = (sp.diags(1.0 / top) @ w).tocoo()  # each user's weights in (0, 1]
        out = self.popularity_.expand(len(users), -1).clone()
        dev = out.device
        out[torch.from_numpy(w.row.astype(np.int64)).to(dev), torch.from_numpy(w.col.astype(np.int64)).to(dev)] = \
            torch.from_numpy((2.0 + w.data).astype(np.float32)).to(dev)
        return out


def ease_weights(x: sp.csr_matrix, lam: float) -> np.ndarray:
    """EASE item-item weights for one λ (Steck 2019): B = I - P diagMat(1/diag(P)), P = (XᵀX + λI)⁻¹,
    diagonal zero; shape (n_items, n_items). (:class:`EASE` chooses λ on validation instead.)"""
    g = (x.T @ x).toarray().astype(np.float64)
    g[np.diag_indices_from(g)] += lam
    p = np.linalg.inv(g)
    b = p / (-np.diag(p))
    np.fill_diagonal(b, 0.0)
    return b


__all__ = ["MostPopular", "ItemKNN", "EASE", "SeenItems", "recency_weights", "ease_weights", "BPRMF"]
