"""The validation stage asks the test stage's question (issue 14, point 5).

Retailrocket's providers held out, per user, a purchase of an item the user never touched before; a
plain leave-last-out then validated on purchases of items already viewed or carted (a re-find task) and
every choice tuned on validation was tuned for another task. ``new_items=True`` picks validation targets
the way the test targets were picked, and ``leakage_checks`` reports whether the stages are alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recnb.data import Dataset
from recnb.data.split import leakage_checks, leave_last_out, stage_likeness
from tests.conftest import real


def _events() -> pd.DataFrame:
    # user 1: views 10, buys 10 (a re-find), buys 11 (new), views 12, buys 13 (new), buys 12 (re-find)
    return pd.DataFrame({"user_id": 1, "item_id": [10, 10, 11, 12, 13, 12],
                         "event": ["view", "purchase", "purchase", "view", "purchase", "purchase"],
                         "value": 1.0, "timestamp": np.arange(6) * 60 + 1_500_000_000})


def _shop() -> Dataset:
    return Dataset("shop", _events())


def test_new_item_targets_skip_items_already_touched():
    plain = leave_last_out(_shop(), target="purchase")
    assert plain.item_ids[plain.test_items].tolist() == [12]  # a re-find is eligible by default
    new = leave_last_out(_shop(), target="purchase", new_items=True)
    assert new.item_ids[new.test_items].tolist() == [13]
    assert new.item_ids[new.valid_items].tolist() == [11]
    # the whole history is masked (a viewed item is never a target there), the default masks purchases
    assert new.mask("test").sum() == new.history("test").sum()
    assert plain.mask("test").sum() < plain.history("test").sum()


def test_stage_likeness_flags_a_refind_validation_against_a_new_item_test():
    ev = pd.concat([_events().iloc[:5],  # valid = 11 (new) ... test = 13 (new): alike
                    pd.DataFrame({"user_id": 2, "item_id": [20, 20, 21], "event": ["view", "purchase", "purchase"],
                                  "value": 1.0, "timestamp": np.arange(3) * 60 + 1_500_000_000})])
    split = leave_last_out(Dataset("shop", ev), target="purchase")
    seen = stage_likeness(split).iloc[0]
    assert seen["valid"] == 0.5 and seen["test"] == 0.0 and not seen["alike"]  # user 2 validates on a re-find
    assert not leakage_checks(split).set_index("check").loc["validation targets like test targets", "passed"]


def test_retailrocket_validation_is_like_its_test():
    ds = real("retailrocket")
    plain = leave_last_out(ds, target="purchase")
    assert not stage_likeness(plain)["alike"].iloc[0]  # the flaw the issue found
    split = leave_last_out(ds, target="purchase", new_items=True)
    seen = stage_likeness(split).iloc[0]
    assert seen["alike"] and seen["valid"] == seen["test"] == 0.0
    assert len(split.test_users) == 2174  # every provider test target is still the test target
    assert leakage_checks(split)["passed"].all()
