"""Sequence encoders: the article's section 4.1.2, h_t = σ(W_h h_{t-1} + W_x x_t + b_h), and its successors.

One next-item model with interchangeable cells:

* ``rnn``: :class:`VanillaRNNCell`, the equation exactly as written (σ = tanh), unrolled in time;
* ``gru``: GRU4Rec-style (Hidasi et al., ICLR 2016) with ``torch.nn.GRU``;
* ``lstm``: ``torch.nn.LSTM`` (Hochreiter & Schmidhuber 1997);
* ``sasrec``: a SASRec-style causal transformer (Kang & McAuley, ICDM 2018), the "large model" comparator.

The input at step t is x_t = e(item_t) + e(event type_t) + e(bucket of the time gap since the previous
action) (each part can be switched off). Training is next-item prediction with full-softmax cross-entropy
over the whole catalogue at every position (Klenitskiy & Vasilev, RecSys 2023), padding masked in batch.
:meth:`SequenceRecommender.vectors` is the state after the user's last event (the "temporal feature" the
fusion notebook consumes); :meth:`SequenceRecommender.decode` scores items by its dot products with the
output item embeddings (the :class:`~recnb.models.base.Recommender` contract).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .. import env
from ..data.split import Sequences, Split
from ..train import DataParallel, FitResult, Trainer
from .base import Recommender
from .dropout import Dropout, uniform_dropouts
from .softmax import softmax_cross_entropy

N_GAP_BUCKETS = 33  # 0: unknown / first event; 1..32: floor(log2(seconds + 1)) + 1, capped


def gap_buckets(gaps: np.ndarray) -> np.ndarray:
    """Log2 buckets of time gaps in seconds (NaN -> 0), shape as ``gaps``."""
    out = np.zeros(gaps.shape, dtype=np.int64)
    ok = ~np.isnan(gaps)
    out[ok] = np.minimum(np.floor(np.log2(np.maximum(gaps[ok], 0) + 1)).astype(np.int64) + 1, N_GAP_BUCKETS - 1)
    return out


def pad_last(seq: Sequences, users: np.ndarray, length: int, extra: int = 0) -> tuple[np.ndarray, ...]:
    """The last ``length + extra`` events of each user's sequence, left-padded, without a Python loop.

    Returns ``(items + 1, events + 1, gap buckets)`` each of shape (len(users), length + extra); 0 is padding
    (item and event indices are shifted by one so that 0 is free).
    """
    width = length + extra
    start, end = seq.offsets[users], seq.offsets[users + 1]
    idx = end[:, None] - width + np.arange(width)[None, :]
    valid = idx >= start[:, None]
    idx = np.where(valid, idx, 0)
    items = np.where(valid, seq.items[idx] + 1, 0)
    events = np.where(valid, seq.events[idx].astype(np.int64) + 1, 0)
    gaps = np.where(valid, gap_buckets(seq.gaps[idx]), 0)
    return items, events, gaps


class VanillaRNNCell(nn.Module):
    """h_t = tanh(W_h h_{t-1} + W_x x_t + b_h): the article's equation (4.1.2) as written, one bias.

    Shapes: x (batch, input), h (batch, hidden) -> (batch, hidden). Equal to ``torch.nn.RNN`` (tanh) with
    W_ih = W_x, W_hh = W_h and b_ih + b_hh = b_h (tested).
    """

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.W_x = nn.Linear(input_size, hidden_size, bias=False)
        self.W_h = nn.Linear(hidden_size, hidden_size, bias=False)
        self.b_h = nn.Parameter(torch.zeros(hidden_size))
        bound = hidden_size ** -0.5
        for w in (self.W_x.weight, self.W_h.weight, self.b_h):
            nn.init.uniform_(w, -bound, bound)

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.W_h(h) + self.W_x(x) + self.b_h)


class VanillaRNN(nn.Module):
    """:class:`VanillaRNNCell` unrolled over a batch of sequences (batch, time, input) -> (batch, time, hidden).

    The input projection W_x x_t + b_h (+ ``extra``) is computed for all steps at once; the recurrence
    h_t = tanh(W_h h_{t-1} + proj_t) then runs in torch's fused RNN kernel (``torch.rnn_tanh``) with the identity
    as its fixed input weight: the same numbers as a Python loop over time (tested) without a loop.
    """

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.cell = VanillaRNNCell(input_size, hidden_size)

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None,
                extra: torch.Tensor | None = None) -> torch.Tensor:
        """``extra`` (batch, time, hidden), when given, is added inside σ at every step (the fusion
        cascade's W_θ z_t term)."""
        c = self.cell
        proj = c.W_x(x) + c.b_h
        if extra is not None:
            proj = proj + extra
        hidden = c.W_h.weight.shape[0]
        h = h0 if h0 is not None else x.new_zeros(x.shape[0], hidden)
        eye = torch.eye(hidden, dtype=proj.dtype, device=proj.device)  # W_ih = I: the input is proj itself
        out, _ = torch.rnn_tanh(proj, h.unsqueeze(0), [eye, c.W_h.weight], False, 1, 0.0, self.training, False, True)
        return out


def attention_mask(pad: torch.Tensor, heads: int) -> torch.Tensor:
    """SASRec's attention mask for left-padded inputs: ``pad`` (batch, time) is True at padding; returns the
    (batch * heads, time, time) boolean mask, True where attention is blocked: later positions (causal) and
    padded keys, except that every position may attend to itself. Without that exception a padded position
    has no key left: its softmax is NaN, and PyTorch's inference path spreads the NaN to the real positions,
    so a user with a history shorter than ``max_len`` would be scored from a different state than the one
    training saw."""
    t = pad.shape[1]
    causal = torch.triu(torch.ones(t, t, dtype=torch.bool, device=pad.device), 1)
    eye = torch.eye(t, dtype=torch.bool, device=pad.device)
    return ((causal[None] | pad[:, None, :]) & ~eye[None]).repeat_interleave(heads, 0)


class SequenceEncoder(nn.Module):
    def __init__(self, cell: str, n_items: int, dim: int, max_len: int, layers: int, heads: int,
                 dropout: float, use_event: bool, use_gap: bool) -> None:
        super().__init__()
        self.cell, self.use_event, self.use_gap, self.heads = cell, use_event, use_gap, heads
        self.item = nn.Embedding(n_items + 1, dim, padding_idx=0)
        self.event = nn.Embedding(8, dim, padding_idx=0)
        self.gap = nn.Embedding(N_GAP_BUCKETS, dim, padding_idx=0)
        self.drop = Dropout(dropout)
        for emb in (self.item, self.event, self.gap):  # small logits at start: loss begins near log(n_items)
            nn.init.normal_(emb.weight, std=dim ** -0.5)
            emb.weight.data[0] = 0.0
        if cell == "rnn":
            self.net: nn.Module = VanillaRNN(dim, dim)
        elif cell == "gru":
            self.net = nn.GRU(dim, dim, batch_first=True, num_layers=layers)
        elif cell == "lstm":
            self.net = nn.LSTM(dim, dim, batch_first=True, num_layers=layers)
        elif cell == "sasrec":
            self.pos = nn.Embedding(max_len, dim)
            layer = nn.TransformerEncoderLayer(dim, heads, 4 * dim, dropout, batch_first=True, norm_first=True)
            self.net = uniform_dropouts(nn.TransformerEncoder(layer, layers, enable_nested_tensor=False))
            self.norm = nn.LayerNorm(dim)
        else:
            raise ValueError(f"cell {cell!r}: expected rnn, gru, lstm or sasrec")

    def forward(self, items: torch.Tensor, events: torch.Tensor, gaps: torch.Tensor) -> torch.Tensor:
        """States (batch, time, dim) for left-padded inputs (batch, time)."""
        x = self.item(items)
        if self.use_event:
            x = x + self.event(events)
        if self.use_gap:
            x = x + self.gap(gaps)
        if self.cell == "sasrec":
            t = items.shape[1]
            x = x + self.pos(torch.arange(t, device=items.device))[None]
            h = self.net(self.drop(x), mask=attention_mask(items == 0, self.heads))
            return self.norm(h)
        out = self.net(self.drop(x))
        return out[0] if isinstance(out, tuple) else out


class SequenceRecommender(Recommender):
    """Next-item recommender over time-ordered histories (see the module docstring).

    Args:
        cell: ``rnn``, ``gru``, ``lstm`` or ``sasrec``.
        dim: embedding and state size; ``max_len``: events of history used (the most recent).
        use_event, use_gap: include the event-type and time-gap embeddings (ablations).
        lr: Adam step size; default 3e-3 for the vanilla ``rnn`` and 1e-2 for the others, chosen on ML-100K
            validation NDCG@10 among 3e-3, 5e-3 and 1e-2: with 3e-3 SASRec was still far from its best after
            30 epochs; GRU and LSTM reach the same validation score with 1e-2 in about half the epochs; the
            vanilla RNN scores lower with the larger steps.
        user_fraction: train on this seeded share of the users' train sequences (the data-size axis of a
            scaling study); every user is still scored from their own history. ``train_users_`` records
            the users trained on.
    """

    parallel: DataParallel | None = None
    """This process's place in a data-parallel run (set by :mod:`recnb.scale.distributed`), or None."""

    def __init__(self, cell: str = "gru", dim: int = 64, max_len: int = 50, layers: int = 1, heads: int = 2,
                 dropout: float = 0.2, lr: float | None = None, batch_size: int = 128, max_epochs: int = 100,
                 patience: int = 10, use_event: bool = True, use_gap: bool = True, seed: int = 0,
                 progress: bool = True, user_fraction: float = 1.0) -> None:
        super().__init__()
        self.cell, self.dim, self.max_len, self.layers, self.heads = cell, dim, max_len, layers, heads
        self.dropout, self.batch_size = dropout, batch_size
        self.lr = lr if lr is not None else (3e-3 if cell == "rnn" else 1e-2)
        self.max_epochs, self.patience, self.use_event, self.use_gap = max_epochs, patience, use_event, use_gap
        self.seed, self.progress, self.user_fraction = seed, progress, user_fraction

    def build(self, split: Split) -> None:
        """The layers for ``split`` (the encoder of :meth:`_make_encoder` and the per-item bias), initialised from
        torch's global generator on the CPU; ``split_`` is set. :meth:`fit` starts with it."""
        self.split_ = split
        self.encoder = self._make_encoder(split)
        self.out_bias = nn.Parameter(torch.zeros(split.n_items)) if self.per_item_bias else None

    def fit(self, split: Split) -> SequenceRecommender:
        trainer = Trainer(self.seed, self.parallel)
        self.build(split)
        dev = env.device()
        self.to(dev)  # parameters are initialised on the CPU (same values on every device), then moved
        seq = split.sequences("train")
        users = np.flatnonzero(seq.lengths() >= 2)
        if self.user_fraction < 1.0:
            keep = np.random.default_rng(self.seed).random(len(users)) < self.user_fraction
            users = users[keep]
        self.train_users_ = users
        items, events, gaps = (torch.from_numpy(a).to(dev) for a in pad_last(seq, users, self.max_len, extra=1))

        def batches() -> Iterator[tuple[torch.Tensor, ...]]:
            for b in trainer.order(len(users), self.batch_size):
                b = b.to(dev)
                yield items[b, :-1], events[b, :-1], gaps[b, :-1], items[b, 1:]

        self.fit_: FitResult = trainer.fit(self, batches, split, lr=self.lr, max_epochs=self.max_epochs,
                                           patience=self.patience, desc=self.cell.upper(), progress=self.progress)
        return self

    def batch_loss(self, items: torch.Tensor, events: torch.Tensor, gaps: torch.Tensor,
                   following: torch.Tensor) -> tuple[torch.Tensor, int]:
        """Mean next-item cross-entropy of a batch and the number of predicted positions.

        Inputs (batch, time) left-padded as :func:`pad_last` (``following``: the item after each position,
        shifted by one, 0 where padded)."""
        h = self.encoder(items, events, gaps)
        target = following - 1  # next item at every position; -1 where padded
        keep = target >= 0
        loss = softmax_cross_entropy(h[keep], self.encoder.item.weight[1:], self.output_bias(), target[keep])
        return loss, int(keep.sum())

    per_item_bias = True
    """Whether :meth:`fit` creates ``out_bias``, one learned bias per item (a subclass without per-item
    parameters sets it False)."""

    def output_bias(self) -> torch.Tensor | None:
        """The per-item bias b of the logits z = h Eᵀ + b, shape (n_items,), or None: the one definition
        that training (:meth:`batch_loss`) and scoring (:meth:`item_logits`) both read, so the model scored
        is the model trained."""
        return self.out_bias

    def _make_encoder(self, split: Split) -> nn.Module:
        """The encoder built at the start of :meth:`fit` (a hook: subclasses may swap its ``item`` table)."""
        return SequenceEncoder(self.cell, split.n_items, self.dim, self.max_len, self.layers, self.heads, self.dropout,
                        self.use_event, self.use_gap)

    def item_logits(self, h: torch.Tensor) -> torch.Tensor:
        """Next-item logits of states ``h`` (batch, dim): dot products with the item table (the input
        embeddings, tied) plus a per-item bias; shape (batch, n_items)."""
        bias, table = self.output_bias(), self.encoder.item.weight[1:]
        return h @ table.T if bias is None else torch.addmm(bias, h, table.T)  # the bias fused into the product

    def vectors(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """Differentiable state after the user's last history event at ``stage``, shape (len(users), dim)."""
        seq = self.split_.sequences(stage)
        dev = self.device
        items, events, gaps = (torch.from_numpy(a).to(dev) for a in pad_last(seq, np.asarray(users), self.max_len))
        return self.encoder(items, events, gaps)[:, -1]

    def decode(self, vectors: torch.Tensor, stage: str = "test") -> torch.Tensor:
        """Next-item logits (:meth:`item_logits`), shape (n, n_items)."""
        return self.item_logits(vectors)

    def target_loss(self, split: Split, stage: str = "valid") -> float:
        """Mean full-softmax cross-entropy of the ``stage`` targets given the history (nats)."""
        users, items = split.target(stage)
        with torch.no_grad():
            logits = self.score(users, stage)
            return float(F.cross_entropy(logits, torch.from_numpy(items).to(logits.device)).item())

    def prefix_scores(self, user: int, lengths: list[int], stage: str = "test") -> torch.Tensor:
        """Next-item logits after only the first ``n`` history events of ``user``, for each ``n`` in
        ``lengths``: shape (len(lengths), n_items), on the CPU. Shows how the state moves as the history grows."""
        seq = self.split_.sequences(stage)
        lo = seq.offsets[user]
        parts = [pad_last(Sequences(seq.items, seq.events, seq.gaps,
                                    np.array([lo, lo + min(n, seq.offsets[user + 1] - lo)])), np.array([0]), self.max_len)
                 for n in lengths]  # a handful of prefixes of one user: not a hot path
        with torch.no_grad():
            h = self.encoder(*(torch.from_numpy(np.concatenate(a)).to(self.device) for a in zip(*parts)))[:, -1]
            return self.decode(h).cpu()
