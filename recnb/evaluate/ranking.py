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
categories). Confidence intervals are percentile bootstraps over users; :func:`paired_test` compares two
models on the same users.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
import torch
from scipy import stats

from .data.split import Split

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
    scores[torch.from_numpy(rows), torch.from_numpy(sub.indices.astype(np.int64))] = -torch.inf


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


def evaluate(model: Scorer, split: Split, stage: str = "test", ks: tuple[int, ...] = KS,
             name: str | None = None, batch_size: int = 2048, users: np.ndarray | None = None) -> Evaluation:
    """Rank the whole catalogue for every evaluated user of ``stage`` and score the targets.

    Users are processed in batches of ``batch_size``; within a batch everything is one tensor
    operation (no per-user Python loop). ``users`` restricts evaluation to a subset of the stage's users.
    """
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
            s = model.score(u, stage=stage).to(torch.float32).clone()
        if s.shape != (len(u), split.n_items):
            raise ValueError(f"{name or type(model).__name__}.score returned shape {tuple(s.shape)}, "
                             f"expected ({len(u)}, {split.n_items})")
        _mask_rows(s, mask, u)
        target = s[torch.arange(len(u)), torch.from_numpy(it)].unsqueeze(1)
        if torch.isinf(target).any():
            raise AssertionError("a target item is masked: the split leaks history into targets")
        greater.append((s > target).sum(1))
        ties.append((s == target).sum(1) - 1)
        tops.append(torch.topk(s, min(kmax, split.n_items), dim=1).indices)
    g = torch.cat(greater) if greater else torch.zeros(0)
    t = torch.cat(ties) if ties else torch.zeros(0)
    topk = torch.cat(tops).numpy() if tops else np.zeros((0, kmax), dtype=np.int64)
    per_user = pd.DataFrame(tie_aware_metrics(g, t, ks))
    per_user = per_user[[f"{m}@{k}" for k in ks for m in ACCURACY]]
    beyond = beyond_accuracy(topk, split, ks)
    return Evaluation(name or type(model).__name__, all_users, per_user, topk, beyond)


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


