"""The contract every model of the study keeps, written once (docs/architecture.md, ``Fitted`` and
``Recommender``): ``fit(split) -> self`` and ``score(users, stage)`` of shape (len(users), n_items), reading
the history of ``stage`` (train for ``valid``; train + valid + gap for ``test``), so a model never reads the
target it is scored on. A :class:`Recommender` also encodes each user as a vector: it writes only
:meth:`Recommender.vectors` and :meth:`Recommender.decode`; ``user_vectors`` and ``score`` are defined here.
The design follows RecBole's ``AbstractRecommender`` (a model owns its ``full_sort_predict``; the trainer
owns the loop, :class:`recnb.train.Trainer`).
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import torch
from torch import nn

from ..data.split import Split

F = TypeVar("F", bound="Fitted")
R = TypeVar("R", bound="Recommender")


class Fitted(ABC):
    """A model fitted on ``split_`` that reads user histories from it when it scores."""

    split_: Split
    fit_seconds_: float = float("nan")
    """Wall seconds of the fit that made this model (set by :func:`recnb.modelcache.timed_fit`; a model
    served from the cache keeps the seconds its fit took)."""
    user_parameters: bool = False
    """True for a model that learns one parameter vector per user (BPR-MF, LightGCN): it can only be bound
    to a split with the same users. Models that read each user's history only can score other users."""

    @abstractmethod
    def fit(self: F, split: Split) -> F:
        """Fit on ``split`` (choices made on its validation targets) and return ``self``."""

    @abstractmethod
    def score(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """Scores of every item for ``users`` at ``stage``, shape (len(users), n_items)."""

    def rebuild(self, split: Split) -> None:
        """Recompute what is derived from the split's histories (a graph's adjacency, say); the base has
        nothing to recompute. Called by :meth:`bind` on the copy."""

    def bind(self: F, split: Split) -> F:
        """A shallow copy of this fitted model that reads its histories from ``split`` (same parameters; the
        split must have the same items as the one it was fitted on, and the same users when the model has
        :attr:`user_parameters`). The model itself is left as it is. An unfitted fusion can be bound too:
        its encoders are."""
        fitted = getattr(self, "split_", None)
        if fitted is not None and (split.n_items != fitted.n_items
                                   or (self.user_parameters and split.n_users != fitted.n_users)):
            raise ValueError(f"bind: the model was fitted on {fitted.n_users} users x {fitted.n_items} "
                             f"items, the new split has {split.n_users} x {split.n_items}"
                             + (" (its per-user parameters need the same users)" if self.user_parameters else ""))
        m = copy.copy(self)
        m.split_ = split
        m.rebuild(split)
        return m


class Recommender(nn.Module, Fitted):
    """A trainable model that encodes users as vectors and scores items from them (see the module docstring).

    Subclasses implement ``fit``, :meth:`vectors` and :meth:`decode`; they may name attributes in
    ``shared`` that a trainable copy (:meth:`trainable_copy`) must share rather than copy (the split, and
    read-only tensors derived from it such as an adjacency).
    """

    shared: tuple[str, ...] = ("split_",)

    @abstractmethod
    def vectors(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """Differentiable user vectors from each user's history at ``stage``, shape (len(users), dim)."""

    @abstractmethod
    def decode(self, vectors: torch.Tensor, stage: str = "test") -> torch.Tensor:
        """Item scores from user vectors (n, dim) -> (n, n_items); monotone in the model's probabilities."""

    @property
    def device(self) -> torch.device:
        """Where the model's parameters live (:func:`module_device`); its inputs are built there."""
        return module_device(self)

    def user_vectors(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """User vectors at ``stage`` without gradient, shape (len(users), dim), on the CPU (for analysis
        in NumPy; fusions move them to their device)."""
        with torch.no_grad():
            return self.vectors(users, stage).cpu()

    def score(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """Scores of every item for ``users`` at ``stage``, shape (len(users), n_items), on the model's
        device (:func:`recnb.evaluate.evaluate` ranks them there). Within the call, :meth:`once` computes what
        :meth:`vectors` and :meth:`decode` both need a single time."""
        self._once_memo: dict[Any, Any] | None = {}
        try:
            with torch.no_grad():
                return self.decode(self.vectors(users, stage), stage)
        finally:
            self._once_memo = None

    def once(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()``, computed a single time per ``key`` within one :meth:`score` call (a graph model's
        propagation, which its :meth:`vectors` and :meth:`decode` both read); outside :meth:`score` (training,
        a fusion's differentiable use), every call computes."""
        memo = getattr(self, "_once_memo", None)
        if memo is None:
            return compute()
        if key not in memo:
            memo[key] = compute()
        return memo[key]

    def trainable_copy(self: R) -> R:
        """A deep copy whose parameters can be trained on without touching this model's; the attributes
        named in ``shared`` (the split, derived read-only tensors) are shared, not copied."""
        memo: dict[int, Any] = {}
        for name in self.shared:
            value = getattr(self, name, None)
            memo[id(value)] = value
            if isinstance(value, dict):  # e.g. one adjacency per stage
                for v in value.values():
                    memo[id(v)] = v
        return copy.deepcopy(self, memo)


def module_device(module: nn.Module) -> torch.device:
    """The device of ``module``'s first parameter or buffer (the CPU when it has none yet)."""
    for t in module.parameters():
        return t.device
    for t in module.buffers():
        return t.device
    return torch.device("cpu")


def as_index(users: np.ndarray | torch.Tensor, device: torch.device | str | None = None) -> torch.Tensor:
    """User (or item) indices as a LongTensor for indexing, shape (n,), on ``device`` (default: CPU)."""
    if isinstance(users, torch.Tensor):
        return users.to(device=device, dtype=torch.long)
    return torch.as_tensor(np.asarray(users), dtype=torch.long, device=device)


def multi_hot(matrix: Any, rows: np.ndarray | torch.Tensor, device: torch.device | str | None = None) -> torch.Tensor:
    """Dense binary rows of a CSR ``matrix`` (n_users, n_items) for ``rows``: shape (len(rows), n_items),
    built on ``device`` (default: CPU) from the row's nonzero coordinates (only those travel)."""
    rows = rows.cpu().numpy() if isinstance(rows, torch.Tensor) else np.asarray(rows)
    sub = matrix[rows].tocoo()
    dense = torch.zeros(sub.shape, dtype=torch.float32, device=device)
    dense[torch.from_numpy(sub.row.astype(np.int64)).to(dense.device),
          torch.from_numpy(sub.col.astype(np.int64)).to(dense.device)] = 1.0
    return dense


__all__ = ["Fitted", "Recommender", "as_index", "module_device", "multi_hot"]
