"""What the fusions share: per-user standardised scores, concatenated user vectors, weight grids."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np
import torch

from ... import env
from ..base import Fitted, Recommender


def standardise(scores: torch.Tensor) -> torch.Tensor:
    """Per-row z-score of a (n_users, n_items) score matrix."""
    return (scores - scores.mean(1, keepdim=True)) / scores.std(1, keepdim=True).clamp_min(1e-8)


def concat_vectors(encoders: Mapping[str, Recommender], users: np.ndarray, stage: str,
                   grad: bool = False) -> torch.Tensor:
    """[z; h; g]: the encoders' user vectors side by side, shape (len(users), Σ dims) in the order of
    ``encoders``; differentiable (through :meth:`~recnb.models.base.Recommender.vectors`, on the encoders'
    device) with ``grad``, else on :func:`recnb.env.device`."""
    if grad:
        return torch.cat([e.vectors(users, stage) for e in encoders.values()], 1)
    return torch.cat([e.user_vectors(users, stage) for e in encoders.values()], 1).to(env.device())


def stacked_scores(encoders: Mapping[str, Fitted], users: np.ndarray, stage: str) -> torch.Tensor:
    """Standardised scores of each encoder, shape (n_encoders, len(users), n_items), on
    :func:`recnb.env.device` (a scorer that answers on the CPU, such as a cached baseline, is moved there)."""
    dev = env.device()
    with torch.no_grad():
        return torch.stack([standardise(e.score(users, stage).to(dev)) for e in encoders.values()])


class FixedScores:
    """A scorer that returns precomputed rows (for grid searches on the validation targets)."""

    def __init__(self, users: np.ndarray, scores: torch.Tensor, n_users: int) -> None:
        self.row = np.full(n_users, -1)
        self.row[users] = np.arange(len(users))
        self.scores = scores

    def score(self, users: np.ndarray, stage: str = "valid") -> torch.Tensor:
        """The stored rows of ``users``, shape (len(users), n_items)."""
        return self.scores[torch.from_numpy(self.row[users]).to(self.scores.device)]


def fit_users(users: np.ndarray, limit: int | None, seed: int = 0) -> np.ndarray:
    """Positions into ``users`` (the validation users) that a fusion is fitted on: all of them when ``limit`` is
    None or at least their number, else a seeded sample of ``limit`` positions, sorted. Bounds the memory of the
    (encoders, users, items) score stack on a large log; a small one is fitted on every user, as before."""
    if limit is None or limit >= len(users):
        return np.arange(len(users))
    return np.sort(np.random.default_rng(seed).choice(len(users), limit, replace=False))


def simplex_grid(k: int, step: float = 0.1) -> np.ndarray:
    """All weight vectors of length ``k`` on the simplex with the given step, shape (n, k)."""
    n = round(1 / step)
    rows = [c for c in itertools.product(range(n + 1), repeat=k) if sum(c) == n]
    return np.array(rows, dtype=np.float64) / n


__all__ = ["standardise", "concat_vectors", "stacked_scores", "FixedScores", "fit_users", "simplex_grid"]
