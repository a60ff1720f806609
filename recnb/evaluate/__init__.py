"""Evaluation: full-ranking metrics (:mod:`~recnb.evaluate.ranking`), statistics over users
(:mod:`~recnb.evaluate.statistics`), result tables (:mod:`~recnb.evaluate.tables`), the metric names code reads
(:mod:`~recnb.evaluate.names`) and ROC/PR-AUC of user-level classifiers (:mod:`~recnb.evaluate.binary`). Every
public name is importable from ``recnb.evaluate`` itself."""

from __future__ import annotations

from .binary import binary_metrics
from .names import HEADLINE, HR10, NDCG10, VALID_NDCG10
from .ranking import ACCURACY, KS, Evaluation, Scorer, beyond_accuracy, evaluate, evaluate_all, tie_aware_metrics
from .statistics import best_against, bootstrap_ci, compare, holm, paired_test, paired_verdict, power_law
from .tables import activity_groups, by_group, popularity_groups, results_table, tidy

__all__ = ["HEADLINE", "HR10", "NDCG10", "VALID_NDCG10", "ACCURACY", "KS", "Evaluation", "Scorer", "beyond_accuracy", "evaluate", "evaluate_all",
           "tie_aware_metrics", "binary_metrics", "best_against", "bootstrap_ci", "compare", "holm",
           "paired_test", "paired_verdict", "power_law", "activity_groups", "by_group", "popularity_groups",
           "results_table", "tidy"]
