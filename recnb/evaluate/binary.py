"""Binary classification metrics with bootstrap CIs: ROC-AUC and average precision (PR-AUC).

Used where the study scores users rather than ranks items: purchase prediction and shilling detection
(notebook 08). Bootstrap resamples are computed as row multiplicities in one vectorised pass.
"""

from __future__ import annotations

import numpy as np


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


__all__ = ["binary_metrics"]
