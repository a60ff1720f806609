"""Notebook 02's tables (recnb.analysis.preprocessing): validation beside test, selection order, choices made
on validation, and the computed sentence on whether the stages are alike."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recnb.analysis import preprocessing as prep
from recnb.data import Dataset
from recnb.data.split import leave_last_out
from recnb.evaluate import evaluate_all
from recnb.models.baselines import EASE, MostPopular


def test_baseline_table_puts_validation_beside_test_and_sorts_by_validation(sim_small):
    split = leave_last_out(sim_small, target="purchase")
    models = {"pop": MostPopular().fit(split), "ease": EASE().fit(split)}
    evals = evaluate_all(models, split)
    table = prep.baseline_table(models, split, evals, n_boot=50)
    assert {"valid ndcg@10", "ndcg@10", "ndcg@10 CI", "valid users", "test users"} <= set(table.columns)
    assert table["valid ndcg@10"].is_monotonic_decreasing
    assert table["test users"].iloc[0] == len(split.test_users)
    ease = prep.choices(models).set_index("model").loc["ease"]
    assert ease["valid ndcg@10"] == max(models["ease"].scores_.values()) and ease["candidates"] > 1


def _refind_shop() -> Dataset:
    # user 1 buys new items only; user 2 validates on an item viewed before, its test item is new
    ev = pd.DataFrame({"user_id": [1] * 5 + [2] * 4, "item_id": [10, 11, 12, 13, 14, 20, 20, 21, 22],
                       "event": ["view", "purchase", "view", "purchase", "purchase",
                                 "view", "purchase", "view", "purchase"],
                       "value": 1.0, "timestamp": np.arange(9) * 60 + 1_500_000_000})
    return Dataset("shop", ev)


def test_stage_sentence_says_whether_the_stages_are_alike():
    table = pd.DataFrame({"model": ["a", "b"], "valid ndcg@10": [0.2, 0.1], "ndcg@10": [0.1, 0.3]})
    plain = leave_last_out(_refind_shop(), target="purchase")
    assert "are NOT alike" in prep.stage_sentence(plain, table, tolerance=0.1)
    new = leave_last_out(_refind_shop(), target="purchase", new_items=True)
    text = prep.stage_sentence(new, table, tolerance=0.1)
    assert "are alike" in text and "**a**, is not the best on test NDCG@10 (b is)" in text