def bootstrap_ci(values: np.ndarray, n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean of ``values`` (resampling users)."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return (np.nan, np.nan)
    rng = np.random.default_rng(seed)
    means = np.empty(n_boot)
    chunk = max(1, int(2e7 // max(v.size, 1)))
    for s in range(0, n_boot, chunk):
        n = min(chunk, n_boot - s)
        means[s:s + n] = v[rng.integers(0, v.size, (n, v.size))].mean(1)
    a = (1 - level) / 2
    return float(np.quantile(means, a)), float(np.quantile(means, 1 - a))


def paired_test(a: Evaluation, b: Evaluation, metric: str = "ndcg@10", n_boot: int = 1000,
                seed: int = 0) -> dict[str, float | str]:
    """Compare two models on the same users: mean difference (a - b), its 95% bootstrap CI, and the
    two-sided p-values of the Wilcoxon signed-rank test and the paired t-test."""
    if not np.array_equal(a.users, b.users):
        raise ValueError("paired_test needs both evaluations on the same users in the same order")
    x, y = a.per_user[metric].to_numpy(), b.per_user[metric].to_numpy()
    d = x - y
    lo, hi = bootstrap_ci(d, n_boot, seed)
    nz = d[d != 0]
    p_w = float(stats.wilcoxon(nz).pvalue) if nz.size > 0 else 1.0
    p_t = float(stats.ttest_rel(x, y).pvalue) if d.std() > 0 else 1.0
    return {"a": a.model, "b": b.model, "metric": metric, "mean_a": x.mean(), "mean_b": y.mean(),
            "diff": d.mean(), "ci_low": lo, "ci_high": hi, "p_wilcoxon": p_w, "p_ttest": p_t}


def paired_verdict(test: dict[str, float | str] | pd.Series, alpha: float = 0.05) -> str:
    """One sentence for a :func:`paired_test` result: which model is better, by how much, and whether the
    difference is significant (Wilcoxon p < ``alpha`` and a bootstrap CI that excludes 0)."""
    t = dict(test)
    sig = t["p_wilcoxon"] < alpha and (t["ci_low"] > 0 or t["ci_high"] < 0)
    word = "better than" if t["diff"] > 0 else "worse than" if t["diff"] < 0 else "no different from"
    return (f"{t['a']} is {'significantly ' if sig else ''}{word} {t['b']} (Δ{t['metric'].upper()} "
            f"{t['diff']:+.4f}, 95% CI [{t['ci_low']:+.4f}, {t['ci_high']:+.4f}], p = {t['p_wilcoxon']:.3g})"
            f"{'' if sig else ', within noise'}.")


def results_table(evals: list[Evaluation], metrics: tuple[str, ...] = ("ndcg@10", "hr@10", "mrr@10"),
                  n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """One row per model, ``metric`` and ``metric CI`` columns, sorted by the first metric."""
    rows = []
    for e in evals:
        s = e.summary(n_boot, seed).set_index("metric")
        row = {"model": e.model}
        for m in metrics:
            row[m] = s.loc[m, "mean"]
            row[f"{m} CI"] = f"[{s.loc[m, 'ci_low']:.4f}, {s.loc[m, 'ci_high']:.4f}]" if m in e.per_user else ""
        rows.append(row)
    return pd.DataFrame(rows).sort_values(metrics[0], ascending=False).reset_index(drop=True)


def evaluate_all(models: dict[str, Scorer], split: Split, stage: str = "test",
                 ks: tuple[int, ...] = KS) -> dict[str, Evaluation]:
    """:func:`evaluate` for each named model on the same split and stage."""
    return {name: evaluate(m, split, stage, ks, name=name) for name, m in models.items()}


def tidy(evals: dict[str, Evaluation] | list[Evaluation], n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """All metrics of all models in long form (model, metric, mean, ci_low, ci_high)."""
    items = evals.values() if isinstance(evals, dict) else evals
    return pd.concat([e.summary(n_boot, seed) for e in items], ignore_index=True)


def best_against(evals: dict[str, Evaluation], candidates: list[str], reference: str,
                 metric: str = "ndcg@10", n_boot: int = 1000) -> pd.DataFrame:
    """Paired tests of ``reference`` against each of ``candidates`` (rows: one comparison each)."""
    return pd.DataFrame([paired_test(evals[reference], evals[c], metric, n_boot) for c in candidates
                         if c != reference])


def activity_groups(split: Split, users: np.ndarray, stage: str = "test",
                    quantiles: tuple[float, float] = (0.25, 0.75)) -> pd.Series:
    """Label each of ``users`` by the length of their ``stage`` history: ``few`` (up to the lower
    quantile), ``medium``, ``many`` (above the upper quantile). Shape (len(users),), categorical."""
    n = np.diff(split.history(stage).indptr)[users]
    lo, hi = np.quantile(n, quantiles)
    labels = np.where(n <= lo, f"few (≤{lo:.0f})", np.where(n > hi, f"many (>{hi:.0f})", "medium"))
    return pd.Series(pd.Categorical(labels, categories=[f"few (≤{lo:.0f})", "medium", f"many (>{hi:.0f})"]))


def by_group(evals: dict[str, Evaluation], groups: pd.Series, metric: str = "ndcg@10") -> pd.DataFrame:
    """Mean ``metric`` per group (rows) and model (columns); ``groups`` labels the evaluated users in
    the order of every evaluation (all must share their users), with a ``users`` count column."""
    first = next(iter(evals.values()))
    for name, e in evals.items():
        if not np.array_equal(e.users, first.users):
            raise ValueError(f"by_group: evaluation {name!r} is on other users than {first.model!r}")
    frame = pd.DataFrame({name: e.per_user[metric].to_numpy() for name, e in evals.items()})
    frame["group"] = groups.array  # keeps the categorical order (few, medium, many)
    out = frame.groupby("group", observed=True).mean()
    out.insert(0, "users", frame.groupby("group", observed=True).size())
    return out


def popularity_groups(split: Split, items: np.ndarray, head_share: float = 0.2) -> pd.Series:
    """Label target ``items`` ``head`` when they are among the ``head_share`` most popular items of the
    train data (distinct users), else ``tail``. Shape (len(items),), categorical."""
    pop = split.item_popularity()
    cut = np.sort(pop)[::-1][max(int(head_share * len(pop)) - 1, 0)]
    labels = np.where(pop[items] >= cut, f"head (top {head_share:.0%})", "tail")
    return pd.Series(pd.Categorical(labels, categories=[f"head (top {head_share:.0%})", "tail"]))


def _weighted_auc_ap(scores: np.ndarray, y: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ROC-AUC and average precision for each row of ``weights`` (n_boot, n) over the same ``scores``/``y``
    (n,): bootstrap resamples as multiplicities, ties counted half (AUC) or as one threshold (AP), as sklearn
    does. Returns two arrays of shape (n_boot,); NaN where a resample lacks a class."""
    order = np.argsort(-scores, kind="stable")
    s, pos = scores[order], y[order]
    w = weights[:, order].astype(np.float64)
    group = np.r_[0, np.cumsum(s[1:] != s[:-1])]  # tie groups in descending score order
    n_groups = group[-1] + 1
    wp = np.zeros((len(w), n_groups))
    wn = np.zeros((len(w), n_groups))
    np.add.at(wp.T, group[pos], w[:, pos].T)
    np.add.at(wn.T, group[~pos], w[:, ~pos].T)
    tot_p, tot_n = wp.sum(1), wn.sum(1)
    neg_below = tot_n[:, None] - np.cumsum(wn, 1)  # negatives scored strictly lower than each group
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (wp * (neg_below + 0.5 * wn)).sum(1) / (tot_p * tot_n)
        tp, seen = np.cumsum(wp, 1), np.cumsum(wp + wn, 1)
        precision = np.where(seen > 0, tp / np.where(seen > 0, seen, 1), 0)
        ap = (wp * precision).sum(1) / tot_p
    bad = (tot_p == 0) | (tot_n == 0)
    auc[bad], ap[bad] = np.nan, np.nan
    return auc, ap


def binary_metrics(y: np.ndarray, scores: np.ndarray, n_boot: int = 1000, seed: int = 0) -> dict[str, float]:
    """ROC-AUC and PR-AUC (average precision) of ``scores`` for binary labels ``y``, each with a 95% bootstrap
    CI over the rows (all resamples in one vectorised pass; resamples with one class only are skipped), and
    the positive rate."""
    y = np.asarray(y, dtype=bool)
    scores = np.asarray(scores, dtype=float)
    rng = np.random.default_rng(seed)
    counts = np.stack([np.bincount(rng.integers(0, len(y), len(y)), minlength=len(y)) for _ in range(n_boot)])
    auc, ap = _weighted_auc_ap(scores, y, np.ones((1, len(y))))
    b_auc, b_ap = _weighted_auc_ap(scores, y, counts)
    ok = ~np.isnan(b_auc)
    return {"auc": float(auc[0]), "auc_low": float(np.quantile(b_auc[ok], 0.025)),
            "auc_high": float(np.quantile(b_auc[ok], 0.975)), "pr_auc": float(ap[0]),
            "pr_low": float(np.quantile(b_ap[ok], 0.025)), "pr_high": float(np.quantile(b_ap[ok], 0.975)),
            "positive rate": float(y.mean())}
