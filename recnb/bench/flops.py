"""The one FLOP counter: training compute per epoch from the architecture, and the GEMM floor.

Compute is the x axis of the scaling plots (Kaplan et al. 2020, "Scaling Laws for Neural Language Models",
section 2.1; HSTU, Zhai et al., ICML 2024) and the numerator of ``python -m recnb bench``'s floor ratio.
Counted: the multiply-adds of every matrix product, 2 FLOPs each, for the positions the code computes
(the padded positions of a batch included). A training step costs three forward passes: the backward pass
computes two products per forward product (with respect to the input and to the weights). Embedding
look-ups, layer norms, softmaxes and biases are left out (lower order in d).

* SASRec (Kang & McAuley, ICDM 2018), per position and layer of width d with a 4d feed-forward: Q, K, V
  and output projections 4·d² multiply-adds, feed-forward 8·d², so ``24·d²`` FLOPs; attention scores
  Q·Kᵀ and the weighted sum of V over T = ``max_len`` positions ``4·T·d`` (the causal mask does not skip
  the masked half in PyTorch's kernels). Every position of every padded training sequence is computed.
* GRU (Hidasi et al., ICLR 2016), per position and layer: input and hidden products of three gates, 12·d².
* Both: full-softmax logits ``2·d·n_items`` per target position. The targets are those that
  :meth:`~recnb.models.sequence.SequenceRecommender.batch_loss` trains on: the window is the last
  ``max_len + 1`` events (:func:`~recnb.models.sequence.pad_last` with ``extra=1``) and every real
  following item is a target, so a history of ``n`` events gives ``min(n, max_len)`` targets (for
  ``n <= max_len`` the first target is predicted from the padded position before the first item).
* The generative model: :func:`generative_flops`.
* LightGCN (He et al., SIGIR 2020), full-softmax loss batched by users: every batch propagates the whole
  graph, L sparse products of ``2·nnz(Â)·d`` FLOPs, and scores its users against every item, 2·d·n_items per user.

:func:`gemm_flops_per_second` measures how fast this machine does dense fp32 products of an epoch's shape;
``epoch seconds / (FLOP / that rate)`` says how far an implementation is from that floor. The unit tests
check the formulas against ``torch.utils.flop_counter.FlopCounterMode`` (``tests/unit/test_flops.py``).
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import torch

from ..data.split import Split

TRAIN_FACTOR = 3
"""Training FLOPs per forward FLOP (forward + backward)."""


def layer_flops(dim: int, context: int) -> int:
    """Forward FLOPs of one pre-norm transformer layer (4·dim feed-forward) for one token attending to
    ``context`` positions: 24·d² + 4·context·d."""
    return 24 * dim * dim + 4 * context * dim


def training_positions(split: Split, max_len: int, users: np.ndarray | None = None) -> tuple[int, int]:
    """(sequences, target positions) of one epoch of the next-item models: every user with at least two
    train events is a sequence of ``max_len`` positions with ``min(n, max_len)`` targets (module docstring).
    ``users``: only these users' sequences (a model trained on a share of the users)."""
    lengths = split.sequences("train").lengths()
    if users is not None:
        lengths = lengths[np.asarray(users)]
    lengths = lengths[lengths >= 2]
    return len(lengths), int(np.minimum(lengths, max_len).sum())


def sasrec_flops(dim: int, layers: int, max_len: int, n_items: int, n_seq: int, n_targets: int) -> int:
    """Training FLOPs of one SASRec epoch: ``n_seq`` sequences of ``max_len`` positions through ``layers``
    layers, and full-softmax logits over ``n_items`` at ``n_targets`` positions."""
    forward = n_seq * max_len * layers * layer_flops(dim, max_len) + n_targets * 2 * dim * n_items
    return TRAIN_FACTOR * forward


def gru_flops(dim: int, layers: int, max_len: int, n_items: int, n_seq: int, n_targets: int) -> int:
    """Training FLOPs of one GRU epoch (the arguments of :func:`sasrec_flops`)."""
    return TRAIN_FACTOR * (n_seq * max_len * layers * 12 * dim * dim + n_targets * 2 * dim * n_items)


