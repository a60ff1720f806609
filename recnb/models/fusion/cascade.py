"""The article's cascade (section 4.2) trained end to end: autoencoder latent -> RNN state -> graph node."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ... import env
from ...data.split import Split
from ...train import FitResult, Trainer
from ..autoencoder import MultVAE, SparseInputLinear
from ..base import Recommender, as_index, multi_hot
from ..graph import FastLGConv, graph_stage, stage_graphs
from ..sequence import VanillaRNN, pad_last
from ..softmax import interaction_cross_entropy, softmax_cross_entropy


class CascadeFusion(Recommender):
    """The article's cascade (section 4.2), trained end to end.

    1. z_t = μ(x_{≤t}): the autoencoder's latent of the history up to step t. The first encoder layer is
       linear in the multi-hot x, so W_1 x_{≤t} / ||x_{≤t}|| is a running sum of the item columns of W_1
       divided by √t (exact for distinct items; a repeated item counts again): all prefixes in one cumsum.
       Initialised from the fitted ``ae`` (a :class:`~recnb.models.autoencoder.MultVAE`), then trained on; the
       graph part starts fresh.
    2. h_t = tanh(W_h h_{t-1} + W_x x_t + b_h + W_θ z_t), x_t = e(item_t) + e(event_t): the article's cell
       (:class:`~recnb.models.sequence.VanillaRNN`) with the latent term, over the last ``max_len`` events.
    3. E^{(l+1)} = Â E^{(l)} + [W_θ' h_T ; 0]: LightGCN propagation over the user-item graph with the user's
       last state added to their node at every layer (the article's b_i + W_θ' h_t; W and σ dropped as in
       LightGCN, He et al. SIGIR 2020); e = mean of the layers.

    Budget: the RNN reads the last ``max_len`` events, ``user_batch`` users a step (longer histories and larger
    batches cost more time; ``python -m recnb bench`` and notebook 06 measure what they buy).

    Loss: the multinomial likelihood of the user's train items under e_u · e_i (the graph's objective) plus
    the RNN's next-item cross-entropy at every position (keeps h_t about order). Within a step, the states of
    users outside the batch come from a cache refreshed as batches pass (detached), so one step costs one
    batch of sequences and one propagation. Its user vector is e_u; items are scored by e_u · e_i.
    """

    shared = ("split_", "graphs_")

    def __init__(self, ae: MultVAE, dim: int = 64, layers: int = 2, max_len: int = 30, lr: float = 3e-3,
                 user_batch: int = 64, max_epochs: int = 100, patience: int = 10, seed: int = 0,
                 progress: bool = True) -> None:
        super().__init__()
        self.ae, self.dim, self.layers, self.max_len, self.lr = ae, dim, layers, max_len, lr
        self.user_batch, self.max_epochs, self.patience, self.seed, self.progress = (
            user_batch, max_epochs, patience, seed, progress)

    def build(self, split: Split) -> None:
        """The layers for ``split``, the encoder copied from ``ae`` (:meth:`fit` starts with it)."""
        n_items, n_nodes = split.n_items, split.n_users + split.n_items
        self.ae_encoder = copy.deepcopy(self.ae.encoder)
        self.latent = self.ae.latent
        self.item = nn.Embedding(n_items + 1, self.dim, padding_idx=0)
        self.event = nn.Embedding(8, self.dim, padding_idx=0)
        for emb in (self.item, self.event):
            nn.init.normal_(emb.weight, std=self.dim ** -0.5)
            emb.weight.data[0] = 0.0
        self.out_bias = nn.Parameter(torch.zeros(n_items))
        self.rnn = VanillaRNN(self.dim, self.dim)
        self.W_theta = nn.Linear(self.latent, self.dim, bias=False)
        self.W_theta2 = nn.Linear(self.dim, self.dim, bias=False)
        self.nodes = nn.Embedding(n_nodes, self.dim)
        nn.init.normal_(self.nodes.weight, std=0.1)
        self.convs = nn.ModuleList(FastLGConv(normalize=False) for _ in range(self.layers))

    def _prefix_hidden(self, items: torch.Tensor) -> torch.Tensor:
        """The autoencoder's first layer on every prefix of left-padded ``items`` (batch, time) (0 = padding):
        (batch, time, hidden)."""
        lin1, act, _ = self.ae_encoder
        valid = (items > 0).unsqueeze(-1).float()
        rows = lin1.weight if isinstance(lin1, SparseInputLinear) else lin1.weight.T  # (n_items, hidden)
        cols = rows[(items - 1).clamp_min(0)] * valid  # (B, T, hidden)
        count = valid.cumsum(1).clamp_min(1.0)
        return act(cols.cumsum(1) / count.sqrt() + lin1.bias)

    def _prefix_latents(self, items: torch.Tensor) -> torch.Tensor:
        """z_t = μ(x_{≤t}) for every prefix of left-padded ``items`` (batch, time): (batch, time, latent)."""
        _, _, lin2 = self.ae_encoder
        return F.linear(self._prefix_hidden(items), lin2.weight[: self.latent], lin2.bias[: self.latent])  # μ only

    def _latent_terms(self, items: torch.Tensor) -> torch.Tensor:
        """W_θ z_t for every prefix, (batch, time, dim): the two linear maps folded into one (dim, hidden) matrix
        W_θ W_μ first (the same function as ``W_theta(_prefix_latents(items))``, one small product per step
        instead of a (latent, hidden) product at every position)."""
        _, _, lin2 = self.ae_encoder
        w_mu, b_mu = lin2.weight[: self.latent], lin2.bias[: self.latent]
        return F.linear(self._prefix_hidden(items), self.W_theta.weight @ w_mu, self.W_theta.weight @ b_mu)

    def _states(self, items: torch.Tensor, events: torch.Tensor) -> torch.Tensor:
        """h_t for left-padded inputs (batch, time): (batch, time, dim)."""
        x = self.item(items) + self.event(events)
        return self.rnn(x, extra=self._latent_terms(items))

    def _last_states(self, stage: str, chunk: int = 1024) -> torch.Tensor:
        """h_T of every user at ``stage`` (no gradient), shape (n_users, dim)."""
        seq = self.split_.sequences(stage)
        out = []
        with torch.no_grad():
            for lo in range(0, self.split_.n_users, chunk):
                users = np.arange(lo, min(lo + chunk, self.split_.n_users))
                items, events, _ = (torch.from_numpy(a).to(self.device) for a in pad_last(seq, users, self.max_len))
                out.append(self._states(items, events)[:, -1])
        return torch.cat(out)

    def _propagate(self, adj: torch.Tensor, h_last: torch.Tensor) -> torch.Tensor:
        """Final node embeddings (n_nodes, dim) with W_θ' h_T injected into the user rows at every layer."""
        inject = torch.cat([self.W_theta2(h_last), h_last.new_zeros(self.split_.n_items, self.dim)])
        x = self.nodes.weight
        total = x
        for conv in self.convs:
            x = conv(x, adj) + inject
            total = total + x
        return total / (len(self.convs) + 1)

    def rebuild(self, split: Split) -> None:
        """The user-item graphs of ``split`` at each stage (:func:`~recnb.models.graph.stage_graphs`)."""
        dev = self.device if hasattr(self, "nodes") else env.device()
        self.graphs_ = {k: a.to(dev) for k, a in stage_graphs(split).items()}

    def fit(self, split: Split) -> CascadeFusion:
        trainer = Trainer(self.seed)
        self.split_ = split
        self.rebuild(split)
        self.build(split)
        dev = env.device()
        self.to(dev)  # initialised on the CPU (same values on every device), then moved
        seq = split.sequences("train")
        users = np.flatnonzero(seq.lengths() >= 2)
        items, events, _ = (torch.from_numpy(a).to(dev) for a in pad_last(seq, users, self.max_len, extra=1))
        cache = self._last_states("train")

        def batches() -> Iterator[tuple[torch.Tensor, ...]]:
            for b in trainer.order(len(users), self.user_batch):
                u = users[b.numpy()]
                b = b.to(dev)
                yield torch.from_numpy(u).to(dev), items[b], events[b], multi_hot(split.train, u, dev), cache

        self.fit_: FitResult = trainer.fit(self, batches, split, lr=self.lr, max_epochs=self.max_epochs,
                                           patience=self.patience, desc="cascade", progress=self.progress)
        return self

    def batch_loss(self, users: torch.Tensor, items: torch.Tensor, events: torch.Tensor, x: torch.Tensor,
                   cache: torch.Tensor) -> tuple[torch.Tensor, int]:
        """The graph's multinomial likelihood of the ``users``' (b,) train rows ``x`` (b, n_items) plus the
        RNN's next-item cross-entropy of their left-padded sequences ``items``, ``events`` (b, T + 1); and b.
        The other users' last states come from ``cache`` (n_users, dim, detached), refreshed here with the
        batch's own."""
        h = self._states(items, events)  # (B, T+1, dim)
        target = items[:, 1:] - 1
        keep = target >= 0
        seq_loss = softmax_cross_entropy(h[:, :-1][keep], self.item.weight[1:], self.out_bias, target[keep])
        emb = self._propagate(self.graphs_[graph_stage("train")], cache.index_put((users,), h[:, -1]))
        graph_loss = interaction_cross_entropy(emb[users], emb[self.split_.n_users:], None, x)
        cache[users] = h[:, -1].detach()  # refreshed as batches pass (the loss above read the old copy)
        return graph_loss + seq_loss, len(users)

    def embeddings(self, stage: str = "test") -> tuple[torch.Tensor, torch.Tensor]:
        """Final (user, item) embeddings at ``stage`` without gradient, on the CPU: (n_users, dim), (n_items, dim)."""
        with torch.no_grad():
            emb = self._propagate(self.graphs_[graph_stage(stage)], self._last_states(stage))
        emb = emb.cpu()
        return emb[: self.split_.n_users], emb[self.split_.n_users:]

    def vectors(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """e_u: the fused user vectors of the cascade at ``stage``, shape (len(users), dim)."""
        emb = self._final(stage)
        return emb[as_index(users, emb.device)]

    def decode(self, vectors: torch.Tensor, stage: str = "test") -> torch.Tensor:
        """e_u · e_i for every item at ``stage``, shape (n, n_items)."""
        return vectors @ self._final(stage)[self.split_.n_users:].T

    def _final(self, stage: str) -> torch.Tensor:
        """Final node embeddings at ``stage`` (n_nodes, dim): the RNN over every user and one propagation, once per
        :meth:`score` call."""
        return self.once(("final", stage),
                         lambda: self._propagate(self.graphs_[graph_stage(stage)], self._last_states(stage)))


__all__ = ["CascadeFusion"]
