"""Full-ranking evaluation: every catalogue item is ranked for every evaluated user, history masked.

Accuracy metrics (one target per user, leave-last-out) for each cut-off K:

* HR@K = 1[rank <= K];  NDCG@K = 1[rank <= K] / log2(rank + 1);  MRR@K = 1[rank <= K] / rank.

**Ties** are resolved as the expectation over a uniformly random order of tied items: with ``g`` items
scored strictly above the target and ``t`` others tied with it, the target's rank is uniform on
``g+1 .. g+t+1``, and each metric is averaged over that range in closed form. A constant scorer therefore
gets the chance level, never a lucky or unlucky fixed order.

Beyond accuracy, over the top-K lists: item coverage (share of the catalogue recommended to anyone),
novelty (mean self-information -log2 of an item's train popularity share), average popularity of the
recommended items (ARP) and intra-list category diversity (share of item pairs in a list with different
categories). Confidence intervals (:meth:`Evaluation.summary`) are percentile bootstraps over users
(:mod:`recnb.evaluate.statistics`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
import torch

from .. import env
from ..data.split import Split
from .statistics import bootstrap_ci

KS: tuple[int, ...] = (10, 20)
ACCURACY = ("hr", "ndcg", "mrr")


class Scorer(Protocol):
    """Anything that scores all items for some users: ``score(users, stage) -> (len(users), n_items)``."""

    def score(self, users: np.ndarray, stage: str = "test") -> torch.Tensor: ...


def _discount_tables(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    r = torch.arange(1, n + 1, dtype=torch.float64)
    zero = torch.zeros(1, dtype=torch.float64)
    return torch.cat([zero, torch.cumsum(1 / torch.log2(r + 1), 0)]), torch.cat([zero, torch.cumsum(1 / r, 0)])


def tie_aware_metrics(greater: torch.Tensor, ties: torch.Tensor, ks: tuple[int, ...] = KS) -> dict[str, np.ndarray]:
    """Expected HR/NDCG/MRR@K under random tie-breaking.

    Args:
        greater: items scored strictly above the target, shape (n,).
        ties: *other* items scored exactly as the target, shape (n,).

    Returns:
        ``{"hr@10": array (n,), ...}`` for each K and metric.
    """
    g, t = greater.to(torch.float64), ties.to(torch.float64)
    n_max = int((g + t).max().item()) + 2 if len(g) else 2
    disc, harm = _discount_tables(max(n_max, max(ks)) + 1)
    out = {}
    for k in ks:
        hi = torch.clamp(g + t + 1, max=k)  # best-case rank range clipped to the cut-off
        inside = (g < k).to(torch.float64)
        span = t + 1
        lo_i, hi_i = g.long(), hi.long()
        out[f"hr@{k}"] = (inside * (hi - g) / span).numpy()
        out[f"ndcg@{k}"] = (inside * (disc[hi_i] - disc[torch.clamp(lo_i, max=k)]) / span).numpy()
        out[f"mrr@{k}"] = (inside * (harm[hi_i] - harm[torch.clamp(lo_i, max=k)]) / span).numpy()
    return out


def _mask_rows(scores: torch.Tensor, mask_csr, users: np.ndarray) -> None:
    sub = mask_csr[users]
    rows = np.repeat(np.arange(len(users)), np.diff(sub.indptr))
    dev = scores.device
    scores[torch.from_numpy(rows).to(dev), torch.from_numpy(sub.indices.astype(np.int64)).to(dev)] = -torch.inf


@dataclass
class Evaluation:
    """Per-user results of one model on one stage.

    Attributes:
        model: name.
        users: evaluated user indices, shape (n,).
        per_user: one column per accuracy metric, one row per user.
        topk: recommended item indices, shape (n, max K), best first.
        beyond: beyond-accuracy metrics of the top-K lists (one value each).
    """

    model: str
    users: np.ndarray
    per_user: pd.DataFrame
    topk: np.ndarray
    beyond: dict[str, float]

    def summary(self, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
        """Tidy table: model, metric, mean, ci_low, ci_high (95% bootstrap over users)."""
        rows = []
        for m in self.per_user.columns:
            lo, hi = bootstrap_ci(self.per_user[m].to_numpy(), n_boot, seed)
            rows.append({"model": self.model, "metric": m, "mean": self.per_user[m].mean(), "ci_low": lo, "ci_high": hi})
        for m, v in self.beyond.items():
            rows.append({"model": self.model, "metric": m, "mean": v, "ci_low": np.nan, "ci_high": np.nan})
        return pd.DataFrame(rows)

    def subset(self, keep: np.ndarray) -> Evaluation:
        """The same results restricted to the users where the boolean ``keep`` (shape (n,)) is true
        (beyond-accuracy figures are those of all users)."""
        keep = np.asarray(keep, dtype=bool)
        return Evaluation(self.model, self.users[keep], self.per_user[keep].reset_index(drop=True),
                          self.topk[keep], self.beyond)


def _rank_counts(s: torch.Tensor, target: torch.Tensor, rows: int = 128) -> tuple[torch.Tensor, torch.Tensor]:
    """Per row of scores ``s`` (b, n_items): how many items score above the row's ``target`` (b, 1) and how
    many equal it (the target included), each (b,) int64. Counted ``rows`` rows at a time in int32, so that
    each comparison stays in the processor's cache instead of one bool sum over the whole batch."""
    greater, ties = [], []
    for lo in range(0, len(s), rows):
        sb, tb = s[lo:lo + rows], target[lo:lo + rows]
        greater.append((sb > tb).sum(1, dtype=torch.int32))
        ties.append((sb == tb).sum(1, dtype=torch.int32))
    if not greater:
        return torch.zeros(0, dtype=torch.int64, device=s.device), torch.zeros(0, dtype=torch.int64, device=s.device)
    return torch.cat(greater).long(), torch.cat(ties).long()


