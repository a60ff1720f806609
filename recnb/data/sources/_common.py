"""Helpers shared by the source parsers."""

from __future__ import annotations

import pandas as pd


def ledger_row(rule: str, rows_in: int, rows_out: int, detail: str) -> dict[str, object]:
    """One row of a cleaning ledger."""
    return {"rule": rule, "rows_in": rows_in, "rows_out": rows_out, "detail": detail}


def one_category_per_item(item_id: pd.Series, category: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The item table with one category per item: the most frequent (ties: smallest) of its labels.

    Returns ``(items, ledger)``; the ledger says how many items had more than one category.
    """
    pairs = pd.DataFrame({"item_id": item_id.to_numpy(), "category": category.to_numpy()})
    counts = pairs.value_counts(["item_id", "category"]).rename("n").reset_index()
    counts = counts.sort_values(["item_id", "n", "category"], ascending=[True, False, True])
    items = counts.drop_duplicates("item_id")[["item_id", "category"]].reset_index(drop=True)
    items["category"] = items["category"].astype("string")
    multi = int((counts.groupby("item_id").size() > 1).sum())
    ledger = pd.DataFrame([ledger_row("one category per item", len(counts), len(items),
                                      f"{multi} item(s) carried several categories; kept the most frequent")])
    return items, ledger
