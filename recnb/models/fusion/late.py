"""Fusion of the three encoders into one user vector: the article's sections 3.2.4 and 4.2.

The encoders (each already fitted on the same split, each with ``user_vectors`` and ``score``):
``ae`` (latent interest z, :class:`~recnb.models.autoencoder.MultVAE`), ``seq`` (temporal feature h,
:class:`~recnb.models.sequence.SequenceRecommender`) and ``graph`` (relation feature g,
:class:`~recnb.models.graph.GraphRecommender`). Four ways to combine them, all with ``fit(split)``,
``score(users, stage)`` and ``user_vectors(users, stage)``:

* :class:`ScoreEnsemble`: Σ_k w_k standardise(s_k), weights on a simplex grid chosen on validation NDCG@10;
  the simple rival every learned fusion must beat.
* :class:`LateFusion`: u = [z; h; g] -> MLP decoder over the catalogue, trained on the train histories with
  the multinomial likelihood (Liang et al. 2018), early-stopped on validation; the encoders frozen or
  fine-tuned jointly (``finetune``).
* :class:`GatedFusion`: per-user weights softmax(W [z; h; g] + b) over the encoders' standardised scores, fitted
  on 80% of the validation targets and stopped on the other 20% (the gate has few parameters; the validation
  targets are the only data where all three encoders predict something they have not been trained on).
* :class:`CascadeFusion`: the article's section 4.2 cascade trained end to end:
  h_t = σ(W_h h_{t-1} + W_x x_t + b_h + W_θ z_t), then the user nodes of the graph receive W_θ' h_T at every
  layer. z_t is the autoencoder's latent of the history *up to and including t* (never later events: at step t
  the future is unknown, and a z built from the whole history would leak the next items into the next-item loss).

Scores are standardised per user (zero mean, unit variance over the catalogue) before they are mixed, since the
three encoders' logits live on different scales.
"""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F

from ..data.split import Split
from ..evaluate import evaluate
from ..train import FitResult, fit_loop, seed_everything, validation_score
from .autoencoder import MultVAE, _rows
from .graph import GraphRecommender, _FastLGConv, normalized_adjacency
from .sequence import SequenceRecommender, VanillaRNN, pad_last


def fit_encoders(split: Split, seed: int = 0, epochs: int = 100, max_len: int = 50, dim: int = 64,
                 progress: bool = True, which: tuple[str, ...] = ("ae", "seq", "graph")) -> dict[str, nn.Module]:
    """The encoders named in ``which`` with the settings of notebooks 03-05, each trained alone on ``split``:
    ``{"ae": Mult-VAE, "seq": GRU, "graph": LightGCN (2 layers, softmax loss)}``. ``epochs`` caps each.
    The GRU's step is 1e-2 (notebook 04 uses 3e-3): on ML-100K it stops in half the time at the same
    accuracy (one seed: test NDCG@10 .087 in 16 s against .085 in 30 s)."""
    makers = {
        "ae": lambda: MultVAE(max_epochs=epochs, patience=10, seed=seed, progress=progress),
        "seq": lambda: SequenceRecommender("gru", dim=dim, max_len=max_len, lr=1e-2, max_epochs=epochs, patience=10,
                                           seed=seed, progress=progress),
        "graph": lambda: GraphRecommender(dim=dim, layers=2, lr=1e-2, max_epochs=epochs, patience=10, seed=seed,
                                          progress=progress),
    }
    unknown = set(which) - set(makers)
    if unknown:
        raise ValueError(f"fit_encoders: unknown encoder(s) {sorted(unknown)}; expected some of {list(makers)}")
    return {k: makers[k]().fit(split) for k in which}


def standardise(scores: torch.Tensor) -> torch.Tensor:
    """Per-row z-score of a (n_users, n_items) score matrix."""
    return (scores - scores.mean(1, keepdim=True)) / scores.std(1, keepdim=True).clamp_min(1e-8)


