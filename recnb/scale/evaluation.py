"""Full-ranking evaluation under a stated memory cap.

:func:`recnb.evaluate.ranking.evaluate` already scores users in batches (``batch_size`` users at a time,
one tensor operation per batch), so a 1M-user x 1M-item score matrix never exists: only ``batch_size x
n_items`` at once. Per score cell one batch holds at most :data:`BYTES_PER_CELL` bytes: the model's float32
scores (4), evaluate's float32 working copy that gets the history mask (4), and the two boolean comparisons
with the target score (1 + 1), rounded up to 12 for the small per-row extras (top-K, targets). A model's
own intermediate tensors (a sequence encoder's states, batch x dim) are not counted.
:func:`batch_for_cap` turns a cap in bytes into that batch size; :func:`evaluate_capped` uses it.
"""

from __future__ import annotations

import numpy as np

from ..data.split import Split
from ..evaluate.ranking import KS, Evaluation, Scorer, evaluate

BYTES_PER_CELL = 12
"""Bytes per (user, item) score cell held by one evaluation batch (see the module docstring)."""


def batch_for_cap(n_items: int, cap_bytes: int) -> int:
    """Users per batch so that ``batch x n_items x BYTES_PER_CELL <= cap_bytes`` (at least 1)."""
    if n_items <= 0 or cap_bytes <= 0:
        raise ValueError(f"n_items={n_items}, cap_bytes={cap_bytes}: expected both positive")
    return max(1, int(cap_bytes // (n_items * BYTES_PER_CELL)))


def evaluate_capped(model: Scorer, split: Split, stage: str = "test", cap_bytes: int = 2**30,
                    ks: tuple[int, ...] = KS, name: str | None = None, users: np.ndarray | None = None) -> Evaluation:
    """:func:`~recnb.evaluate.ranking.evaluate` with the user batch chosen from ``cap_bytes`` (default 1 GiB)
    for the score matrices of one batch."""
    return evaluate(model, split, stage, ks, name=name, batch_size=batch_for_cap(split.n_items, cap_bytes),
                    users=users)
