"""Membership inference: what a private model leaks, measured: the loss threshold of Yeom et al. (CSF 2018)
and the likelihood-ratio attack LiRA with shadow models (Carlini et al., "Membership Inference Attacks From
First Principles", S&P 2022).

The attacker knows a user's interaction row and asks whether that user was in the training set. The
model of :mod:`recnb.privacy.dae` reconstructs a user's row from the row itself, so its loss on the row
(:func:`~recnb.privacy.dae.user_losses`, per item) is lower for users it was trained on if it memorised
them. Yeom et al.'s attack predicts "member" when the loss is below a threshold; over all thresholds its
quality is the ROC AUC of the negated loss (0.5: the attacker learns nothing) and its membership advantage
is the best TPR - FPR.

Protocol: :func:`member_split` draws a seeded half of the users with train events as members; the models
are trained on the members' train rows only (``train_private(..., members=...)``) and attacked on members
against non-members, whose rows the model never saw, so both groups come from the same population.

LiRA (:func:`train_shadows`, :class:`Shadows`, :func:`lira_runs`) calibrates per user what the loss
threshold is blind to (a mainstream user has a low loss whether or not they were trained on), with shadow
models each trained on a random half of the population; it must be read at a low false positive rate (TPR at
1% FPR, :func:`attack_metrics`), where an average-case AUC hides whether any user is exposed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.metrics import roc_curve

from ..evaluate.names import NDCG10
from ..data.split import Split
from ..evaluate import binary_metrics
from ..models.autoencoder import MultVAE
from .dae import DAEConfig, build_dae, train_epochs, user_losses
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
        s = r.evaluation.summary(n_boot, seed).set_index("metric").loc[NDCG10]
        rows.append({"model": r.name, "epsilon": r.target_epsilon, NDCG10: s["mean"], "ndcg ci_low": s["ci_low"],
                     "ndcg ci_high": s["ci_high"], "auc": attack["auc"], "auc_low": attack["auc_low"],
                     "auc_high": attack["auc_high"], "advantage": attack["advantage"],
                     "member loss": float(member_loss.mean()), "non-member loss": float(other_loss.mean())})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------------------
# LiRA: the likelihood-ratio attack with shadow models (Carlini et al., S&P 2022)


def _resample_counts(n_members: int, n_others: int, n_boot: int, seed: int) -> np.ndarray:
    """Bootstrap multiplicities (n_boot, n_members + n_others), members and non-members resampled apart
    (so every resample keeps both groups at their sizes)."""
    rng = np.random.default_rng(seed)
    out = np.zeros((n_boot, n_members + n_others))
    for lo, n in ((0, n_members), (n_members, n_others)):
        idx = rng.integers(0, n, (n_boot, n)) + lo
        np.add.at(out, (np.repeat(np.arange(n_boot), n), idx.ravel()), 1.0)
    return out


def _roc_points(scores: np.ndarray, y: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each row of ``weights`` (n_boot, n): the ROC AUC (ties counted half), and the FPR and TPR at every
    distinct threshold (shape (n_boot, n_thresholds), thresholds in descending score order)."""
    order = np.argsort(-scores, kind="stable")
    s, pos = scores[order], y[order]
    w = weights[:, order]
    group = np.r_[0, np.cumsum(s[1:] != s[:-1])]
    n_groups = group[-1] + 1
    wp, wn = np.zeros((len(w), n_groups)), np.zeros((len(w), n_groups))
    np.add.at(wp.T, group[pos], w[:, pos].T)
    np.add.at(wn.T, group[~pos], w[:, ~pos].T)
    tot_p, tot_n = wp.sum(1, keepdims=True), wn.sum(1, keepdims=True)
    tpr, fpr = np.cumsum(wp, 1) / tot_p, np.cumsum(wn, 1) / tot_n
    neg_below = tot_n - np.cumsum(wn, 1)
    auc = (wp * (neg_below + 0.5 * wn)).sum(1) / (tot_p * tot_n).ravel()
    return auc, fpr, tpr


