"""Floating-point operations of one training epoch, counted from the architecture, and the GEMM floor.

A dense layer of ``n_in -> n_out`` applied to one row costs ``2 n_in n_out`` FLOP forward; the backward
pass costs about twice the forward (gradients of the inputs and of the weights), so an epoch is
``3 x forward``. Embedding look-ups, element-wise work, layer norms and the softmax itself are left out:
they are a few FLOP per element against the ``d`` or ``n_items`` per element of the products. The counts
are what an epoch *must* do; :func:`gemm_flops_per_second` measures how fast this machine does dense fp32
matrix products of the epoch's shape, and ``epoch seconds / (FLOP / that rate)`` says how far an
implementation is from that floor (``python -m recnb bench`` prints it).

* SASRec (Kang & McAuley, ICDM 2018), per position and layer: Q, K, V and output projections 4 x 2d²,
  feed-forward d -> 4d -> d 16d², attention scores QKᵀ and the weighted sum AV 2 x 2Td (T = ``max_len``);
  every position of every padded training sequence is computed. The full-softmax logits cost
  2 d n_items per target position (padding excluded).
* GRU (Hidasi et al., ICLR 2016), per position and layer: input and hidden products of three gates,
  2 x 3 x 2d² = 12d²; the same logits.
* LightGCN (He et al., SIGIR 2020) with the full-softmax loss batched by users: every batch propagates the
  whole graph, L sparse products of 2 nnz(Â) d FLOP each, and scores its users against every item,
  2 d n_items per user.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import torch

from .data.split import Split


def _sequence_positions(split: Split, max_len: int) -> tuple[int, int]:
    """(padded positions computed, target positions) of a sequence model's training epoch: every user with
    at least two train events is one sequence of ``max_len`` positions; its targets are the next events
    of the last ``max_len`` (fewer for shorter histories)."""
    lengths = split.sequences("train").lengths()
    lengths = lengths[lengths >= 2]
    return len(lengths) * max_len, int(np.minimum(lengths - 1, max_len).sum())


def sasrec_epoch_flops(split: Split, dim: int = 64, max_len: int = 50, layers: int = 1) -> float:
    """FLOP of one SASRec full-softmax training epoch (forward + backward = 3 x forward)."""
    positions, targets = _sequence_positions(split, max_len)
    encoder = positions * layers * (24 * dim * dim + 4 * max_len * dim)
    return 3.0 * (encoder + targets * 2 * dim * split.n_items)


def gru_epoch_flops(split: Split, dim: int = 64, max_len: int = 50, layers: int = 1) -> float:
    """FLOP of one GRU4Rec-style full-softmax training epoch (forward + backward = 3 x forward)."""
    positions, targets = _sequence_positions(split, max_len)
    return 3.0 * (positions * layers * 12 * dim * dim + targets * 2 * dim * split.n_items)


def lightgcn_epoch_flops(split: Split, dim: int = 64, layers: int = 2, user_batch: int = 64) -> float:
    """FLOP of one LightGCN full-softmax training epoch batched by ``user_batch`` users (3 x forward)."""
    nnz = 2 * int((split.train > 0).sum())  # Â holds R and Rᵀ
    active = int((np.diff(split.train.indptr) > 0).sum())
    batches = -(-active // user_batch)
    return 3.0 * (batches * layers * 2 * nnz * dim + active * 2 * dim * split.n_items)


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
    from .models.softmax import _block_rows

    block = min(m, _block_rows(n, 4))
    rates = {rows: gemm_flops_per_second(rows, k, n, device) for rows in dict.fromkeys((m, block))}
    rows = max(rates, key=rates.__getitem__)
    return rates[rows], rows


__all__ = ["sasrec_epoch_flops", "gru_epoch_flops", "lightgcn_epoch_flops", "gemm_flops_per_second", "floor_gemm_rate"]
