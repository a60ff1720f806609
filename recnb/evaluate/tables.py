"""Tables of evaluation results: one row per model, long (tidy) form, and results by user or item group."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .names import HEADLINE, NDCG10
from ..data.split import Split
from .ranking import Evaluation


def results_table(evals: list[Evaluation], metrics: tuple[str, ...] = HEADLINE,
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


def tidy(evals: dict[str, Evaluation] | list[Evaluation], n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """All metrics of all models in long form (model, metric, mean, ci_low, ci_high)."""
    items = evals.values() if isinstance(evals, dict) else evals
    return pd.concat([e.summary(n_boot, seed) for e in items], ignore_index=True)


def activity_groups(split: Split, users: np.ndarray, stage: str = "test",
                    quantiles: tuple[float, float] = (0.25, 0.75)) -> pd.Series:
    """Label each of ``users`` by the length of their ``stage`` history: ``few`` (up to the lower
    quantile), ``medium``, ``many`` (above the upper quantile). Shape (len(users),), categorical."""
    n = np.diff(split.history(stage).indptr)[users]
    lo, hi = np.quantile(n, quantiles)
    labels = np.where(n <= lo, f"few (≤{lo:.0f})", np.where(n > hi, f"many (>{hi:.0f})", "medium"))
    return pd.Series(pd.Categorical(labels, categories=[f"few (≤{lo:.0f})", "medium", f"many (>{hi:.0f})"]))


def by_group(evals: dict[str, Evaluation], groups: pd.Series, metric: str = NDCG10) -> pd.DataFrame:
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


__all__ = ["results_table", "tidy", "activity_groups", "by_group", "popularity_groups"]
