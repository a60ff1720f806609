"""Evaluation: full-ranking metrics, statistics over users, and result tables.

* :mod:`~recnb.evaluate.ranking`: every catalogue item ranked for every evaluated user, history masked;
  tie-aware HR/NDCG/MRR@K and beyond-accuracy figures (:func:`evaluate`, :func:`evaluate_all`).
* :mod:`~recnb.evaluate.statistics`: bootstrap CIs, paired tests, Holm-Bonferroni (:func:`holm`),
  :func:`compare` (one reference against a family of models with a verdict in words) and
  :func:`power_law` (a log-log fit with bootstrap bands).
* :mod:`~recnb.evaluate.tables`: one row per model, tidy long form, results by user or item group.
* :mod:`~recnb.evaluate.names`: the metric names code reads (:data:`NDCG10`, :data:`HEADLINE`).
* :mod:`~recnb.evaluate.binary`: ROC-AUC and PR-AUC with bootstrap CIs (user-level classifiers).

Every public name is importable from ``recnb.evaluate`` itself.
"""

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
