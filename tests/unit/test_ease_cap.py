"""EASE fits the whole catalogue by default; a cap is explicit and says how many targets it cuts off."""

from __future__ import annotations

import numpy as np

from recnb.data.split import leave_last_out
from recnb.models.baselines import EASE


def test_ease_default_covers_the_catalogue_and_a_cap_counts_what_it_cuts(sim_small):
    split = leave_last_out(sim_small)
    full = EASE(lambdas=(100.0,)).fit(split)
    assert len(full.items_) == split.n_items and full.uncovered_targets() == 0
    assert full.info_["test targets cut off"] == 0 and full.info_["cap"] is None

    cap = 60
    capped = EASE(lambdas=(100.0,), max_items=cap).fit(split)
    _, targets = split.target("test")
    outside = ~np.isin(targets, capped.items_)
    assert len(capped.items_) == cap and 0 < outside.sum() < len(targets)
    assert capped.uncovered_targets() == int(outside.sum()) == capped.info_["test targets cut off"]
    assert capped.uncovered_targets(split, "valid") == int((~np.isin(split.target("valid")[1], capped.items_)).sum())
    # an item outside the cap scores below every modelled item
    s = capped.score(split.test_users[:5])
    assert (s[:, outside_items(capped, split)].max(1).values < s[:, capped.items_].min(1).values).all()


def outside_items(model: EASE, split) -> np.ndarray:
    return np.setdiff1d(np.arange(split.n_items), model.items_)
