"""A generative recommender over semantic IDs (TIGER: Rajput et al., "Recommender Systems with Generative
Retrieval", NeurIPS 2023).

Items are code tuples (:mod:`recnb.models.semantic_ids`, C codes each: three quantisation levels and the
disambiguation code). The model reads a history and *writes* the next item's tuple, code by code:

* **Encoder**: one token per history item, the sum of the embeddings of its C codes (one table per level)
  plus a position embedding, through a causal pre-norm transformer (as SASRec, Kang & McAuley, ICDM 2018).
  TIGER's encoder reads one token per code and is bidirectional; one causal token per item keeps the
  sequences C times shorter and lets every position of a sequence be a training example at once.
* **Decoder**: C steps. Step j reads [BOS + h_t, c_1, ..., c_j] (h_t the encoder state of the history
  position t it predicts from; the code tables again, plus a step embedding), attends to itself causally
  and to the encoder states up to position t, and gives logits over the codebook of level j+1 (tied to
  that level's code table, plus a bias). Adding h_t to BOS gives the decoder the summary of the history
  directly, not only through cross-attention.
* **Training**: teacher forcing, the summed cross-entropy of the C codes of the next item at every history
  position, padding masked; :class:`recnb.train.Trainer` stops on validation NDCG@10 of the generated lists.
* **Generation** (:meth:`GenerativeRecommender.generate`): beam search of width ``beam`` restricted to valid
  code prefixes (a trie over the tuples that name an item: every other code has log-probability -inf), so
  every finished beam names an item. With ``exclude_seen`` every step also forbids the prefixes whose items
  are all masked for the user (seen, or not a candidate: :meth:`GenerativeRecommender.live_prefixes`), so no
  beam dies in a dead subtree and the list is ``beam`` items long whenever that many items are allowed.

**How the ranked list is made** (:meth:`GenerativeRecommender.score`): the finished beams sorted by their
summed log-probability; the beam at rank r (0-based) gets score ``1 + (beam - r) / beam``, every other item
the floor ``0``. An item outside the beams is therefore tied with all others outside them, and the study's
tie-aware metrics give it its expected rank among them: the model ranks only ``beam`` items. An item that
had no training interaction but has codes (from its text) can be generated like any other.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..evaluate.names import NDCG10
from ..data.split import Split
from ..evaluate.ranking import evaluate
from ..train import FitResult, Trainer
from .base import Fitted, multi_hot
from .dropout import uniform_dropouts
from .semantic_ids import SemanticIds
from .sequence import attention_mask, pad_last

NEG = -1e9  # attention logit of a masked position (finite, so a fully masked row gives no NaN)


def prefix_ids(codes: np.ndarray) -> np.ndarray:
    """The id of every item's code prefix of each length, shape (n_items, C): column j holds the id of the
    prefix of length j (column 0: the single root 0), numbered as :func:`build_trie` numbers them."""
    n, c = codes.shape
    out = np.zeros((n, c), dtype=np.int64)
    for j in range(1, c):
        _, inv = np.unique(codes[:, :j], axis=0, return_inverse=True)
        out[:, j] = inv.ravel()
    return out


def build_trie(codes: np.ndarray, sizes: tuple[int, ...]) -> list[torch.Tensor]:
    """The prefix trie of the code tuples as dense child tables.

    ``child[j]`` has shape (n_prefixes of length j, sizes[j]): the id of the prefix of length j+1 reached by
    appending code c to prefix p, -1 when no item has that prefix; at the last level the entry is the item
    index. Prefix ids of length 0: the single root 0 (ids of longer prefixes: :func:`prefix_ids`).
    """
    n, c = codes.shape
    prefix = prefix_ids(codes)
    tables = []
    for j in range(c):
        nxt = np.arange(n) if j == c - 1 else prefix[:, j + 1]
        table = np.full((int(prefix[:, j].max()) + 1, sizes[j]), -1, dtype=np.int64)
        table[prefix[:, j], codes[:, j]] = nxt
        tables.append(torch.from_numpy(table))
    return tables


def trim(items: torch.Tensor) -> int:
    """Leading columns of left-padded sequences (b, T) that are padding in every row: a batch of short
    histories need not compute them (the padded positions are masked keys and predict nothing, so the other
    positions' states are the same; the position embeddings keep their place through ``offset``)."""
    used = (items > 0).any(0)
    return int(used.int().argmax()) if bool(used.any()) else items.shape[1]


class _DecoderLayer(nn.Module):
    """Pre-norm decoder layer over groups of short code sequences: causal self-attention inside a group,
    cross-attention to per-sequence memory keys/values, feed-forward. x: (n, G, l, dim)."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.n1, self.n2, self.n3 = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.o1 = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.q, self.kv, self.o2 = nn.Linear(dim, dim), nn.Linear(dim, 2 * dim), nn.Linear(dim, dim)
        self.ff = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(4 * dim, dim))
        self.drop = nn.Dropout(dropout)

    def memory(self, mem: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Cross-attention keys and values of memory (n, T, dim): each (n, T, heads, dim/heads)."""
        n, t, d = mem.shape
        k, v = self.kv(mem).view(n, t, 2, self.heads, d // self.heads).unbind(2)
        return k, v

    def forward(self, x: torch.Tensor, k: torch.Tensor, v: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        """``allowed`` (n, G or 1, T) says which memory positions each group may attend to."""
        n, g, l, d = x.shape
        h, e = self.heads, d // self.heads
        q, kk, vv = self.qkv(self.n1(x)).view(n, g, l, 3, h, e).permute(3, 0, 1, 4, 2, 5)
        a = F.scaled_dot_product_attention(q, kk, vv, is_causal=True)  # (n, g, h, l, e)
        x = x + self.drop(self.o1(a.transpose(2, 3).reshape(n, g, l, d)))
        q = self.q(self.n2(x)).view(n, g, l, h, e)
        s = torch.einsum("nglhe,nthe->nghlt", q, k) / math.sqrt(e)
        s = s.masked_fill(~allowed[:, :, None, None, :], NEG)
        a = torch.einsum("nghlt,nthe->nglhe", torch.softmax(s, -1), v).reshape(n, g, l, d)
        x = x + self.drop(self.o2(a))
        return x + self.drop(self.ff(self.n3(x)))


class GenerativeRecommender(nn.Module, Fitted):
    """TIGER-style generative retrieval over semantic IDs (see the module docstring for how lists are made).

    Args:
        ids: the items' semantic IDs (their ``n_items`` must equal the split's).
        dim, heads: model width and attention heads; ``layers``: encoder layers; ``decoder_layers``.
        max_len: history items read (the most recent).
        beam: beam width = length of the generated list; ``exclude_seen``: forbid, at every step,
            the prefixes that lead only to masked items.
        valid_users: validate (early stopping) on this many seeded validation users (``None``: all).
        trie_softmax: each level's softmax runs over the codes that continue the prefix to an item, in
            training as in beam search (``False``: over the whole codebook, as a plain decoder; the
            model must then also learn which tuples exist, and on ML-100K it had not after many epochs).
    """

    def __init__(self, ids: SemanticIds, dim: int = 64, layers: int = 2, decoder_layers: int = 1, heads: int = 2,
                 max_len: int = 50, dropout: float = 0.2, lr: float = 1e-2, batch_size: int = 128,
                 max_epochs: int = 100, patience: int = 5, beam: int = 20, exclude_seen: bool = True,
                 valid_users: int | None = None, trie_softmax: bool = True, seed: int = 0,
                 progress: bool = True) -> None:
        super().__init__()
        self.ids, self.dim, self.layers, self.decoder_layers, self.heads = ids, dim, layers, decoder_layers, heads
        self.max_len, self.dropout, self.lr, self.batch_size = max_len, dropout, lr, batch_size
        self.max_epochs, self.patience, self.beam, self.exclude_seen = max_epochs, patience, beam, exclude_seen
        self.valid_users, self.trie_softmax, self.seed, self.progress = valid_users, trie_softmax, seed, progress

    # ----- network -------------------------------------------------------------------------------------
    def build(self) -> None:
        """The code tables, trie and layers, initialised from torch's global generator (:meth:`fit` starts with it)."""
        ids, d = self.ids, self.dim
        self.n_codes = len(ids.sizes)
        self.register_buffer("codes", torch.cat([torch.zeros(1, self.n_codes, dtype=torch.long),
                                                 torch.from_numpy(ids.codes)]), persistent=False)  # row 0: pad
        self.code_emb = nn.ModuleList(nn.Embedding(k, d) for k in ids.sizes)
        self.code_bias = nn.ParameterList(nn.Parameter(torch.zeros(k)) for k in ids.sizes)
        for emb in self.code_emb:
            nn.init.normal_(emb.weight, std=d ** -0.5)
        self.pos = nn.Embedding(self.max_len, d)
        self.bos = nn.Parameter(torch.zeros(d))
        self.step = nn.Embedding(self.n_codes, d)
        layer = nn.TransformerEncoderLayer(d, self.heads, 4 * d, self.dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, self.layers, enable_nested_tensor=False)
        self.enc_norm = nn.LayerNorm(d)
        self.decoder = nn.ModuleList(_DecoderLayer(d, self.heads, self.dropout) for _ in range(self.decoder_layers))
        self.dec_norm = nn.LayerNorm(d)
        self.drop = nn.Dropout(self.dropout)
        self.trie = build_trie(ids.codes, ids.sizes)
        # one bias per edge of the trie (prefix -> child): the biases along an item's path sum to a
        # per-item popularity term, as SASRec's per-item output bias
        self.edge_bias = nn.ParameterList(nn.Parameter(torch.zeros(t.shape)) for t in self.trie)
        self.register_buffer("prefixes", torch.cat([torch.zeros(1, self.n_codes, dtype=torch.long),
                                                    torch.from_numpy(prefix_ids(ids.codes))]), persistent=False)
        uniform_dropouts(self)  # the uniform-draw dropout of every recnb model (Bernoulli masks were a quarter of a step)

    def item_tokens(self, items: torch.Tensor) -> torch.Tensor:
        """Sum of the code embeddings of (item index + 1) tensors, 0 = padding -> zero; shape (..., dim)."""
        c = self.codes[items]
        x = sum(emb(c[..., j]) for j, emb in enumerate(self.code_emb))
        return x * (items > 0).unsqueeze(-1)

    def encode(self, items: torch.Tensor, offset: int = 0) -> torch.Tensor:
        """Causal encoder states (b, T, dim) of left-padded histories (b, T) of item index + 1 whose first
        column is position ``offset`` of the ``max_len`` window (see :func:`trim`)."""
        t = items.shape[1]
        x = self.item_tokens(items) + self.pos(torch.arange(offset, offset + t))[None]
        h = self.encoder(self.drop(x), mask=attention_mask(items == 0, self.heads))
        return self.enc_norm(h)

    def decoder_input(self, prefix: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        """[BOS + h, c_1 .. c_j] embedded, for prefixes (..., j) of codes and the encoder state h (..., dim)
        of the history position predicted from (broadcast over beams) -> (..., j + 1, dim)."""
        parts = [(self.bos + state).unsqueeze(-2).expand(*prefix.shape[:-1], 1, self.dim)]
        if prefix.shape[-1]:
            parts.append(torch.stack([self.code_emb[j](prefix[..., j]) for j in range(prefix.shape[-1])], -2))
        x = torch.cat(parts, -2)
        return x + self.step(torch.arange(x.shape[-2]))

    def run_decoder(self, x: torch.Tensor, memory: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        """Decoder states (n, G, l, dim) for inputs x (n, G, l, dim), memory (n, T, dim), allowed (n, G|1, T)."""
        for layer in self.decoder:
            k, v = layer.memory(memory)
            x = layer(x, k, v, allowed)
        return self.dec_norm(x)

    def level_logits(self, h: torch.Tensor, level: int, prefix: torch.Tensor | None = None) -> torch.Tensor:
        """Logits over the codebook of ``level`` from decoder states h (..., dim) -> (..., sizes[level]).

        With ``prefix`` (ids of the code prefixes of length ``level``, shape h.shape[:-1]) the bias of each
        trie edge (``edge_bias``) is added, and with ``trie_softmax`` codes that extend no prefix to an item
        get -inf: the softmax runs over the valid children only, so the product of the C conditionals is a
        distribution over the items."""
        logits = h @ self.code_emb[level].weight.T + self.code_bias[level]
        if prefix is None:
            return logits
        logits = logits + self.edge_bias[level][prefix]
        if not self.trie_softmax:
            return logits
        return logits.masked_fill(self.trie[level][prefix] < 0, float("-inf"))

    # ----- training --------------------------------------------------------------------------------------
    def batch_loss(self, items: torch.Tensor) -> tuple[torch.Tensor, int]:
        """Summed per-level cross-entropy of the next item's codes at every position of left-padded
        sequences (b, T + 1) of item index + 1; returns (mean loss over targets, number of targets)."""
        start = max(trim(items) - 1, 0)  # keep one padded column: it predicts the first item from nothing
        inp, nxt = items[:, start:-1], items[:, start + 1:]
        mem = self.encode(inp, start)
        t = inp.shape[1]
        keep = nxt > 0
        tgt = self.codes[nxt]  # (b, T, C)
        x = self.decoder_input(tgt[..., :-1], mem)  # (b, T, C, d)
        allowed = torch.tril(torch.ones(t, t, dtype=torch.bool))[None] & (inp > 0)[:, None, :]
        h = self.run_decoder(self.drop(x), mem, allowed)[keep]  # (n_keep, C, d)
        y, pre = tgt[keep], self.prefixes[nxt[keep]]
        loss = sum(F.cross_entropy(self.level_logits(h[:, j], j, pre[:, j]), y[:, j]) for j in range(self.n_codes))
        return loss, int(keep.sum())

    def fit(self, split: Split) -> GenerativeRecommender:
        if split.n_items != self.ids.n_items:
            raise ValueError(f"GenerativeRecommender: the semantic IDs cover {self.ids.n_items} items, "
                             f"the split has {split.n_items}")
        trainer = Trainer(self.seed)
        self.split_ = split
        self.build()
        seq = split.sequences("train")
        users = self.train_users_ = np.flatnonzero(seq.lengths() >= 2)
        items = torch.from_numpy(pad_last(seq, users, self.max_len, extra=1)[0])
        vu = split.target("valid")[0]
        if self.valid_users is not None and self.valid_users < len(vu):
            vu = np.sort(np.random.default_rng(self.seed).choice(vu, self.valid_users, replace=False))

        def batches() -> Iterator[tuple[torch.Tensor]]:
            return ((items[b],) for b in trainer.order(len(users), self.batch_size))

        def validate() -> float:
            return float(evaluate(self, split, "valid", ks=(10,), users=vu).per_user[NDCG10].mean())

        self.fit_: FitResult = trainer.fit(self, batches, validate, lr=self.lr, max_epochs=self.max_epochs,
                                           patience=self.patience, desc="TIGER", progress=self.progress, loss_name="code loss")
        return self

    # ----- generation ------------------------------------------------------------------------------------
    @torch.no_grad()
    def generate(self, users: np.ndarray, stage: str = "test", beam: int | None = None
                 ) -> tuple[torch.Tensor, torch.Tensor]:
        """Constrained beam search for ``users``: item indices (n, beam) best first (-1 where fewer valid
        items exist) and their summed log-probabilities (n, beam) (-inf for -1)."""
        beam = beam or self.beam
        users = np.asarray(users)
        items = torch.from_numpy(pad_last(self.split_.sequences(stage), users, self.max_len)[0])
        start = min(trim(items), items.shape[1] - 1)
        items = items[:, start:]
        n = len(users)
        mem = self.encode(items, start)
        allowed = (items > 0)[:, None, :]
        kv = [layer.memory(mem) for layer in self.decoder]
        live = self.live_prefixes(users, stage) if self.exclude_seen else None
        prefix = torch.zeros(n, 1, dtype=torch.long)
        codes = torch.zeros(n, 1, 0, dtype=torch.long)
        score = torch.zeros(n, 1)
        rows = torch.arange(n)[:, None]
        for j in range(self.n_codes):
            x = self.decoder_input(codes, mem[:, -1:].expand(n, codes.shape[1], -1))
            for layer, (k, v) in zip(self.decoder, kv):
                x = layer(x, k, v, allowed)
            h = self.dec_norm(x)[:, :, -1]  # (n, G, d)
            logp = torch.log_softmax(self.level_logits(h, j, prefix), -1)
            nxt = self.trie[j][prefix]  # (n, G, K)
            ok = nxt >= 0
            if live is not None:  # a prefix (or leaf) with no allowed item below it gets no beam
                ok &= live[j].gather(1, nxt.clamp(min=0).flatten(1)).view_as(nxt)
            cand = torch.where(ok, score[..., None] + logp, float("-inf")).flatten(1)
            top, idx = torch.topk(cand, min(beam, cand.shape[1]), dim=1)
            k_j = nxt.shape[-1]
            parent, code = idx // k_j, idx % k_j
            prefix = nxt.flatten(1).gather(1, idx)
            codes = torch.cat([codes[rows, parent], code[..., None]], -1)
            score = top
        prefix = torch.where(torch.isfinite(score), prefix, -1)
        return prefix, score

    def live_prefixes(self, users: np.ndarray, stage: str = "test") -> list[torch.Tensor]:
        """Which trie nodes still lead to an item the protocol lets ``users`` be shown at ``stage`` (not in
        the split's mask: not seen, and a candidate where the split restricts candidates).

        Returns one boolean tensor per level j: (len(users), prefixes of length j + 1) for j < C - 1, and
        (len(users), n_items) at the last level. Beam search allows a code at level j only where the node it
        reaches is live, so no beam is spent on a prefix whose leaves are all masked: every finished beam
        names an allowed item, and the list is ``beam`` long whenever that many allowed items exist."""
        allowed = ~multi_hot(self.split_.mask(stage), np.asarray(users)).bool()  # (n, n_items)
        weight = allowed.to(torch.float32)
        live = []
        for j in range(1, self.n_codes):
            col = self.prefixes[1:, j]  # each item's prefix of length j
            count = weight.new_zeros(len(weight), int(col.max()) + 1).index_add_(1, col, weight)
            live.append(count > 0)
        return [*live, allowed]

    def score(self, users: np.ndarray, stage: str = "test", batch_size: int = 512) -> torch.Tensor:
        """Scores (len(users), n_items) from the generated list: ``1 + (beam - r) / beam`` for the beam at
        rank r, 0 for every other item (see the module docstring)."""
        users = np.asarray(users)
        out = torch.zeros(len(users), self.split_.n_items)
        for b in range(0, len(users), batch_size):
            items, _ = self.generate(users[b:b + batch_size], stage)
            r = torch.arange(items.shape[1], dtype=torch.float32)
            val = (1 + (self.beam - r) / self.beam).expand_as(items)
            ok = items >= 0
            row = torch.arange(b, b + len(items))[:, None].expand_as(items)
            out[row[ok], items[ok]] = val[ok]
        return out


__all__ = ["GenerativeRecommender", "build_trie", "prefix_ids", "trim"]