def evaluate(model: Scorer, split: Split, stage: str = "test", ks: tuple[int, ...] = KS,
             name: str | None = None, batch_size: int = 2048, users: np.ndarray | None = None) -> Evaluation:
    """Rank the whole catalogue for every evaluated user of ``stage`` and score the targets.

    Users are processed in batches of ``batch_size``; within a batch everything is one tensor
    operation (no per-user Python loop). ``users`` restricts evaluation to a subset of the stage's users.
    Scores are masked, compared and ranked on :func:`recnb.env.device` (the model's scores are moved there
    if they come from elsewhere); only the per-user counts and top-K indices come back to the CPU.
    """
    dev = env.device()
    all_users, all_items = split.target(stage)
    if users is not None:
        keep = np.isin(all_users, users)
        all_users, all_items = all_users[keep], all_items[keep]
    mask = split.mask(stage)
    kmax = max(ks)
    greater, ties, tops = [], [], []
    for b in range(0, len(all_users), batch_size):
        u, it = all_users[b:b + batch_size], all_items[b:b + batch_size]
        with torch.no_grad():
            s = model.score(u, stage=stage).to(device=dev, dtype=torch.float32).clone()
        if s.shape != (len(u), split.n_items):
            raise ValueError(f"{name or type(model).__name__}.score returned shape {tuple(s.shape)}, "
                             f"expected ({len(u)}, {split.n_items})")
        _mask_rows(s, mask, u)
        target = s[torch.arange(len(u), device=dev), torch.from_numpy(it).to(dev)].unsqueeze(1)
        if torch.isinf(target).any():
            raise AssertionError("a target item is masked: the split leaks history into targets")
        g, t = _rank_counts(s, target)
        greater.append(g)
        ties.append(t - 1)
        tops.append(torch.topk(s, min(kmax, split.n_items), dim=1).indices)
    g = torch.cat(greater).cpu() if greater else torch.zeros(0)
    t = torch.cat(ties).cpu() if ties else torch.zeros(0)
    topk = torch.cat(tops).cpu().numpy() if tops else np.zeros((0, kmax), dtype=np.int64)
    per_user = pd.DataFrame(tie_aware_metrics(g, t, ks))[[f"{m}@{k}" for k in ks for m in ACCURACY]]
    beyond = beyond_accuracy(topk, split, ks)
    return Evaluation(name or type(model).__name__, all_users, per_user, topk, beyond)