def attack_metrics(member_scores: np.ndarray, nonmember_scores: np.ndarray, n_boot: int = 1000, seed: int = 0,
                   fpr: float = 0.01, baseline: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, float]:
    """Quality of a membership attack whose higher score means "member": ROC ``auc`` and ``tpr@fpr`` (the true
    positive rate at a false positive rate of at most ``fpr``, the low-FPR regime Carlini et al. argue an
    attack must be judged in; chance: ``fpr``), each with a 95% bootstrap CI (members and non-members
    resampled apart), and ``advantage`` (best TPR - FPR). With ``baseline`` (the scores of another attack or
    model on the same members and non-members): ``auc minus baseline`` with its paired CI (the same
    resamples for both)."""
    m, o = np.asarray(member_scores, float), np.asarray(nonmember_scores, float)
    y = np.r_[np.ones(len(m), bool), np.zeros(len(o), bool)]
    s = np.r_[m, o]
    weights = np.vstack([np.ones((1, len(y))), _resample_counts(len(m), len(o), n_boot, seed)])
    auc, f, t = _roc_points(s, y, weights)
    tpr = np.where(f <= fpr + 1e-12, t, 0.0).max(1)  # per row, at FPR <= fpr (0 if none)
    out = {"auc": float(auc[0]), "auc_low": float(np.quantile(auc[1:], 0.025)),
           "auc_high": float(np.quantile(auc[1:], 0.975)), "tpr@fpr": float(tpr[0]),
           "tpr_low": float(np.quantile(tpr[1:], 0.025)), "tpr_high": float(np.quantile(tpr[1:], 0.975)),
           "advantage": float(np.max(t[0] - f[0])), "fpr": fpr}
    if baseline is not None:
        b_auc = _roc_points(np.r_[np.asarray(baseline[0], float), np.asarray(baseline[1], float)], y, weights)[0]
        d = auc - b_auc
        out |= {"auc minus baseline": float(d[0]), "minus low": float(np.quantile(d[1:], 0.025)),
                "minus high": float(np.quantile(d[1:], 0.975))}
    return out


