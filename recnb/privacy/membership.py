"""Membership inference: what a private model leaks, measured (Yeom et al., CSF 2018, loss threshold).

The attacker knows a user's interaction row and asks whether that user was in the training set. The
model of :mod:`recnb.privacy.dae` reconstructs a user's row from the row itself, so its loss on the row
(:func:`~recnb.privacy.dae.user_losses`, per item) is lower for users it was trained on if it memorised
them. Yeom et al.'s attack predicts "member" when the loss is below a threshold; over all thresholds its
quality is the ROC AUC of the negated loss (0.5: the attacker learns nothing) and its membership advantage
is the best TPR - FPR.

Protocol: :func:`member_split` draws a seeded half of the users with train events as members; the models
are trained on the members' train rows only (``train_private(..., members=...)``) and attacked on members
against non-members, whose rows the model never saw, so both groups come from the same population.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_curve

from ..data.split import Split
from ..evaluate import binary_metrics
from .dae import user_losses
from .dp import PrivateRun


def member_split(split: Split, share: float = 0.5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A seeded ``share`` of the users with train events as members, the rest as non-members; both sorted."""
    if not 0 < share < 1:
        raise ValueError(f"member_split: share={share}, expected a number strictly between 0 and 1")
    users = np.flatnonzero(np.diff(split.train.indptr) > 0)
    chosen = np.random.default_rng(seed).random(len(users)) < share
    return np.sort(users[chosen]), np.sort(users[~chosen])


def threshold_attack(member_scores: np.ndarray, nonmember_scores: np.ndarray, n_boot: int = 1000,
                     seed: int = 0) -> dict[str, float]:
    """Attack quality when a higher score means "member" (for a loss attack, pass the negated loss).

    Returns :func:`recnb.evaluate.binary_metrics` (ROC AUC and PR AUC with 95% bootstrap CIs, positive rate)
    and ``advantage``, the best TPR - FPR over thresholds (Yeom et al.'s membership advantage).
    """
    y = np.r_[np.ones(len(member_scores), bool), np.zeros(len(nonmember_scores), bool)]
    s = np.r_[np.asarray(member_scores, float), np.asarray(nonmember_scores, float)]
    fpr, tpr, _ = roc_curve(y, s)
    return {**binary_metrics(y, s, n_boot, seed), "advantage": float(np.max(tpr - fpr))}


def attack_runs(runs: list[PrivateRun], split: Split, nonmembers: np.ndarray, n_boot: int = 1000,
                seed: int = 0) -> pd.DataFrame:
    """The loss-threshold attack on each run (members: the run's training users; non-members: ``nonmembers``)
    beside the run's utility: one row per run with ``model``, ``epsilon`` (target, ``inf`` without privacy),
    ``ndcg@10`` (test, all users) with its CI, ``auc`` with its CI and ``advantage``."""
    rows = []
    for r in runs:
        member_loss = user_losses(r.model, split.train, r.members)
        other_loss = user_losses(r.model, split.train, nonmembers)
        attack = threshold_attack(-member_loss, -other_loss, n_boot, seed)
        s = r.evaluation.summary(n_boot, seed).set_index("metric").loc["ndcg@10"]
        rows.append({"model": r.name, "epsilon": r.target_epsilon, "ndcg@10": s["mean"], "ndcg ci_low": s["ci_low"],
                     "ndcg ci_high": s["ci_high"], "auc": attack["auc"], "auc_low": attack["auc_low"],
                     "auc_high": attack["auc_high"], "advantage": attack["advantage"],
                     "member loss": float(member_loss.mean()), "non-member loss": float(other_loss.mean())})
    return pd.DataFrame(rows)


def privacy_verdict(table: pd.DataFrame) -> str:
    """Sentences computed from :func:`attack_runs`: for each private model, the NDCG@10 it loses against
    the non-private one and the attack AUC above chance (0.5) it removes; whether each attack beats chance
    (its AUC CI lies above 0.5)."""
    base = table[np.isinf(table["epsilon"].to_numpy(float))]
    if base.empty:
        raise ValueError("privacy_verdict: the table has no non-private run (epsilon = inf)")
    b = base.iloc[0]

    def beats(row: pd.Series) -> str:
        return (f"AUC {row['auc']:.3f} [{row['auc_low']:.3f}, {row['auc_high']:.3f}], "
                f"{'better than chance' if row['auc_low'] > 0.5 else 'not distinguishable from chance'}")

    lines = [f"Without privacy: NDCG@10 {b['ndcg@10']:.4f}; the membership attack reaches {beats(b)}."]
    for _, r in table[~np.isinf(table["epsilon"].to_numpy(float))].sort_values("epsilon").iterrows():
        lost = b["ndcg@10"] - r["ndcg@10"]
        share = lost / b["ndcg@10"] if b["ndcg@10"] > 0 else np.nan
        saved = (b["auc"] - 0.5) - (r["auc"] - 0.5)
        edge = b["auc"] - 0.5
        lines.append(f"ε = {r['epsilon']:g}: NDCG@10 {r['ndcg@10']:.4f}, {lost:+.4f} lost ({share:.0%} of the "
                     f"non-private utility); attack {beats(r)}, {saved:+.3f} AUC removed"
                     f"{f' ({saved / edge:.0%} of its edge over chance)' if edge > 0 else ''}.")
    return "\n".join(lines)


__all__ = ["member_split", "threshold_attack", "attack_runs", "privacy_verdict"]
