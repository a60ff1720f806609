"""A user's recommendation list, shown with the dataset's own ids (strings such as ASINs stay strings)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ..data.split import Split
from ..evaluate.ranking import Scorer


def user_index(split: Split, user_id: object) -> int:
    """The split's row index of the user whose original id is ``user_id`` (KeyError when absent)."""
    index = pd.Index(split.user_ids)
    if user_id not in index:
        raise KeyError(f"user {user_id!r} is not in the split of {split.name!r} "
                       f"(ids look like {', '.join(map(repr, split.user_ids[:3]))})")
    return int(index.get_loc(user_id))


def recommendation_list(split: Split, model: Scorer, user_id: object, k: int = 10, stage: str = "test",
                        items: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ``k`` items ``model`` ranks highest for the user ``user_id`` (an original id) at ``stage``, with
    the user's past target-type items masked exactly as in evaluation.

    Args:
        model: a fitted model with ``score(users, stage)`` returning a (len(users), n_items) tensor.
        items: the dataset's item table; its other columns (title, category ...) are joined on.

    Returns:
        Columns ``rank`` (1 = best), ``item_id`` (the original id), ``score`` and the item attributes;
        shape (at most ``k``, 3 + attributes).
    """
    u = user_index(split, user_id)
    with torch.no_grad():
        scores = model.score(np.array([u]), stage=stage)[0].to(device="cpu", dtype=torch.float32).clone()
    seen = split.mask(stage)[u].indices
    scores[torch.from_numpy(seen.astype(np.int64))] = -torch.inf
    top = torch.topk(scores, min(k, split.n_items - len(seen)))
    idx = top.indices.numpy()
    out = pd.DataFrame({"rank": np.arange(1, len(idx) + 1), "item_id": split.item_ids[idx],
                        "score": top.values.numpy()})
    if items is not None and len(items):
        out = out.merge(items, on="item_id", how="left")
    return out


__all__ = ["recommendation_list", "user_index"]