def generative_flops(dim: int, layers: int, decoder_layers: int, max_len: int, sizes: tuple[int, ...],
                     n_seq: int, n_targets: int) -> int:
    """Training FLOPs of one epoch of :class:`~recnb.models.generative.GenerativeRecommender`.

    Encoder: as SASRec without the item softmax. Decoder, per history position, ``C = len(sizes)`` tokens
    per layer: self-attention and feed-forward (8·d² + 16·d² + 4·C·d), cross-attention query and output
    (4·d²) and its scores over the T memory positions (4·T·d), plus the memory's keys and values (4·d² per
    memory position). Output: 2·d·sizes[j] per predicted position and level.
    """
    c, t = len(sizes), max_len
    encoder = n_seq * t * layers * layer_flops(dim, t)
    per_token = 24 * dim * dim + 4 * c * dim + 4 * dim * dim + 4 * t * dim
    decoder = n_seq * t * decoder_layers * (c * per_token + 4 * dim * dim)
    out = n_targets * 2 * dim * int(sum(sizes))
    return TRAIN_FACTOR * (encoder + decoder + out)


def lightgcn_flops(split: Split, dim: int = 64, layers: int = 2, user_batch: int = 64) -> int:
    """Training FLOPs of one LightGCN full-softmax epoch batched by ``user_batch`` users."""
    nnz = 2 * int((split.train > 0).sum())  # Â holds R and Rᵀ
    active = int((np.diff(split.train.indptr) > 0).sum())
    batches = -(-active // user_batch)
    return TRAIN_FACTOR * (batches * layers * 2 * nnz * dim + active * 2 * dim * split.n_items)


def model_flops(model: object, split: Split) -> int:
    """Training FLOPs per epoch on ``split`` of a fitted or configured SASRec, GRU, generative model or
    full-softmax LightGCN (a model fitted on a share of the users counts its ``train_users_``)."""
    from ..models.generative import GenerativeRecommender
    from ..models.graph import GraphRecommender
    from ..models.sequence import SequenceRecommender

    if isinstance(model, GraphRecommender) and model.conv == "lightgcn" and model.loss == "ce":
        return lightgcn_flops(split, model.dim, model.layers, model.user_batch)
    if isinstance(model, (GenerativeRecommender, SequenceRecommender)):
        n_seq, n_targets = training_positions(split, model.max_len, getattr(model, "train_users_", None))
        if isinstance(model, GenerativeRecommender):
            return generative_flops(model.dim, model.layers, model.decoder_layers, model.max_len, model.ids.sizes,
                                    n_seq, n_targets)
        if model.cell in ("sasrec", "gru"):
            count = sasrec_flops if model.cell == "sasrec" else gru_flops
            return count(model.dim, model.layers, model.max_len, split.n_items, n_seq, n_targets)
    raise TypeError(f"model_flops: no formula for {type(model).__name__}")


def gemm_flops_per_second(m: int, k: int, n: int, device: torch.device | str = "cpu", repeats: int = 7) -> float:
    """Measured fp32 rate of ``torch.matmul`` of (m, k) @ (k, n) on ``device``, FLOP per second (median of
    ``repeats`` after one warm-up; CUDA work is synchronised before each clock read)."""
    dev = torch.device(device)
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(m, k, generator=gen).to(dev)
    b = torch.randn(k, n, generator=gen).to(dev)

    def sync() -> None:
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)

    torch.matmul(a, b)
    sync()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        torch.matmul(a, b)
        sync()
        times.append(time.perf_counter() - t0)
    return 2.0 * m * k * n / statistics.median(times)


def floor_gemm_rate(m: int, k: int, n: int, device: torch.device | str = "cpu") -> tuple[float, int]:
    """The faster of two measured fp32 rates (FLOP per second) for logits of shape (m, n) from (m, k) @ (k, n):
    the whole product at once, and a block of the rows that :func:`recnb.models.softmax.softmax_cross_entropy`
    computes at a time (its output stays in the cache, so on a CPU it runs faster than the whole product,
    whose output goes to memory). Returns ``(rate, rows of the faster shape)``: the floor of a training epoch
    is its FLOP divided by this rate."""
    from ..models.softmax import block_rows

    block = min(m, block_rows(n, 4))
    rates = {rows: gemm_flops_per_second(rows, k, n, device) for rows in dict.fromkeys((m, block))}
    rows = max(rates, key=rates.__getitem__)
    return rates[rows], rows


__all__ = ["TRAIN_FACTOR", "floor_gemm_rate", "gemm_flops_per_second", "generative_flops", "gru_flops",
           "layer_flops", "lightgcn_flops", "model_flops", "sasrec_flops", "training_positions"]