def shadow_membership(n_users: int, n_shadows: int, seed: int = 0) -> np.ndarray:
    """Which users each shadow model trains on, shape (n_shadows, n_users), boolean: every user is in
    exactly half of the shadows (``n_shadows`` even, at least 4, so that each side has two models per user to
    estimate a spread from), drawn at random per user as in Carlini et al."""
    if n_shadows < 4 or n_shadows % 2:
        raise ValueError(f"shadow_membership: n_shadows={n_shadows}, expected an even number of at least 4")
    rng = np.random.default_rng([seed, 31])
    return (np.argsort(rng.random((n_users, n_shadows)), axis=1) < n_shadows // 2).T


def member_statistic(model: MultVAE, matrix: sp.csr_matrix, users: np.ndarray) -> np.ndarray:
    """LiRA's per-user statistic φ: the mean log-probability the model gives the user's own items when it
    reads the user's row (the negated per-item loss of :func:`~recnb.privacy.dae.user_losses`), shape
    (len(users),). It plays the part of the logit-scaled confidence of a classifier: a sum of log-softmax
    terms, close to Gaussian over models, which is what the attack fits."""
    return -user_losses(model, matrix, users)


@dataclass
class Shadows:
    """Shadow models of LiRA: ``inside`` (n_shadows, n_users) says which users each one trained on, ``phi``
    (n_shadows, n_users) the statistic of every user under each, ``seconds`` their training time."""

    inside: np.ndarray
    phi: np.ndarray
    seconds: float

    def likelihood_ratio(self, phi: np.ndarray, users: np.ndarray) -> np.ndarray:
        """The online LiRA score of ``users`` given their statistic ``phi`` under the target model:
        log N(φ; μ_in(u), σ_in²) - log N(φ; μ_out(u), σ_out²), with per-user means over the shadows that
        did (in) and did not (out) train on u and one variance per side pooled over users (the fixed-variance
        variant Carlini et al. use with few shadows). Shape (len(users),)."""
        x, inside = self.phi[:, users], self.inside[:, users]
        n_in, n_out = inside.sum(0), (~inside).sum(0)
        mu_in = np.where(inside, x, 0).sum(0) / np.maximum(n_in, 1)
        mu_out = np.where(~inside, x, 0).sum(0) / np.maximum(n_out, 1)
        var_in = float(np.where(inside, (x - mu_in) ** 2, 0).sum() / max(int(n_in.sum() - len(users)), 1))
        var_out = float(np.where(~inside, (x - mu_out) ** 2, 0).sum() / max(int(n_out.sum() - len(users)), 1))
        phi = np.asarray(phi, float)
        return (-(phi - mu_in) ** 2 / (2 * var_in) - 0.5 * np.log(var_in)
                + (phi - mu_out) ** 2 / (2 * var_out) + 0.5 * np.log(var_out))


def train_shadows(split: Split, users: np.ndarray, n_shadows: int, epochs: int, config: DAEConfig = DAEConfig(),
                  seed: int = 0) -> Shadows:
    """``n_shadows`` Mult-DAEs trained exactly as the non-private target of :func:`~recnb.privacy.dp.train_private`
    (same architecture, Adam kept over ``epochs`` epochs, last weights) but each from its own seed on its own
    random half of ``users`` (:func:`shadow_membership`): the attacker knows the training recipe and the
    population's rows, not the target's members or initial weights. Statistics of all ``users``."""
    users = np.sort(np.asarray(users))
    inside = np.zeros((n_shadows, split.n_users), bool)
    inside[:, users] = shadow_membership(len(users), n_shadows, seed)
    phi = np.zeros((n_shadows, split.n_users))
    t0 = time.perf_counter()
    for k in range(n_shadows):
        s = int(np.random.SeedSequence([seed, 1031, k]).generate_state(1)[0] % 2**31)
        model = build_dae(split.n_items, config, s)
        train_epochs(model, split.train, np.flatnonzero(inside[k]), epochs, config, s)
        phi[k, users] = member_statistic(model, split.train, users)
    return Shadows(inside, phi, time.perf_counter() - t0)


def lira_runs(runs: list[PrivateRun], split: Split, nonmembers: np.ndarray, shadows: Shadows, n_boot: int = 1000,
              seed: int = 0, fpr: float = 0.01) -> pd.DataFrame:
    """Two attacks on each run, beside its utility: ``attack`` = "loss threshold" (Yeom et al.) and "LiRA"
    (online, with ``shadows`` trained like the non-private model). Members: the run's training users;
    non-members: ``nonmembers``. One row per (run, attack): ``model``, ``epsilon`` (``inf`` without privacy),
    ``attack``, test ``ndcg@10`` with CI, :func:`attack_metrics` (``auc``, ``tpr@fpr`` with CIs,
    ``advantage``) and, for every DP run, the paired ``auc removed`` (non-private AUC - this AUC, same attack,
    same users) with its CI."""
    rows: list[dict[str, object]] = []
    base: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    ordered = sorted(runs, key=lambda r: -r.target_epsilon)  # the non-private run (inf) first
    if not np.isinf(ordered[0].target_epsilon):
        raise ValueError("lira_runs: the runs hold no non-private model (target epsilon inf)")
    for r in ordered:
        if not (np.array_equal(r.members, ordered[0].members)):
            raise ValueError("lira_runs: every run must be trained on the same members")
        m_phi = member_statistic(r.model, split.train, r.members)
        o_phi = member_statistic(r.model, split.train, nonmembers)
        scores = {"loss threshold": (m_phi, o_phi),
                  "LiRA": (shadows.likelihood_ratio(m_phi, r.members), shadows.likelihood_ratio(o_phi, nonmembers))}
        s = r.evaluation.summary(n_boot, seed).set_index("metric").loc[NDCG10]
        for attack, (ms, os_) in scores.items():
            private = not np.isinf(r.target_epsilon)
            a = attack_metrics(ms, os_, n_boot, seed, fpr, baseline=base[attack] if private else None)
            if not private:
                base[attack] = (ms, os_)
            row = {"model": r.name, "epsilon": r.target_epsilon, "attack": attack, NDCG10: s["mean"],
                   "ndcg ci_low": s["ci_low"], "ndcg ci_high": s["ci_high"], "auc": a["auc"], "auc_low": a["auc_low"],
                   "auc_high": a["auc_high"], "tpr@fpr": a["tpr@fpr"], "tpr_low": a["tpr_low"],
                   "tpr_high": a["tpr_high"], "advantage": a["advantage"]}
            if private:  # baseline minus this run: AUC removed, paired over the same resamples
                row |= {"auc removed": -a["auc minus baseline"], "removed low": -a["minus high"],
                        "removed high": -a["minus low"]}
            rows.append(row)
    return pd.DataFrame(rows)


def strongest_attack(table: pd.DataFrame) -> pd.Series:
    """The row of :func:`lira_runs` of the non-private model with the highest lower AUC bound (the attack
    whose evidence of leakage is strongest)."""
    base = table[np.isinf(table["epsilon"].to_numpy(float))]
    return base.loc[base["auc_low"].idxmax()]


def lira_verdict(table: pd.DataFrame, fpr: float = 0.01) -> str:
    """Sentences computed from :func:`lira_runs`, led by the strongest attack on the non-private model
    (:func:`strongest_attack`). Leakage is claimed only when its AUC CI lies above 0.5; then each DP run is
    read through the AUC it removes (paired CI) and whether its own AUC CI still lies above 0.5. Without
    leakage the sentence says that the strongest attack tried finds none at this scale."""
    best = strongest_attack(table)

    def auc(row: pd.Series) -> str:
        return f"AUC {row['auc']:.3f} [{row['auc_low']:.3f}, {row['auc_high']:.3f}]"

    def tpr(row: pd.Series) -> str:
        return (f"TPR at {fpr:.0%} FPR {row['tpr@fpr']:.3f} [{row['tpr_low']:.3f}, {row['tpr_high']:.3f}] "
                f"(chance: {fpr:.3f})")

    if not best["auc_low"] > 0.5:
        return (f"The strongest attack tried on the non-private model, {best['attack']}, reaches {auc(best)} and "
                f"{tpr(best)}: its CI includes 0.5, so at this scale no attack tried shows membership leakage, "
                f"and what DP removes cannot be read from these attacks.")
    lines = [f"Leakage shown: {best['attack']} on the non-private model reaches {auc(best)} (the CI lies above "
             f"0.5) and {tpr(best)}."]
    same = table[(table["attack"] == best["attack"]) & ~np.isinf(table["epsilon"].to_numpy(float))]
    for _, r in same.sort_values("epsilon").iterrows():
        lo, hi = r["removed low"], r["removed high"]
        effect = ("removes part of it" if lo > 0 and r["auc_low"] > 0.5 else
                  "removes it down to chance" if lo > 0 else
                  "changes nothing measurable" if lo <= 0 <= hi else "makes it stronger")
        lines.append(f"ε = {r['epsilon']:g}: {auc(r)}, {tpr(r)}; DP {effect} "
                     f"({r['auc removed']:+.3f} AUC removed [{lo:+.3f}, {hi:+.3f}]).")
    return "\n".join(lines)


__all__ = ["member_split", "threshold_attack", "attack_runs", "attack_metrics", "shadow_membership",
           "member_statistic", "Shadows", "train_shadows", "lira_runs", "strongest_attack", "lira_verdict"]
