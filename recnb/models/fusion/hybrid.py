"""The ID + text hybrid: z(ID model) + w · z(text model), the mix of the cold-item task's mixed catalogue."""

from __future__ import annotations

import numpy as np
import torch

from ...data.split import Split
from ...train import select_on_validation
from ..base import Fitted


def finite_standardise(s: torch.Tensor) -> torch.Tensor:
    """Per-row z-scores over the finite entries of a (n_users, n_items) score matrix; non-finite entries
    become -1e9 and a constant row becomes zeros."""
    s = s.to(torch.float32)
    ok = torch.isfinite(s)
    x = torch.where(ok, s, torch.zeros_like(s))
    n = ok.sum(1, keepdim=True).clamp_min(1)
    mean = x.sum(1, keepdim=True) / n
    var = (torch.where(ok, s - mean, torch.zeros_like(s)) ** 2).sum(1, keepdim=True) / n
    return torch.where(ok, (s - mean) / var.sqrt().clamp_min(1e-8), torch.full_like(s, -1e9))


class Hybrid(Fitted):
    """score = z(ID model) + w · z(text model), z = per-user standardisation over the items
    (:func:`finite_standardise`); ``w`` chosen on validation NDCG@10 from ``weights``. Both models must
    already be fitted on the split given to :meth:`fit` (their histories are that split's)."""

    def __init__(self, id_model: Fitted, text_model: Fitted,
                 weights: tuple[float, ...] = (0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0)) -> None:
        self.id_model, self.text_model, self.weights = id_model, text_model, weights

    def fit(self, split: Split) -> Hybrid:
        for m in (self.id_model, self.text_model):
            if getattr(m, "split_", split) is not split:
                raise ValueError(f"{type(m).__name__} was fitted on another split; fit it on this one first")
        self.split_ = split
        self.scores_ = select_on_validation(self, split, "w_", self.weights)
        return self

    def rebuild(self, split: Split) -> None:
        """Bind both models to ``split`` as well."""
        self.id_model, self.text_model = self.id_model.bind(split), self.text_model.bind(split)

    def score(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """Mixed scores, shape (len(users), n_items)."""
        a = finite_standardise(self.id_model.score(users, stage))
        return a + self.w_ * finite_standardise(self.text_model.score(users, stage)).to(a.device) if self.w_ else a


__all__ = ["Hybrid", "finite_standardise"]
