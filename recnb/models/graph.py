"""Graph encoders: the article's section 4.1.3, h_i^{(l+1)} = σ(Σ_{j∈N(i)} W h_j^{(l)} + b), and LightGCN.

Users and items are the nodes of one graph whose adjacency is

    A = [[β S, R], [Rᵀ, 0]]   (shape (n_users + n_items,)²)

with R the binary user x item history of the stage and S an optional user-user relation (friendship,
trust, or a co-interaction k-NN graph; ``β`` = ``social_weight``, 0 switches it off). Two encoders share
the training code:

* ``gcn``: the article's aggregation with the adjacency really used, as the graph convolution of Kipf &
  Welling (ICLR 2017): H^{(l+1)} = σ(Â H^{(l)} W^{(l)} + b^{(l)}), Â = D^{-1/2}(A + I)D^{-1/2}, σ = tanh on
  hidden layers (``torch_geometric.nn.GCNConv``).
* ``lightgcn``: He et al. (SIGIR 2020): no weights, no σ, E^{(l+1)} = Â E^{(l)} with Â = D^{-1/2} A D^{-1/2},
  final embedding the mean of E^{(0..L)} (``torch_geometric.nn.models.LightGCN``).

Propagation is one sparse product per layer over the whole graph: PyG's layers with their sparse product
replaced by :func:`symmetric_spmm`, whose backward reuses the symmetric adjacency (torch's own CSR backward
is much slower on CPU; pyg-lib / torch-sparse have no wheels for this platform). Training is full-softmax
cross-entropy (``loss="ce"``) or BPR (``loss="bpr"``), early-stopped on validation NDCG@10. The graphs are
:func:`stage_graphs`, passed to the propagation (as in PyG's ``LightGCN.get_embedding(edge_index)``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch import nn
from torch.nn import functional as F
from torch_geometric.nn import GCNConv, LGConv
from torch_geometric.nn.models import LightGCN

from .. import env
from ..data.split import Split
from ..train import DataParallel, FitResult, Trainer
from .base import Recommender, as_index
from .softmax import interaction_cross_entropy


class _SymmetricSpmm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, adj: torch.Tensor, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.adj = adj
        return adj @ x

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[None, torch.Tensor]:  # type: ignore[override]
        return None, ctx.adj @ grad  # Âᵀ = Â


def symmetric_spmm(adj: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Â x for a symmetric sparse CSR ``adj`` (n, n) and dense ``x`` (n, d), differentiable in ``x``."""
    return _SymmetricSpmm.apply(adj, x)


