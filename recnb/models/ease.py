"""EASE^R (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019), exact on any catalogue
whose items or users fit in memory.

With X the (n_users, n_items) binary train matrix and G = XᵀX, the weights are

    B = I - P · diagMat(1 / diag(P)),   P = (G + λI)⁻¹,

so that diag(B) = 0, and a user with history h scores items by s = h B. λ is chosen by validation NDCG@10.

Two ways to compute it, the same B up to rounding:

* **Item space** (catalogue <= ``max_items``): for each λ of the grid one Cholesky factorisation of G + λI and its
  inverse (``torch.linalg.cholesky``, ``torch.cholesky_inverse``: n³ flops a λ, a third of one eigendecomposition
  plus a matrix product); memory O(n_items²). Histories are sparse, so scoring is a sparse product h B.
* **User space** (more items than ``max_items``, at most ``max_items`` users): by the Woodbury identity
  P = (I - Xᵀ K⁻¹ X) / λ with K = XXᵀ + λI, an (n_users, n_users) matrix. With XXᵀ = UΣUᵀ and
  W = (Σ+λ)^(-1/2) Uᵀ X (shape (n_users, n_items)), Xᵀ K⁻¹ X = WᵀW, diag(P)_i = (1 - ‖w_i‖²)/λ and

      s = h - (h - (h Wᵀ) W) ⊙ c,   c_i = 1 / (1 - ‖w_i‖²),

  so B is never formed: memory O(n_users · n_items), time O(n_users² · n_items). This is how a shop log with
  tens of thousands of items and a few thousand users gets the exact EASE.

Only when both the catalogue and the users exceed ``max_items`` is the model restricted to the ``max_items``
most popular items (the others score below all of them, by popularity); :attr:`EASE.info_` states the form,
and :meth:`EASE.uncovered_targets` counts the targets a restriction cuts off. ``max_items=None`` always uses
the item space. Both forms run in torch on the device of :func:`recnb.env.device` (CUDA when chosen).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from .. import env
from ..data.split import Split
from ..train import validation_score
from .base import Fitted

ITEM_SPACE, USER_SPACE, RESTRICTED = "item space", "user space (Woodbury)", "restricted to popular items"


def form_for(n_users: int, n_items: int, max_items: int | None) -> str:
    """How :class:`EASE` fits a split of this shape: :data:`ITEM_SPACE`, :data:`USER_SPACE` or :data:`RESTRICTED`."""
    if max_items is None or n_items <= max_items:
        return ITEM_SPACE
    return USER_SPACE if n_users <= max_items else RESTRICTED


def restriction_note(split: Split, max_items: int | None) -> str:
    """A sentence for a report when EASE on ``split`` is restricted to popular items (else ``""``)."""
    if form_for(split.n_users, split.n_items, max_items) != RESTRICTED:
        return ""
    return (f"EASE here ranks only the {max_items:,} most popular of {split.n_items:,} items: the catalogue and "
            f"the {split.n_users:,} users both exceed its size limit (`ease_items`), and the other items rank "
            "below them by popularity.")


class EASE(Fitted):
    """EASE^R with λ chosen on validation (see the module docstring for the two forms and ``max_items``)."""

    def __init__(self, lambdas: tuple[float, ...] = (10.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0),
                 max_items: int | None = None) -> None:
        self.lambdas, self.max_items = lambdas, max_items

    def fit(self, split: Split) -> EASE:
        self.split_ = split
        pop = split.item_popularity()
        n, cap = split.n_items, self.max_items
        self.form_ = form_for(split.n_users, n, cap)
        restricted = self.form_ == RESTRICTED
        self.items_ = np.sort(np.argsort(-pop, kind="stable")[:cap]) if restricted else np.arange(n)
        self.fallback_ = torch.from_numpy((pop / (pop.max() + 1) - 2.0).astype(np.float32)).to(env.device())
        x = split.train[:, self.items_].astype(np.float32)
        grid = self._user_space(x) if self.form_ == USER_SPACE else self._item_space(x)
        self.scores_: dict[float, float] = {}
        best, chosen = -1.0, None  # without validation users every score is NaN: the first λ stays
        for lam in self.lambdas:
            state = self._solve(grid, lam)
            self._restore(state)
            s = self.scores_[lam] = validation_score(self, split)
            if chosen is None or s > best:
                best, self.lambda_, chosen = s, lam, state
        self._restore(chosen)
        _, targets = split.target("test")
        self.info_ = {"items": n, "items modelled": len(self.items_), "cap": cap, "form": self.form_,
                      "test targets": len(targets), "test targets cut off": self.uncovered_targets(split)}
        return self

    # -- the two forms: what is computed once, then each λ of the grid --------------------------------------

    def _item_space(self, x) -> tuple:
        return (torch.from_numpy((x.T @ x).toarray()).to(env.device()),)  # G, float32

    def _user_space(self, x) -> tuple:
        x64 = x.astype(np.float64)
        sigma, u = np.linalg.eigh((x64 @ x64.T).toarray())
        v = np.asarray((x64.T @ u).T)  # Uᵀ X, shape (n_users, n_items)
        return sigma.clip(min=0.0), torch.from_numpy(v.astype(np.float32)).to(env.device()), v * v

    def _solve(self, grid: tuple, lam: float) -> tuple:
        """The weights for one λ: ``(W, c)`` in user space, ``(B,)`` in item space."""
        if self.form_ == USER_SPACE:
            dev = env.device()
            sigma, v, v2 = grid
            d = 1.0 / np.sqrt(sigma + lam)
            return (v * torch.from_numpy(d.astype(np.float32)).to(dev)[:, None],
                    torch.from_numpy((1.0 / (1.0 - (d * d) @ v2)).astype(np.float32)).to(dev))
        (g,) = grid
        p = torch.cholesky_inverse(torch.linalg.cholesky(g + lam * torch.eye(len(g), device=g.device)))
        return (p.div_(-torch.diagonal(p).clone()).fill_diagonal_(0.0),)  # B = -P / diag(P), diag 0

    def _restore(self, state: tuple) -> None:
        if self.form_ == USER_SPACE:
            self.w_, self.c_ = state
        else:
            (self.weights_,) = state

    # -- scoring ----------------------------------------------------------------------------------------------

    def apply(self, h: torch.Tensor) -> torch.Tensor:
        """Scores h B of histories ``h`` over the modelled items, shape (b, len(items_)) -> (b, len(items_))."""
        if self.form_ == USER_SPACE:
            return h - (h - (h @ self.w_.T) @ self.w_) * self.c_
        return h @ self.weights_

    def rows(self, positions: np.ndarray) -> torch.Tensor:
        """Rows of B for modelled items at ``positions`` (indices into ``items_``), shape (len, len(items_)):
        what one new event of such an item adds to a user's scores (fold-in, :mod:`recnb.serving`)."""
        idx = torch.as_tensor(np.asarray(positions), dtype=torch.long)
        if self.form_ != USER_SPACE:
            return self.weights_[idx.to(self.weights_.device)]
        eye = torch.zeros(len(idx), len(self.items_), device=self.w_.device)
        eye[torch.arange(len(idx)), idx.to(self.w_.device)] = 1.0
        return self.apply(eye)

    def _apply_sparse(self, h: sp.csr_matrix) -> torch.Tensor:
        """:meth:`apply` for sparse histories ``h`` (b, n_items). Item space: the sparse product h B. User
        space: h - (h - h Wᵀ W) c computed as (h Wᵀ) W c plus h (1 - c) added at h's entries, so that only the
        second product is dense."""
        dev = env.device()
        coo = h.tocoo()
        idx = torch.from_numpy(np.vstack([coo.row, coo.col]).astype(np.int64)).to(dev)
        vals = torch.from_numpy(coo.data.astype(np.float32)).to(dev)
        hs = torch.sparse_coo_tensor(idx, vals, h.shape, device=dev, check_invariants=False)
        if self.form_ != USER_SPACE:
            return torch.sparse.mm(hs, self.weights_)
        out = (torch.sparse.mm(hs, self.w_.T) @ self.w_).mul_(self.c_)
        return out.index_put_((idx[0], idx[1]), vals * (1.0 - self.c_[idx[1]]), accumulate=True)

    def score(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        h = self.split_.history(stage)[users][:, self.items_]
        dev = env.device()
        sub = self._apply_sparse(h)
        if len(self.items_) == self.split_.n_items:
            return sub
        out = self.fallback_.expand(len(users), -1).clone()
        out[:, torch.from_numpy(self.items_).to(dev)] = sub + 1.0 - sub.min()  # restricted items rank first
        return out

    def uncovered_targets(self, split: Split | None = None, stage: str = "test") -> int:
        """How many ``stage`` targets of ``split`` (default: the fitted one) fall outside the modelled
        items, so that EASE can only rank them below every modelled item (0 unless restricted)."""
        split = split if split is not None else self.split_
        _, targets = split.target(stage)
        modelled = np.zeros(split.n_items, dtype=bool)
        modelled[self.items_] = True
        return int((~modelled[targets]).sum())


__all__ = ["EASE", "ITEM_SPACE", "USER_SPACE", "RESTRICTED", "form_for", "restriction_note"]