def _concat_vectors(encoders: dict[str, object], users: np.ndarray, stage: str, grad: bool = False) -> torch.Tensor:
    """[z; h; g] for ``users``: shape (len(users), Σ dims) in the order of ``encoders``."""
    if grad:
        return torch.cat([e.vectors(users, stage) for e in encoders.values()], 1)  # type: ignore[attr-defined]
    return torch.cat([e.user_vectors(users, stage) for e in encoders.values()], 1)  # type: ignore[attr-defined]


def _stacked_scores(encoders: dict[str, object], users: np.ndarray, stage: str) -> torch.Tensor:
    """Standardised scores of each encoder, shape (n_encoders, len(users), n_items)."""
    with torch.no_grad():
        return torch.stack([standardise(e.score(users, stage)) for e in encoders.values()])  # type: ignore[attr-defined]


def _copy_encoder(encoder: object) -> object:
    """A trainable copy of a fitted encoder that shares (does not copy) its split and cached graphs."""
    memo: dict[int, object] = {id(encoder.split_): encoder.split_}  # type: ignore[attr-defined]
    for cached in encoder.__dict__.get("_adj", {}).values():
        memo[id(cached)] = cached
    return copy.deepcopy(encoder, memo)


class _Fixed:
    """A scorer from precomputed rows (for grid searches on validation)."""

    def __init__(self, users: np.ndarray, scores: torch.Tensor, n_users: int) -> None:
        self.row = np.full(n_users, -1)
        self.row[users] = np.arange(len(users))
        self.scores = scores

    def score(self, users: np.ndarray, stage: str = "valid") -> torch.Tensor:
        return self.scores[torch.from_numpy(self.row[users])]


def simplex_grid(k: int, step: float = 0.1) -> np.ndarray:
    """All weight vectors of length ``k`` on the simplex with the given step, shape (n, k)."""
    n = round(1 / step)
    rows = [c for c in itertools.product(range(n + 1), repeat=k) if sum(c) == n]
    return np.array(rows, dtype=np.float64) / n