class FastLGConv(LGConv):
    """PyG's LGConv with its sparse product done by :func:`symmetric_spmm` (adjacency pre-normalised)."""

    def message_and_aggregate(self, adj_t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return symmetric_spmm(adj_t, x)


class FastGCNConv(GCNConv):
    """PyG's GCNConv with its sparse product done by :func:`symmetric_spmm` (adjacency pre-normalised)."""

    def message_and_aggregate(self, adj_t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return symmetric_spmm(adj_t, x)


def relation_matrix(split: Split, edges: pd.DataFrame) -> tuple[sp.csr_matrix, dict[str, int]]:
    """User-user relation of ``edges`` (``user_id``, ``other_id``) over the split's users, symmetrised
    and binary, shape (n_users, n_users); plus counts of what was kept and why rows were left out."""
    index = pd.Series(np.arange(split.n_users), index=split.user_ids)
    a = index.reindex(edges["user_id"].to_numpy()).to_numpy()
    b = index.reindex(edges["other_id"].to_numpy()).to_numpy()
    known = ~(np.isnan(a) | np.isnan(b))
    self_loop = known & (a == b)
    keep = known & ~self_loop
    a, b = a[keep].astype(np.int64), b[keep].astype(np.int64)
    m = sp.csr_matrix((np.ones(len(a), np.float32), (a, b)), shape=(split.n_users, split.n_users))
    m = ((m + m.T) > 0).astype(np.float32).tocsr()
    info = {"edges given": len(edges), "edges with a user outside the split": int((~known).sum()),
            "self-loops": int(self_loop.sum()), "undirected pairs kept": int(m.nnz // 2)}
    return m, info


def knn_relation(history: sp.csr_matrix, k: int = 10, chunk: int = 2048) -> sp.csr_matrix:
    """Co-interaction k-NN user graph: each user linked to the ``k`` users with the highest cosine
    similarity of their histories, symmetrised and binary, shape (n_users, n_users)."""
    x = torch.from_numpy(history.toarray().astype(np.float32))
    x = F.normalize(x, dim=1)
    rows, cols = [], []
    for lo in range(0, len(x), chunk):  # chunks of users against everyone: one matmul each
        sim = x[lo:lo + chunk] @ x.T
        sim[torch.arange(len(sim)), torch.arange(lo, lo + len(sim))] = -1.0
        top = sim.topk(min(k, len(x) - 1), dim=1).indices
        rows.append(np.repeat(np.arange(lo, lo + len(sim)), top.shape[1]))
        cols.append(top.reshape(-1).numpy())
    r, c = np.concatenate(rows), np.concatenate(cols)
    m = sp.csr_matrix((np.ones(len(r), np.float32), (r, c)), shape=(len(x), len(x)))
    return ((m + m.T) > 0).astype(np.float32).tocsr()


def normalized_adjacency(history: sp.csr_matrix, social: sp.csr_matrix | None = None,
                         social_weight: float = 1.0, self_loops: bool = False) -> torch.Tensor:
    """Â = D^{-1/2} A D^{-1/2} of the user-item (+ user-user) graph as a torch sparse CSR tensor of shape
    (n_users + n_items, n_users + n_items); ``self_loops`` adds I to A first (GCN)."""
    n_users, n_items = history.shape
    r = (history > 0).astype(np.float32)
    uu = (social * social_weight if social is not None and social_weight > 0
          else sp.csr_matrix((n_users, n_users), dtype=np.float32))
    a = sp.bmat([[uu, r], [r.T, None]], format="csr", dtype=np.float32)
    if self_loops:
        a = a + sp.identity(a.shape[0], dtype=np.float32, format="csr")
    deg = np.asarray(a.sum(1)).ravel()
    inv = np.zeros_like(deg)
    inv[deg > 0] = deg[deg > 0] ** -0.5
    a = (sp.diags(inv) @ a @ sp.diags(inv)).tocsr().astype(np.float32)
    a.sort_indices()
    # int32 indices where they fit: the same sums in the same order (bit-identical) and a faster product on CPU
    index = np.int32 if a.nnz < np.iinfo(np.int32).max else np.int64
    with warnings.catch_warnings():  # "sparse CSR support is in beta"
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(torch.from_numpy(a.indptr.astype(index)),
                                       torch.from_numpy(a.indices.astype(index)),
                                       torch.from_numpy(a.data), size=a.shape)


def graph_stage(stage: str) -> str:
    """The graph a ``stage`` reads: ``valid`` (train history) for ``train`` and ``valid``, ``test`` (train +
    valid + gap) for ``test``."""
    if stage in ("train", "valid"):
        return "valid"
    if stage == "test":
        return "test"
    raise ValueError(f"stage {stage!r}: expected train, valid or test")


def stage_graphs(split: Split, social: sp.csr_matrix | None = None, social_weight: float = 1.0,
                 self_loops: bool = False) -> dict[str, torch.Tensor]:
    """:func:`normalized_adjacency` of the split's history at each graph stage (:func:`graph_stage`):
    ``{"valid": Â of the train events, "test": Â of train + valid + gap}``, each (n_nodes, n_nodes). The
    validation target is never an edge of the ``valid`` graph, nor the test target of the ``test`` graph."""
    return {key: normalized_adjacency(split.history(key), social, social_weight, self_loops=self_loops)
            for key in ("valid", "test")}


def mean_cosine(vectors: torch.Tensor, sample: int = 2000, seed: int = 0) -> float:
    """Mean pairwise cosine similarity of (a seeded sample of) the rows of ``vectors`` (n, dim): an
    over-smoothing gauge, near 1 when propagation has made every embedding alike."""
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(vectors), generator=g)[:sample]
    v = F.normalize(vectors[idx], dim=1)
    sim = v @ v.T
    n = len(v)
    return float((sim.sum() - sim.diagonal().sum()) / (n * (n - 1)))


class _GCN(nn.Module):
    """The article's aggregation: H^{(l+1)} = σ(Â H^{(l)} W^{(l)} + b^{(l)}) from learned node embeddings."""

    def __init__(self, n_nodes: int, dim: int, layers: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(n_nodes, dim)
        nn.init.normal_(self.embedding.weight, std=0.1)
        self.convs = nn.ModuleList(FastGCNConv(dim, dim, normalize=False) for _ in range(layers))

    def get_embedding(self, adj: torch.Tensor) -> torch.Tensor:
        h = self.embedding.weight
        for i, conv in enumerate(self.convs):
            h = conv(h, adj)
            if i < len(self.convs) - 1:
                h = torch.tanh(h)
        return h


class GraphRecommender(Recommender):
    """Graph encoder on the user-item (+ user-user) graph; see the module docstring.

    Attributes after fit: ``net`` (the PyG model), ``graphs_`` (:func:`stage_graphs`), ``fit_``.

    Args:
        conv: ``lightgcn`` or ``gcn`` (the article's layer).
        layers: propagation layers L; ``dim``: embedding size.
        loss: ``ce`` (full softmax over items for each train interaction, batched by ``user_batch``
            users) or ``bpr`` (one uniform negative per interaction, batches of ``batch_size``).
        social: user-user relation (n_users, n_users) from :func:`relation_matrix` or
            :func:`knn_relation`; ``social_weight`` β scales it (0 or ``None`` social: off).
    """

    user_parameters = True

    shared = ("split_", "graphs_", "social")

    parallel: DataParallel | None = None
    """This process's place in a data-parallel run (set by :mod:`recnb.scale.distributed`), or None."""

    def __init__(self, conv: str = "lightgcn", layers: int = 2, dim: int = 64, loss: str = "ce",
                 social: sp.csr_matrix | None = None, social_weight: float = 1.0, lr: float = 5e-3,
                 reg: float = 1e-4, batch_size: int = 4096, user_batch: int = 64, max_epochs: int = 200, patience: int = 10,
                 seed: int = 0, progress: bool = True) -> None:
        super().__init__()
        if conv not in ("lightgcn", "gcn"):
            raise ValueError(f"conv {conv!r}: expected lightgcn or gcn")
        if loss not in ("ce", "bpr"):
            raise ValueError(f"loss {loss!r}: expected ce or bpr")
        self.conv, self.layers, self.dim, self.loss = conv, layers, dim, loss
        self.social, self.social_weight = social, social_weight
        self.lr, self.reg, self.batch_size, self.user_batch = lr, reg, batch_size, user_batch
        self.max_epochs, self.patience, self.seed, self.progress = max_epochs, patience, seed, progress

    def rebuild(self, split: Split) -> None:
        """The stage graphs of ``split`` (:func:`stage_graphs`), with this model's social relation, on the
        model's device (moved once)."""
        dev = env.device() if getattr(self, "net", None) is None else self.device
        self.graphs_ = {k: a.to(dev) for k, a in
                        stage_graphs(split, self.social, self.social_weight, self_loops=self.conv == "gcn").items()}

    def adjacency(self, stage: str = "test") -> torch.Tensor:
        """Â of the graph the model propagates over at ``stage`` (see :func:`stage_graphs`)."""
        return self.graphs_[graph_stage(stage)]

    def fit(self, split: Split) -> GraphRecommender:
        trainer = Trainer(self.seed, self.parallel)
        self.split_ = split
        self.rebuild(split)
        n = split.n_users + split.n_items
        if self.conv == "lightgcn":
            self.net: nn.Module = LightGCN(n, self.dim, self.layers)
            self.net.convs = nn.ModuleList(FastLGConv(normalize=False) for _ in range(self.layers))
        else:
            self.net = _GCN(n, self.dim, self.layers)
        dev = env.device()
        self.to(dev)  # initialised on the CPU (same values on every device), then moved
        train = split.train
        coo = train.tocoo()
        users = torch.from_numpy(coo.row.astype(np.int64)).to(dev)
        items = torch.from_numpy(coo.col.astype(np.int64)).to(dev)
        x_train = torch.from_numpy(train.toarray()).to(dev)  # (n_users, n_items) binary
        active = torch.from_numpy(np.flatnonzero(np.diff(train.indptr) > 0)).to(dev)
        n_users = split.n_users
        # the units of an epoch: users with train items (ce) or train interactions, the BPR triples (bpr)
        units, size = (len(active), self.user_batch) if self.loss == "ce" else (len(users), self.batch_size)

        def batches() -> Iterator[tuple[torch.Tensor, ...]]:  # bpr: a uniform negative item per triple
            for b in trainer.order(units, size):
                b = b.to(dev)
                if self.loss == "ce":
                    yield active[b], x_train[active[b]]
                else:
                    yield users[b], items[b] + n_users, trainer.randint(split.n_items, len(b)).to(dev) + n_users

        self.fit_: FitResult = trainer.fit(self, batches, split, lr=self.lr, max_epochs=self.max_epochs,
                                           patience=self.patience, desc=f"{self.conv}-{self.loss}", progress=self.progress)
        return self

    def batch_loss(self, *batch: torch.Tensor) -> tuple[torch.Tensor, int]:
        """Training loss of one batch (one full-graph propagation over the ``train`` graph, then the loss of
        the batch's users only) plus the L2 penalty ``reg`` on the batch's ego embeddings, and the batch size.

        ``loss="ce"``: ``batch = (users, x)``, user rows (b,) and their binary train rows (b, n_items); the
        multinomial log-likelihood of each user's train items (= the per-interaction full-softmax
        cross-entropy, computed once per user: (b, n_items) logits instead of one row per edge).
        ``loss="bpr"``: ``batch = (users, positives, negatives)``, node ids (b,) each (items offset by
        ``n_users``); BPR (Rendle et al., UAI 2009), -log σ(e_u · (e_i - e_j)) averaged."""
        emb = self.net.get_embedding(self.adjacency("train"))
        if self.loss == "ce":
            u, x = batch
            loss = interaction_cross_entropy(emb[u], emb[self.split_.n_users:], None, x)
            ego_rows = u
        else:
            u, i, j = batch
            loss, ego_rows = -F.logsigmoid((emb[u] * (emb[i] - emb[j])).sum(1)).mean(), torch.cat([u, i, j])
        ego = self.net.embedding.weight[ego_rows]
        return loss + self.reg * ego.pow(2).sum() / len(ego_rows), len(u)

    def embeddings(self, stage: str = "test") -> tuple[torch.Tensor, torch.Tensor]:
        """Final (user, item) embeddings after propagation over the ``stage`` graph, without gradient, on
        the CPU: shapes (n_users, dim), (n_items, dim)."""
        with torch.no_grad():
            emb = self.net.get_embedding(self.adjacency(stage)).cpu()
        return emb[:self.split_.n_users], emb[self.split_.n_users:]

    def vectors(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """Differentiable final user embeddings (one propagation over the ``stage`` graph), (len(users), dim):
        the "relation feature" fusion consumes."""
        return self._propagated(stage)[as_index(users, self.device)]

    def decode(self, vectors: torch.Tensor, stage: str = "test") -> torch.Tensor:
        """Dot products with every item's final embedding at ``stage``, shape (n, n_items)."""
        return vectors @ self._propagated(stage)[self.split_.n_users:].T

    def _propagated(self, stage: str) -> torch.Tensor:
        """Final embeddings of every node at ``stage``, (n_nodes, dim): once per :meth:`score` call."""
        return self.once(("propagated", stage), lambda: self.net.get_embedding(self.adjacency(stage)))


__all__ = ["GraphRecommender", "FastGCNConv", "FastLGConv", "graph_stage", "knn_relation", "mean_cosine",
           "normalized_adjacency", "relation_matrix", "stage_graphs", "symmetric_spmm"]