def mixture_ndcg(stacked: torch.Tensor, weights: np.ndarray, split: Split, stage: str = "valid",
                 k: int = 10, users: np.ndarray | None = None) -> np.ndarray:
    """Mean NDCG@``k`` at ``stage`` of each mixture Σ_j w_j stacked[j], one per row w of ``weights`` (m, J):
    the numbers :func:`evaluate` gives the mixed scores (the same masking, counts and tie-aware metric), without
    what a grid search does not read (top-K lists, other metrics). ``stacked`` (J, n, n_items) holds the
    scores of the ``n`` users of ``split.target(stage)``, in that order (or of ``users``, a sorted subset of
    them). Returns shape (m,)."""
    all_users, items = split.target(stage)
    keep = np.ones(len(all_users), bool) if users is None else np.isin(all_users, users)
    users, items = all_users[keep], items[keep]
    if stacked.shape[1] != len(users):
        raise ValueError(f"mixture_ndcg: expected scores of the {len(users)} {stage} users, got {stacked.shape[1]}")
    masked = stacked.clone()
    for j in range(len(masked)):  # a seen item is -inf in every part: its mixture never counts (-inf or NaN)
        _mask_rows(masked[j], split.mask(stage), users)
    rows = torch.arange(len(users), device=stacked.device)
    cols = torch.from_numpy(items).to(stacked.device)
    out = np.empty(len(weights))
    for m, w in enumerate(weights):
        s = torch.einsum("k,kni->ni", torch.from_numpy(w).float().to(stacked.device), masked)
        g, t = _rank_counts(s, s[rows, cols].unsqueeze(1))
        out[m] = tie_aware_metrics(g.cpu(), (t - 1).cpu(), (k,))[f"ndcg@{k}"].mean()
    return out


def beyond_accuracy(topk: np.ndarray, split: Split, ks: tuple[int, ...] = KS) -> dict[str, float]:
    """Coverage, novelty, average recommended popularity, long-tail share and category diversity at each K.

    ``tail@K``: the share of recommended items outside the head, the 20% most popular train items (ties
    broken by item index, so the head is exactly 20% of the catalogue)."""
    pop = split.item_popularity()
    share = (pop + 1) / (split.n_users + 1)
    head = np.zeros(split.n_items, dtype=bool)
    head[np.argsort(-pop, kind="stable")[: int(np.ceil(0.2 * split.n_items))]] = True
    out: dict[str, float] = {}
    for k in ks:
        top = topk[:, :k]
        if top.size == 0:
            continue
        out[f"coverage@{k}"] = len(np.unique(top)) / split.n_items
        out[f"novelty@{k}"] = float((-np.log2(share[top])).mean())
        out[f"arp@{k}"] = float(pop[top].mean())
        out[f"tail@{k}"] = float((~head[top]).mean())
        if split.categories:
            c = split.item_category[top]
            same = (c[:, :, None] == c[:, None, :]).sum((1, 2)) - k
            out[f"diversity@{k}"] = float((1 - same / (k * (k - 1))).mean())
    return out


def evaluate_all(models: dict[str, Scorer], split: Split, stage: str = "test",
                 ks: tuple[int, ...] = KS) -> dict[str, Evaluation]:
    """:func:`evaluate` for each named model on the same split and stage."""
    return {name: evaluate(m, split, stage, ks, name=name) for name, m in models.items()}


__all__ = ["KS", "ACCURACY", "Scorer", "tie_aware_metrics", "Evaluation", "evaluate", "evaluate_all", "mixture_ndcg",
           "beyond_accuracy"]
