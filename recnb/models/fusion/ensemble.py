"""The score ensemble: Σ_k w_k standardise(s_k), the simple rival every learned fusion must beat."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch.nn import functional as F

from ...data.split import Split
from ...evaluate.ranking import mixture_ndcg
from ..base import Fitted, Recommender
from .common import fit_users, simplex_grid, stacked_scores


class ScoreEnsemble(Fitted):
    """Weighted sum of the encoders' standardised scores; weights chosen on validation NDCG@10 from the
    simplex grid of step ``step``, on at most ``fit_users`` validation users (a seeded sample, :func:`fit_users`;
    None: all). Any scorer can take part (a re-find baseline, say); :meth:`user_vectors` needs encoders that have
    user vectors."""

    def __init__(self, encoders: Mapping[str, Fitted], step: float = 0.1, fit_users: int | None = None,
                 seed: int = 0) -> None:
        self.encoders, self.step, self.fit_users, self.seed = dict(encoders), step, fit_users, seed

    def rebuild(self, split: Split) -> None:
        """Bind every encoder to ``split`` as well."""
        self.encoders = {k: e.bind(split) for k, e in self.encoders.items()}

    def fit(self, split: Split) -> ScoreEnsemble:
        self.split_ = split
        users, _ = split.target("valid")
        users = users[fit_users(users, self.fit_users, self.seed)]
        grid = simplex_grid(len(self.encoders), self.step)
        self.grid_scores_ = mixture_ndcg(stacked_scores(self.encoders, users, "valid"), grid, split, "valid",
                                         users=users)
        self.weights_ = dict(zip(self.encoders, grid[int(np.argmax(self.grid_scores_))]))
        return self

    def score(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """Σ_k w_k standardise(s_k(users)), shape (len(users), n_items)."""
        stacked = stacked_scores(self.encoders, users, stage)
        w = torch.tensor([self.weights_[k] for k in self.encoders], dtype=torch.float32, device=stacked.device)
        return torch.einsum("k,kni->ni", w, stacked)

    def user_vectors(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """The encoders' vectors, each L2-normalised and scaled by √w_k, concatenated: (len(users), Σ dims)."""
        parts = []
        for k, e in self.encoders.items():
            if not isinstance(e, Recommender):
                raise TypeError(f"ScoreEnsemble.user_vectors: {k!r} ({type(e).__name__}) has no user vectors")
            parts.append(F.normalize(e.user_vectors(users, stage), dim=1) * float(np.sqrt(self.weights_[k])))
        return torch.cat(parts, 1)


__all__ = ["ScoreEnsemble"]