class ScoreEnsemble:
    """Weighted sum of the encoders' standardised scores; weights chosen on validation NDCG@10."""

    def __init__(self, encoders: dict[str, object], step: float = 0.1) -> None:
        self.encoders, self.step = encoders, step

    def fit(self, split: Split) -> ScoreEnsemble:
        self.split_ = split
        users = split.valid_users
        stacked = _stacked_scores(self.encoders, users, "valid")
        grid = simplex_grid(len(self.encoders), self.step)
        scores = []
        for w in grid:
            fixed = _Fixed(users, torch.einsum("k,kni->ni", torch.from_numpy(w).float(), stacked), split.n_users)
            scores.append(evaluate(fixed, split, "valid", ks=(10,)).per_user["ndcg@10"].mean())
        self.grid_scores_ = np.array(scores)
        self.weights_ = dict(zip(self.encoders, grid[int(np.argmax(scores))]))
        return self

    def score(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        w = torch.tensor([self.weights_[k] for k in self.encoders], dtype=torch.float32)
        return torch.einsum("k,kni->ni", w, _stacked_scores(self.encoders, users, stage))

    def user_vectors(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """The encoders' vectors, each L2-normalised and scaled by √w_k, concatenated: (len(users), Σ dims)."""
        parts = [F.normalize(e.user_vectors(users, stage), dim=1) * float(np.sqrt(self.weights_[k]))  # type: ignore[attr-defined]
                 for k, e in self.encoders.items()]
        return torch.cat(parts, 1)


class LateFusion(nn.Module):
    """u = [z; h; g] (concatenated encoder vectors), logits = MLP(u) over the catalogue.

    Trained on the train histories with the multinomial log-likelihood -Σ_{i ∈ train(u)} log softmax(logits)_i,
    early-stopped on validation NDCG@10. ``finetune=True`` trains copies of the encoders jointly with the head
    (encoder learning rate ``lr * encoder_lr_scale``); otherwise the encoders are frozen.
    """

    def __init__(self, encoders: dict[str, object], hidden: int = 256, dropout: float = 0.3, finetune: bool = False,
                 lr: float = 1e-3, encoder_lr_scale: float = 0.1, batch_size: int = 128, max_epochs: int = 100,
                 patience: int = 10, seed: int = 0, progress: bool = True) -> None:
        super().__init__()
        self.frozen_encoders, self.hidden, self.dropout, self.finetune = encoders, hidden, dropout, finetune
        self.lr, self.encoder_lr_scale, self.batch_size = lr, encoder_lr_scale, batch_size
        self.max_epochs, self.patience, self.seed, self.progress = max_epochs, patience, seed, progress

    def _features(self, users: np.ndarray, stage: str, grad: bool = False) -> torch.Tensor:
        return _concat_vectors(self.encoders_, users, stage, grad)

    def fit(self, split: Split) -> LateFusion:
        gen = seed_everything(self.seed)
        self.split_ = split
        self.encoders_ = ({k: _copy_encoder(e) for k, e in self.frozen_encoders.items()} if self.finetune
                          else self.frozen_encoders)
        if self.finetune:
            self.tuned = nn.ModuleList(self.encoders_.values())  # registered: saved and restored with the head
        users = np.flatnonzero(np.diff(split.train.indptr) > 0)
        dim = self._features(users[:2], "train").shape[1]
        self.head = nn.Sequential(nn.Dropout(self.dropout), nn.Linear(dim, self.hidden), nn.Tanh(),
                                  nn.Linear(self.hidden, split.n_items))
        groups = [{"params": self.head.parameters(), "lr": self.lr}]
        if self.finetune:
            groups.append({"params": self.tuned.parameters(), "lr": self.lr * self.encoder_lr_scale})
        opt = torch.optim.Adam(groups)
        fixed = None if self.finetune else self._features(users, "train")
        train = split.train

        def epoch_fn(_: int) -> float:
            total = 0.0
            for b in torch.randperm(len(users), generator=gen).split(self.batch_size):
                u = users[b.numpy()]
                feats = self._features(u, "train", grad=True) if fixed is None else fixed[b]
                x = _rows(train, u)
                loss = -(F.log_softmax(self.head(feats), 1) * x).sum() / x.sum()
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * len(b)
            return total / len(users)

        self.fit_: FitResult = fit_loop(self, epoch_fn, lambda: validation_score(self, split), self.max_epochs,
                                        self.patience, desc="late fusion" + (" (fine-tuned)" if self.finetune else ""),
                                        progress=self.progress)
        return self

    def user_vectors(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """The fused hidden layer tanh(W [z; h; g] + b), shape (len(users), hidden)."""
        with torch.no_grad():
            return self.head[:3](self._features(users, stage))

    def score(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        with torch.no_grad():
            return self.head(self._features(users, stage))


class GatedFusion(nn.Module):
    """Per-user gate over the encoders: w(u) = softmax(W [z; h; g] + b), score = τ Σ_k w_k(u) standardise(s_k).

    Fitted on a seeded 80% of the validation targets (cross-entropy of the target item), stopped on the other
    20% (held-out cross-entropy, ``patience`` epochs); full-batch Adam. :meth:`weights` shows which users lean on
    which encoder.
    """

    def __init__(self, encoders: dict[str, object], lr: float = 1e-2, weight_decay: float = 1e-3,
                 max_epochs: int = 500, patience: int = 20, holdout: float = 0.2, seed: int = 0) -> None:
        super().__init__()
        self.encoders, self.lr, self.weight_decay = encoders, lr, weight_decay
        self.max_epochs, self.patience, self.holdout, self.seed = max_epochs, patience, holdout, seed

    def fit(self, split: Split) -> GatedFusion:
        gen = seed_everything(self.seed)
        self.split_ = split
        users, items = split.valid_users, torch.from_numpy(split.valid_items)
        feats = _concat_vectors(self.encoders, users, "valid")
        self.mean_, self.std_ = feats.mean(0), feats.std(0).clamp_min(1e-6)
        feats = (feats - self.mean_) / self.std_
        stacked = _stacked_scores(self.encoders, users, "valid")
        mask = split.mask("valid")[users]  # history is never the answer: as at ranking time
        stacked[:, torch.from_numpy(mask.nonzero()[0]), torch.from_numpy(mask.nonzero()[1])] = -1e4
        self.gate = nn.Linear(feats.shape[1], len(self.encoders))
        nn.init.zeros_(self.gate.weight)
        nn.init.zeros_(self.gate.bias)
        self.log_tau = nn.Parameter(torch.zeros(()))
        perm = torch.randperm(len(users), generator=gen)
        n_hold = max(1, int(self.holdout * len(users)))
        hold, fit = perm[:n_hold], perm[n_hold:]
        opt = torch.optim.Adam(self.parameters(), lr=self.lr, weight_decay=self.weight_decay)

        def loss_on(idx: torch.Tensor) -> torch.Tensor:
            w = torch.softmax(self.gate(feats[idx]), 1)  # (n, K)
            mixed = torch.einsum("nk,kni->ni", w, stacked[:, idx]) * self.log_tau.exp()
            return F.cross_entropy(mixed, items[idx])

        best, best_state, bad, rows = float("inf"), copy.deepcopy(self.state_dict()), 0, []
        for epoch in range(1, self.max_epochs + 1):
            self.train()
            loss = loss_on(fit)
            opt.zero_grad()
            loss.backward()
            opt.step()
            self.eval()
            with torch.no_grad():
                held = float(loss_on(hold))
            rows.append({"epoch": epoch, "loss": loss.item(), "held-out loss": held})
            if held < best - 1e-5:
                best, best_state, bad = held, copy.deepcopy(self.state_dict()), 0
            else:
                bad += 1
                if bad >= self.patience:
                    break
        self.load_state_dict(best_state)
        self.fit_ = FitResult(best_epoch=int(np.argmin([r["held-out loss"] for r in rows])) + 1, best_score=-best,
                              history=pd.DataFrame(rows))
        return self

    def weights(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """Gate weights per user, shape (len(users), n_encoders), rows sum to 1."""
        with torch.no_grad():
            feats = (_concat_vectors(self.encoders, users, stage) - self.mean_) / self.std_
            return torch.softmax(self.gate(feats), 1)

    def score(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        w = self.weights(users, stage)
        return torch.einsum("nk,kni->ni", w, _stacked_scores(self.encoders, users, stage))

    def user_vectors(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """Each encoder's L2-normalised vector scaled by its gate weight, concatenated: (len(users), Σ dims)."""
        w = self.weights(users, stage)
        parts = [F.normalize(e.user_vectors(users, stage), dim=1) * w[:, [k]]  # type: ignore[attr-defined]
                 for k, e in enumerate(self.encoders.values())]
        return torch.cat(parts, 1)


class CascadeFusion(nn.Module):
    """The article's cascade (section 4.2), trained end to end.

    1. z_t = μ(x_{≤t}): the autoencoder's latent of the history up to step t. The first encoder layer is
       linear in the multi-hot x, so W_1 x_{≤t} / ||x_{≤t}|| is a running sum of the item columns of W_1
       divided by √t (exact for distinct items; a repeated item counts again): all prefixes in one cumsum.
       Initialised from the fitted ``ae`` (a :class:`~recnb.models.autoencoder.MultVAE`), then trained on.
       (Starting the graph part from the fitted LightGCN as well was tried on ML-100K: validation peaks after
       1-3 epochs and test NDCG@10 ends below LightGCN alone, .072 against .076, so the graph starts fresh.)
    2. h_t = tanh(W_h h_{t-1} + W_x x_t + b_h + W_θ z_t), x_t = e(item_t) + e(event_t): the article's cell
       (:class:`~recnb.models.sequence.VanillaRNN`) with the latent term, over the last ``max_len`` events.
    3. E^{(l+1)} = Â E^{(l)} + [W_θ' h_T ; 0]: LightGCN propagation over the user-item graph with the user's
       last state added to their node at every layer (the article's b_i + W_θ' h_t; W and σ dropped as in
       LightGCN, which ranks better in notebook 05); e = mean of the layers.

    Budget: the last ``max_len`` = 30 events, batches of 64 users. On ML-100K (one seed) that trains in 23 s
    to test NDCG@10 .075; 50 events in batches of 128 took 87 s for .080, and 20 events gave .069.

    Loss: the multinomial likelihood of the user's train items under e_u · e_i (the graph's objective) plus
    the RNN's next-item cross-entropy at every position (keeps h_t about order). Within a step, the states of
    users outside the batch come from a cache refreshed as batches pass (detached), so one step costs one
    batch of sequences and one propagation. ``user_vectors`` = e_u.
    """

    def __init__(self, ae: MultVAE, dim: int = 64, layers: int = 2, max_len: int = 30, lr: float = 3e-3,
                 user_batch: int = 64, max_epochs: int = 100, patience: int = 10, seed: int = 0,
                 progress: bool = True) -> None:
        super().__init__()
        self.ae, self.dim, self.layers, self.max_len, self.lr = ae, dim, layers, max_len, lr
        self.user_batch, self.max_epochs, self.patience, self.seed, self.progress = (
            user_batch, max_epochs, patience, seed, progress)

    def _build(self, split: Split) -> None:
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
        self.convs = nn.ModuleList(_FastLGConv(normalize=False) for _ in range(self.layers))

    def _prefix_latents(self, items: torch.Tensor) -> torch.Tensor:
        """z_t for every prefix of left-padded ``items`` (batch, time) (0 = padding): (batch, time, latent)."""
        lin1, act, lin2 = self.ae_encoder
        valid = (items > 0).unsqueeze(-1).float()
        cols = lin1.weight.T[(items - 1).clamp_min(0)] * valid  # (B, T, hidden)
        count = valid.cumsum(1).clamp_min(1.0)
        hidden = act(cols.cumsum(1) / count.sqrt() + lin1.bias)
        return F.linear(hidden, lin2.weight[: self.latent], lin2.bias[: self.latent])  # μ only: no log σ²

    def _states(self, items: torch.Tensor, events: torch.Tensor) -> torch.Tensor:
        """h_t for left-padded inputs (batch, time): (batch, time, dim)."""
        x = self.item(items) + self.event(events)
        return self.rnn(x, extra=self.W_theta(self._prefix_latents(items)))

    def _last_states(self, stage: str, chunk: int = 1024) -> torch.Tensor:
        """h_T of every user at ``stage`` (no gradient), shape (n_users, dim)."""
        seq = self.split_.sequences(stage)
        out = []
        with torch.no_grad():
            for lo in range(0, self.split_.n_users, chunk):
                users = np.arange(lo, min(lo + chunk, self.split_.n_users))
                items, events, _ = (torch.from_numpy(a) for a in pad_last(seq, users, self.max_len))
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

    def _adjacency(self, stage: str) -> torch.Tensor:
        key = "valid" if stage in ("train", "valid") else "test"
        cache = self.__dict__.setdefault("_adj", {})
        if key not in cache:
            cache[key] = normalized_adjacency(self.split_.history(key))
        return cache[key]

    def fit(self, split: Split) -> CascadeFusion:
        gen = seed_everything(self.seed)
        self.split_ = split
        self.__dict__.pop("_adj", None)
        self._build(split)
        adj = self._adjacency("train")
        seq = split.sequences("train")
        users = np.flatnonzero(seq.lengths() >= 2)
        items, events, _ = (torch.from_numpy(a) for a in pad_last(seq, users, self.max_len, extra=1))
        train = split.train
        opt = torch.optim.Adam(self.parameters(), lr=self.lr)
        n_users = split.n_users

        cache = self._last_states("train")

        def epoch_fn(_: int) -> float:
            total = 0.0
            for b in torch.randperm(len(users), generator=gen).split(self.user_batch):
                u = torch.from_numpy(users[b.numpy()])
                h = self._states(items[b], events[b])  # (B, T+1, dim)
                target = items[b, 1:] - 1
                keep = target >= 0
                seq_loss = F.cross_entropy(h[:, :-1][keep] @ self.item.weight[1:].T + self.out_bias, target[keep])
                h_last = cache.index_put((u,), h[:, -1])
                emb = self._propagate(adj, h_last)
                x = _rows(train, u.numpy())
                graph_loss = -(F.log_softmax(emb[u] @ emb[n_users:].T, 1) * x).sum() / x.sum()
                loss = graph_loss + seq_loss
                opt.zero_grad()
                loss.backward()
                opt.step()
                cache[u] = h[:, -1].detach()  # refreshed as batches pass
                total += loss.item() * len(b)
            return total / len(users)

        self.fit_: FitResult = fit_loop(self, epoch_fn, lambda: validation_score(self, split), self.max_epochs,
                                        self.patience, desc="cascade", progress=self.progress)
        return self

    def embeddings(self, stage: str = "test") -> tuple[torch.Tensor, torch.Tensor]:
        """Final (user, item) embeddings at ``stage``: (n_users, dim), (n_items, dim)."""
        with torch.no_grad():
            emb = self._propagate(self._adjacency(stage), self._last_states(stage))
        return emb[: self.split_.n_users], emb[self.split_.n_users:]

    def user_vectors(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """e_u: the fused user vector of the cascade, shape (len(users), dim)."""
        return self.embeddings(stage)[0][torch.as_tensor(np.asarray(users))]

    def score(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        u, i = self.embeddings(stage)
        return u[torch.as_tensor(np.asarray(users))] @ i.T


def fusion_variants(encoders: dict[str, nn.Module], epochs: int = 100, seed: int = 0, pairs: bool = True,
                    finetune: bool = True, cascade: bool = True, max_len: int = 30, cascade_batch: int = 64,
                    progress: bool = True) -> dict[str, object]:
    """Unfitted fusion models over fitted ``encoders``: ``ensemble``, ``gated``, ``late`` (frozen),
    ``late-ft`` (fine-tuned; patience 5) and ``cascade`` over all three (its RNN reads the last ``max_len``
    events, ``cascade_batch`` users a step), and with ``pairs`` the ensemble and the gate over every pair, named
    like ``gated(ae+seq)`` (the two fusions that reuse the encoders' scores as they are; a late fusion per pair
    would train three more decoders per seed)."""
    out: dict[str, object] = {"ensemble": ScoreEnsemble(encoders), "gated": GatedFusion(encoders, seed=seed),
                              "late": LateFusion(encoders, max_epochs=epochs, seed=seed, progress=progress)}
    if finetune:
        out["late-ft"] = LateFusion(encoders, finetune=True, max_epochs=epochs, patience=5, seed=seed,
                                    progress=progress)
    if cascade:
        out["cascade"] = CascadeFusion(encoders["ae"], max_len=max_len, user_batch=cascade_batch, max_epochs=epochs,
                                       patience=10, seed=seed, progress=progress)
    for keys in itertools.combinations(encoders, 2) if pairs else []:
        sub = {k: encoders[k] for k in keys}
        out[f"ensemble({'+'.join(keys)})"] = ScoreEnsemble(sub)
        out[f"gated({'+'.join(keys)})"] = GatedFusion(sub, seed=seed)
    return out


__all__ = ["fit_encoders", "fusion_variants", "CascadeFusion", "ScoreEnsemble", "LateFusion", "GatedFusion", "standardise", "simplex_grid"]
