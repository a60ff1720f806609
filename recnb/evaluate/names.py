"""The names of the ranking metrics :func:`recnb.evaluate.ranking.tie_aware_metrics` writes (``f"{metric}@{k}"``),
for code that reads one: the study's headline metric and early-stopping criterion is :data:`NDCG10`."""

NDCG10 = "ndcg@10"
HR10 = "hr@10"
VALID_NDCG10 = f"valid {NDCG10}"
"""The column of a training history and of the selection tables: the validation value of :data:`NDCG10`."""
HEADLINE = (NDCG10, HR10, "mrr@10")  # the columns of a results table and of the report's index

__all__ = ["NDCG10", "HR10", "VALID_NDCG10", "HEADLINE"]
