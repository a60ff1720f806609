"""Learned fusions over fitted encoders: a decoder over the concatenated vectors (late fusion) and a
per-user gate over the encoders' scores (gated fusion)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ... import env
from ...data.split import Split
from ...train import FitResult, Trainer
from ..base import Fitted, Recommender, multi_hot
from ..dropout import Dropout
from ..softmax import interaction_cross_entropy
from .common import concat_vectors, fit_users, stacked_scores


class LateFusion(Recommender):
    """u = [z; h; g] (concatenated encoder vectors), logits = MLP(u) over the catalogue.

    Trained on the train histories with the multinomial log-likelihood -Σ_{i ∈ train(u)} log softmax(logits)_i,
    early-stopped on validation NDCG@10. ``finetune=True`` trains copies of the encoders jointly with the head
    (encoder learning rate ``lr * encoder_lr_scale``); otherwise the encoders are frozen. Its user vector is
    the fused hidden layer tanh(W [z; h; g] + b); the last layer decodes it.
    """

    def __init__(self, encoders: Mapping[str, Recommender], hidden: int = 256, dropout: float = 0.3,
                 finetune: bool = False, lr: float = 1e-3, encoder_lr_scale: float = 0.1, batch_size: int = 128,
                 max_epochs: int = 100, patience: int = 10, seed: int = 0, progress: bool = True) -> None:
        super().__init__()
        self.frozen_encoders, self.hidden, self.dropout, self.finetune = dict(encoders), hidden, dropout, finetune
        self.lr, self.encoder_lr_scale, self.batch_size = lr, encoder_lr_scale, batch_size
        self.max_epochs, self.patience, self.seed, self.progress = max_epochs, patience, seed, progress

    def rebuild(self, split: Split) -> None:
        """Bind the encoders (the frozen ones and those the head reads) to ``split`` as well."""
        self.frozen_encoders = {k: e.bind(split) for k, e in self.frozen_encoders.items()}
        if hasattr(self, "encoders_"):  # fitted: the encoders the head reads (fine-tuned copies or the frozen ones)
            self.encoders_ = {k: e.bind(split) for k, e in self.encoders_.items()}

    def fit(self, split: Split) -> LateFusion:
        trainer = Trainer(self.seed)
        self.split_ = split
        self.encoders_ = ({k: e.trainable_copy() for k, e in self.frozen_encoders.items()} if self.finetune
                          else self.frozen_encoders)
        if self.finetune:
            self.tuned = nn.ModuleList(self.encoders_.values())  # registered: saved and restored with the head
        users = np.flatnonzero(np.diff(split.train.indptr) > 0)
        dim = concat_vectors(self.encoders_, users[:2], "train").shape[1]
        self.head = nn.Sequential(Dropout(self.dropout), nn.Linear(dim, self.hidden), nn.Tanh(),
                                  nn.Linear(self.hidden, split.n_items))
        dev = env.device()
        self.head.to(dev)  # initialised on the CPU (same values on every device), then moved
        groups = [{"params": self.head.parameters(), "lr": self.lr}]
        if self.finetune:
            groups.append({"params": self.tuned.parameters(), "lr": self.lr * self.encoder_lr_scale})
        fixed = None if self.finetune else concat_vectors(self.encoders_, users, "train")

        def batches() -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
            for b in trainer.order(len(users), self.batch_size):
                u = users[b.numpy()]
                feats = concat_vectors(self.encoders_, u, "train", grad=True) if fixed is None else fixed[b.to(dev)]
                yield feats, multi_hot(split.train, u, dev)

        self.fit_: FitResult = trainer.fit(self, batches, split, lr=self.lr, params=groups, max_epochs=self.max_epochs,
                                           patience=self.patience, progress=self.progress,
                                           desc="late fusion" + (" (fine-tuned)" if self.finetune else ""))
        return self

    def batch_loss(self, feats: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, int]:
        """-Σ_{i ∈ train(u)} log softmax(MLP(u))_i averaged over the interactions of a batch, from the users'
        concatenated encoder vectors ``feats`` (b, Σ dims; differentiable when fine-tuning) and their binary
        train rows ``x`` (b, n_items); and b."""
        out = self.head[-1]  # the softmax over items, fused with the head's output layer
        return interaction_cross_entropy(self.head[:-1](feats), out.weight, out.bias, x), len(x)

    def vectors(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """The fused hidden layer tanh(W [z; h; g] + b), shape (len(users), hidden)."""
        return self.head[:3](concat_vectors(self.encoders_, users, stage, grad=True))

    def decode(self, vectors: torch.Tensor, stage: str = "test") -> torch.Tensor:
        """Item logits from the fused hidden layer, shape (n, n_items)."""
        return self.head[3](vectors)


class GatedFusion(nn.Module, Fitted):
    """Per-user gate over the encoders: w(u) = softmax(W [z; h; g] + b), score = τ Σ_k w_k(u) standardise(s_k).

    Fitted on a seeded 80% of the validation targets (of at most ``fit_users`` validation users, :func:`fit_users`) (cross-entropy of the target item), early-stopped on the
    other 20% (held-out cross-entropy, ``patience`` epochs, :class:`~recnb.train.Trainer` minimising); full-batch
    Adam. The gate has few parameters, and the validation targets are the only data where all encoders predict
    something they have not been trained on. :meth:`weights` shows which users lean on which encoder.
    """

    def __init__(self, encoders: Mapping[str, Recommender], lr: float = 1e-2, weight_decay: float = 1e-3,
                 max_epochs: int = 500, patience: int = 20, holdout: float = 0.2, seed: int = 0,
                 fit_users: int | None = None) -> None:
        super().__init__()
        self.encoders, self.lr, self.weight_decay = dict(encoders), lr, weight_decay
        self.max_epochs, self.patience, self.holdout, self.seed = max_epochs, patience, holdout, seed
        self.fit_users = fit_users

    def rebuild(self, split: Split) -> None:
        """Bind every encoder to ``split`` as well."""
        self.encoders = {k: e.bind(split) for k, e in self.encoders.items()}

    def fit(self, split: Split) -> GatedFusion:
        trainer = Trainer(self.seed)
        self.split_ = split
        dev = env.device()
        keep = fit_users(split.valid_users, self.fit_users, self.seed)
        users, items = split.valid_users[keep], torch.from_numpy(split.valid_items[keep]).to(dev)
        feats = concat_vectors(self.encoders, users, "valid")
        self.mean_, self.std_ = feats.mean(0), feats.std(0).clamp_min(1e-6)
        feats = (feats - self.mean_) / self.std_
        stacked = stacked_scores(self.encoders, users, "valid")
        mask = split.mask("valid")[users]  # history is never the answer: as at ranking time
        stacked = stacked.to(dev)
        rows, cols = mask.nonzero()
        stacked[:, torch.from_numpy(rows).to(dev), torch.from_numpy(cols).to(dev)] = -1e4
        self.gate = nn.Linear(feats.shape[1], len(self.encoders))
        nn.init.zeros_(self.gate.weight)
        nn.init.zeros_(self.gate.bias)
        self.log_tau = nn.Parameter(torch.zeros(()))
        self.to(dev)  # the gate (the encoders are not submodules: they stay where they are)
        perm = torch.randperm(len(users), generator=trainer.generator).to(dev)
        n_hold = max(1, int(self.holdout * len(users)))
        hold, fit = perm[:n_hold], perm[n_hold:]

        def held_out() -> float:
            with torch.no_grad():
                return float(self.batch_loss(feats[hold], stacked[:, hold], items[hold])[0])

        self.fit_ = trainer.fit(self, lambda: [(feats[fit], stacked[:, fit], items[fit])], held_out, lr=self.lr,
                                weight_decay=self.weight_decay, max_epochs=self.max_epochs, patience=self.patience,
                                desc="gated fusion", progress=False, maximise=False, min_delta=1e-5,
                                score_name="held-out loss")
        return self

    def batch_loss(self, feats: torch.Tensor, stacked: torch.Tensor, items: torch.Tensor) -> tuple[torch.Tensor, int]:
        """Cross-entropy of the target ``items`` (n,) under the gated mix of the encoders' ``stacked`` scores
        (K, n, n_items), the gate reading the standardised ``feats`` (n, Σ dims); and n (one full batch)."""
        w = torch.softmax(self.gate(feats), 1)  # (n, K)
        mixed = torch.einsum("nk,kni->ni", w, stacked) * self.log_tau.exp()
        return F.cross_entropy(mixed, items), len(items)

    def weights(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """Gate weights per user, shape (len(users), n_encoders), rows sum to 1."""
        with torch.no_grad():
            feats = (concat_vectors(self.encoders, users, stage) - self.mean_) / self.std_
            return torch.softmax(self.gate(feats), 1)

    def score(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """Σ_k w_k(u) standardise(s_k(u)), shape (len(users), n_items)."""
        w = self.weights(users, stage)
        return torch.einsum("nk,kni->ni", w, stacked_scores(self.encoders, users, stage))

    def user_vectors(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """Each encoder's L2-normalised vector scaled by its gate weight, concatenated: (len(users), Σ dims)."""
        w = self.weights(users, stage).cpu()
        parts = [F.normalize(e.user_vectors(users, stage), dim=1) * w[:, [k]]
                 for k, e in enumerate(self.encoders.values())]
        return torch.cat(parts, 1)


__all__ = ["LateFusion", "GatedFusion"]
