"""Statistics over per-user results: bootstrap CIs (:func:`bootstrap_ci`), log-log fits with bootstrap bands
(:func:`power_law`), paired tests (:func:`paired_test`), Holm-Bonferroni (:func:`holm`; Holm, Scand. J. Statist.
1979: it controls the family-wise error rate for any dependence between the tests) and :func:`compare`, one
reference against a family of models with a verdict in words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from .names import NDCG10

if TYPE_CHECKING:
    from .ranking import Evaluation


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


def power_law(x: np.ndarray, y: np.ndarray, grid: np.ndarray | None = None, n_boot: int = 1000,
              seed: int = 0) -> dict[str, np.ndarray | float]:
    """Fit log y = log a + b log x to points ``x``, ``y`` (shape (n,), positive). Each of ``n_boot``
    resamples of the points (``numpy.random.default_rng(seed)``, one draw of n indices per resample; a
    resample with fewer than two distinct x is skipped) is refitted. Returns ``a``, ``b``, ``grid`` (50 values
    from min(x) to max(x) unless given), ``fit`` (a · grid^b), ``low``/``high`` (2.5% / 97.5% of the refitted
    curves on ``grid``) and ``b_low``/``b_high`` (2.5% / 97.5% of the refitted exponents; both ``b`` when no
    resample could be refitted)."""
    lx, ly = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    b, la = np.polyfit(lx, ly, 1)
    grid = np.geomspace(min(x), max(x), 50) if grid is None else grid
    rng = np.random.default_rng(seed)
    curves, slopes = [], []
    for _ in range(n_boot):
        idx = rng.integers(0, len(lx), len(lx))
        if len(np.unique(lx[idx])) < 2:
            continue
        bb, aa = np.polyfit(lx[idx], ly[idx], 1)
        curves.append(np.exp(aa + bb * np.log(grid)))
        slopes.append(bb)
    curves = np.array(curves) if curves else np.exp(la + b * np.log(grid))[None]
    slopes = slopes or [b]
    return {"a": float(np.exp(la)), "b": float(b), "grid": grid, "fit": np.exp(la + b * np.log(grid)),
            "low": np.quantile(curves, 0.025, 0), "high": np.quantile(curves, 0.975, 0),
            "b_low": float(np.quantile(slopes, 0.025)), "b_high": float(np.quantile(slopes, 0.975))}


def paired_test(a: Evaluation, b: Evaluation, metric: str = NDCG10, n_boot: int = 1000,
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
    difference is significant (Wilcoxon p < ``alpha`` and a bootstrap CI that excludes 0). A row of
    :func:`compare` carries ``p_holm``: the sentence then uses (and names) the Holm-adjusted p-value."""
    t = dict(test)
    adjusted = "p_holm" in t and not pd.isna(t["p_holm"])
    p = t["p_holm"] if adjusted else t["p_wilcoxon"]
    sig = p < alpha and (t["ci_low"] > 0 or t["ci_high"] < 0)
    word = "better than" if t["diff"] > 0 else "worse than" if t["diff"] < 0 else "no different from"
    return (f"{t['a']} is {'significantly ' if sig else ''}{word} {t['b']} (Δ{t['metric'].upper()} "
            f"{t['diff']:+.4f}, 95% CI [{t['ci_low']:+.4f}, {t['ci_high']:+.4f}], "
            f"{'Holm-adjusted p' if adjusted else 'p'} = {p:.3g}){'' if sig else ', within noise'}.")


def best_against(evals: dict[str, Evaluation], candidates: list[str], reference: str,
                 metric: str = NDCG10, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Paired tests of ``reference`` against each of ``candidates`` (rows: one comparison each), p-values
    not adjusted; :func:`compare` adds the Holm adjustment and a verdict."""
    return pd.DataFrame([paired_test(evals[reference], evals[c], metric, n_boot, seed) for c in candidates
                         if c != reference])


def holm(pvalues: np.ndarray | list[float]) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values of a family of ``m`` tests, shape as ``pvalues`` (1-D).

    With the p-values sorted, p_(1) <= ... <= p_(m), the adjusted value of the j-th is
    max_{i <= j} min(1, (m - i + 1) p_(i)) (Holm 1979). Rejecting where the adjusted p < alpha keeps the
    family-wise error rate at alpha; the order of the input is kept.
    """
    p = np.asarray(pvalues, dtype=float)
    if p.ndim != 1:
        raise ValueError(f"holm: expected a 1-D array of p-values, got shape {p.shape}")
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError(f"holm: p-values must lie in [0, 1], got {p.tolist()}")
    m = len(p)
    order = np.argsort(p, kind="stable")
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adjusted
    return out


def compare(evals: dict[str, Evaluation], reference: str, metric: str = NDCG10,
            others: list[str] | None = None, n_boot: int = 1000, seed: int = 0, alpha: float = 0.05,
            chosen_on: str | None = None) -> tuple[pd.DataFrame, str]:
    """Paired tests of ``reference`` against each of ``others`` (default: every other model of ``evals``)
    as one family, Holm-adjusted.

    Returns ``(table, verdict)``: ``table`` has one row per comparison with the :func:`paired_test` columns,
    ``p_holm`` (the adjusted Wilcoxon p-value), ``significant`` (``p_holm`` < ``alpha`` and a bootstrap CI
    that excludes 0) and ``verdict`` (one sentence, :func:`paired_verdict`); ``verdict`` is Markdown that
    names the reference, what it was chosen on (``chosen_on``, e.g. ``"validation NDCG@10"``; say so when a
    reference was fixed in advance), the number of comparisons corrected for, and the models it is
    significantly better than, worse than, and within noise of.
    """
    if reference not in evals:
        raise KeyError(f"compare: reference {reference!r} is not among the evaluations {list(evals)}")
    names = [n for n in (others if others is not None else list(evals)) if n != reference]
    missing = [n for n in names if n not in evals]
    if missing:
        raise KeyError(f"compare: {missing} are not among the evaluations {list(evals)}")
    table = best_against(evals, names, reference, metric, n_boot, seed)
    chosen = f" (chosen on {chosen_on})" if chosen_on else ""
    if table.empty:
        return table, f"**{reference}**{chosen}: no other model to compare it with."
    table["p_holm"] = holm(table["p_wilcoxon"].to_numpy())
    table["significant"] = (table["p_holm"] < alpha) & ((table["ci_low"] > 0) | (table["ci_high"] < 0))
    table["verdict"] = [paired_verdict(r, alpha) for _, r in table.iterrows()]

    def listed(rows: pd.DataFrame) -> str:
        return ", ".join(f"{r.b} (Δ {r.diff:+.4f}, adjusted p = {r.p_holm:.3g})" for r in rows.itertuples())

    better = table[table["significant"] & (table["diff"] > 0)]
    worse = table[table["significant"] & (table["diff"] < 0)]
    noise = table[~table["significant"]]
    m = len(table)
    parts = [f"**{reference}**{chosen} against {m} other model{'s' * (m != 1)} on test {metric.upper()}, "
             f"paired on {len(evals[reference].users):,} users; Wilcoxon p-values Holm-adjusted for {m} "
             f"comparison{'s' * (m != 1)} (α = {alpha:g})."]
    if len(better):
        parts.append(f"Significantly better than {listed(better)}.")
    if len(worse):
        parts.append(f"Significantly worse than {listed(worse)}.")
    if len(noise):
        parts.append(f"Within noise of {listed(noise)}.")
    return table, " ".join(parts)


__all__ = ["bootstrap_ci", "paired_test", "paired_verdict", "best_against", "holm", "compare"]
