"""Preprocessing, the evaluation protocol and the baselines to beat (notebook 02, article section 3.2.2).

Tidy tables and rendered sentences around :mod:`recnb.data.preprocess`, :mod:`recnb.data.split` and the
baselines of :func:`recnb.recipes.fit_baselines`: normalisation, the baselines chosen on validation, and the
next-purchase task on a shop log with whether its validation stage asks the test stage's question.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..evaluate.names import NDCG10, VALID_NDCG10
from .. import experiment
from ..data.preprocess import minmax, zscore
from ..data.split import Split, leakage_checks, stage_likeness
from ..evaluate import Evaluation, evaluate_all, results_table
from ..models.base import Fitted
from ..profile import Profile
from ..prose import num
from ..recipes import fit_baselines

STAGE_TOLERANCE = 0.15
"""Largest difference between the shares of validation and of test targets already in the user's history
for which the two stages count as alike (passed to :func:`~recnb.data.split.stage_likeness`)."""


def normalisation(events: pd.DataFrame, event: str = "rating") -> pd.DataFrame:
    """Mean, std, min and max of the ``value`` of ``event`` rows raw, Z-scored and min-maxed (columns)."""
    r = events.loc[events["event"] == event, "value"]
    norm = pd.DataFrame({"raw": r.to_numpy(), "z-score": zscore(r), "min-max": minmax(r)})
    return norm.describe().loc[["mean", "std", "min", "max"]]


FEATURES = ("events", "active_days", "recency_days", "gap_seconds_median", "category_entropy", "rating_mean")
"""User features notebook 02 plots, when the data have them."""


def present_features(feats: pd.DataFrame, wanted: tuple[str, ...] = FEATURES) -> list[str]:
    """The columns of ``wanted`` that ``feats`` holds with at least one value (time features are all NaN on a
    log without a clock, rating habits on a log without ratings)."""
    return [c for c in wanted if c in feats.columns and feats[c].notna().any()]


def median_train_user(split: Split) -> int:
    """The index of a user with the median number of train events (for the timeline figure)."""
    return int(np.argsort(split.sequences("train").lengths(), kind="stable")[split.n_users // 2])


def baseline_table(models: dict[str, Fitted], split: Split, evals: dict[str, Evaluation], n_boot: int,
                   seed: int = 0) -> pd.DataFrame:
    """One row per model: test ``ndcg@10``, ``hr@10``, ``mrr@10`` with CIs (from ``evals``) and the model's
    ``valid ndcg@10`` (evaluated here on the validation targets, history = train), with the numbers of
    ``valid users`` and ``test users``; sorted by validation NDCG@10 (the order of selection)."""
    valid = evaluate_all(models, split, stage="valid")
    table = results_table(list(evals.values()), n_boot=n_boot, seed=seed)
    table.insert(1, VALID_NDCG10, table["model"].map({k: v.per_user[NDCG10].mean() for k, v in valid.items()}))
    table["valid users"] = len(split.valid_users)
    table["test users"] = len(split.test_users)
    return table.sort_values(VALID_NDCG10, ascending=False, kind="stable").reset_index(drop=True)


def choices(models: dict[str, Fitted]) -> pd.DataFrame:
    """Each baseline's choice made on validation NDCG@10 during fitting: ``model``, ``setting``, ``chosen``,
    ``valid ndcg@10`` of the choice and ``candidates`` (how many values were tried)."""
    rows = []
    if "ease" in models:
        m = models["ease"]
        rows.append({"model": "ease", "setting": "λ", "chosen": f"{m.lambda_:g}", VALID_NDCG10: m.scores_[m.lambda_],
                     "candidates": len(m.scores_)})
    if "itemknn" in models:
        m = models["itemknn"]
        rows.append({"model": "itemknn", "setting": "k, shrink", "chosen": f"{m.k_}, {m.shrink_:g}",
                     VALID_NDCG10: m.scores_[(m.k_, m.shrink_)], "candidates": len(m.scores_)})
    if "bpr" in models:
        fit = models["bpr"].fit_
        rows.append({"model": "bpr", "setting": "epoch", "chosen": str(fit.best_epoch),
                     VALID_NDCG10: fit.best_score,
                     "candidates": len(fit.history)})
    return pd.DataFrame(rows)


def stage_sentence(split: Split, table: pd.DataFrame, tolerance: float = STAGE_TOLERANCE) -> str:
    """Markdown: whether the validation stage of ``split`` is like its test stage (shares of targets already
    in the user's history, :func:`~recnb.data.split.stage_likeness`), how the validation stage was chosen
    when the split says so, and whether the model chosen on validation is also the best on test
    (``table`` from :func:`baseline_table`)."""
    s = stage_likeness(split, tolerance).iloc[0]
    verdict = "alike" if s["alike"] else "NOT alike"
    out = [f"**{split.name}: validation and test stages are {verdict}**: {s['valid']:.1%} of the "
           f"{len(split.valid_users):,} validation targets and {s['test']:.1%} of the {len(split.test_users):,} "
           f"test targets were already in the user's history (tolerance {tolerance:.0%})."]
    if "validation stage" in split.info:
        out.append(f"Validation targets: {split.info['validation stage']}.")
    chosen = table.loc[table[VALID_NDCG10].idxmax(), "model"]
    best_test = table.loc[table[NDCG10].idxmax(), "model"]
    same = "also the best on test NDCG@10" if chosen == best_test else f"not the best on test NDCG@10 ({best_test} is)"
    out.append(f"The model chosen on validation NDCG@10, **{chosen}**, is {same}; "
               f"Spearman correlation of the models' validation and test NDCG@10: "
               f"{num(table[VALID_NDCG10].corr(table[NDCG10], method='spearman'), 2)}.")
    return " ".join(out)


@dataclass(frozen=True)
class ShopStudy:
    """The baselines on one shop log's next-purchase task: the ``split``, its ``checks``
    (:func:`~recnb.data.split.leakage_checks`), test ``evals``, the ``table`` of :func:`baseline_table` and the
    fitted ``models``."""

    split: Split
    checks: pd.DataFrame
    evals: dict[str, Evaluation]
    table: pd.DataFrame
    models: dict[str, object]


def shop_study(shop: str, cfg: Profile, seed: int = 0, data_path: str = "") -> ShopStudy:
    """Prepare ``shop`` with purchases as targets (:func:`recnb.experiment.prepare`: on the logs of
    :data:`~recnb.experiment.NEW_ITEM_TARGETS` the validation targets are picked like the test targets),
    check it for leakage, fit the four baselines and evaluate them on validation and test."""
    split = experiment.prepare(shop, data_path or None, target="purchase")
    checks = leakage_checks(split)
    models = fit_baselines(split, cfg, seed=seed)
    evals = experiment.baseline_evaluations(split, cfg, seed, models=models)
    return ShopStudy(split, checks, evals, baseline_table(models, split, evals, cfg.n_boot, seed), models)


__all__ = ["STAGE_TOLERANCE", "normalisation", "FEATURES", "present_features", "median_train_user", "baseline_table",
           "choices", "stage_sentence", "ShopStudy", "shop_study"]
