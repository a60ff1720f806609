"""The split leaks nothing: targets are never in train, the test event is never earlier than train."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recnb.data import Dataset
from recnb.data.split import leave_last_out, time_cut_split
from tests.conftest import real


def check_no_leakage(split, same_type_only: bool) -> None:
    ev = split.events
    train = ev[ev.role == "train"]
    target_codes = ev[ev.role.isin(["valid", "test"])].event.unique()
    pool = train[train.event.isin(target_codes)] if same_type_only else train
    train_pairs = set(zip(pool.u, pool.i))
    for stage in ("valid", "test"):
        users, items = split.target(stage)
        assert not any((u, i) in train_pairs for u, i in zip(users, items)), stage
    # time: per user, the test event is not earlier than any train (or valid, or gap) event
    t = ev.assign(t=ev.t.fillna(np.inf))
    last_hist = t[t.role != "test"].groupby("u").t.max()
    test_t = t[t.role == "test"].set_index("u").t
    common = test_t.index.intersection(last_hist.index)
    assert (test_t.loc[common] >= last_hist.loc[common]).all()
    valid_t = t[t.role == "valid"].set_index("u").t
    last_train = t[t.role == "train"].groupby("u").t.max()
    common = valid_t.index.intersection(last_train.index)
    assert (valid_t.loc[common] >= last_train.loc[common]).all()
    # training never contains gap, valid or test events
    assert split.train.sum() == len(train[["u", "i"]].drop_duplicates())


def test_ml100k_leave_last_out(ml100k):
    split = leave_last_out(ml100k)
    check_no_leakage(split, same_type_only=False)
    assert len(split.test_users) == len(split.valid_users) == 943
    assert (split.events.role == "train").sum() == 100_000 - 2 * 943
    assert split.history("test").sum() == split.train.sum() + 943  # + the validation targets


@pytest.mark.parametrize("name", ["taobao", "retailrocket"])
def test_next_purchase_split(name):
    split = leave_last_out(real(name), target="purchase")
    check_no_leakage(split, same_type_only=True)
    purchase = 3
    assert (split.events[split.events.role.isin(["valid", "test"])].event == purchase).all()
    # the mask holds past purchases only: a viewed item stays rankable
    assert split.mask("test").sum() < split.history("test").sum()


def test_ties_keep_file_order_and_untimed_last():
    ev = pd.DataFrame({"user_id": [1, 1, 1, 1], "item_id": [10, 11, 12, 13], "event": "view", "value": 1.0,
                       "timestamp": [None, 1_500_000_000, 1_500_000_000, 1_400_000_000]})
    split = leave_last_out(Dataset("t", ev))
    order = split.item_ids[split.events.i.to_numpy()].tolist()
    assert order == [13, 11, 12, 10]  # by time; equal times keep file order; untimed last
    assert split.item_ids[split.test_items].tolist() == [10]
    assert split.item_ids[split.valid_items].tolist() == [12]


def test_repeat_purchase_is_never_a_target():
    ev = pd.DataFrame({"user_id": [1] * 5, "item_id": [1, 2, 2, 3, 2], "event": ["view", "purchase", "view",
                       "purchase", "purchase"], "value": 1.0, "timestamp": np.arange(5) * 60 + 1_500_000_000})
    split = leave_last_out(Dataset("r", ev), target="purchase")
    assert split.item_ids[split.test_items].tolist() == [3]
    assert split.item_ids[split.valid_items].tolist() == [2]
    assert split.info["events dropped after the test target"] == 1


def test_sequences_match_history(ml100k):
    split = leave_last_out(ml100k)
    seq = split.sequences("train")
    assert seq.lengths().sum() == (split.events.role == "train").sum()
    assert (np.nan_to_num(seq.gaps, nan=0) >= 0).all()
    test_seq = split.sequences("test")
    assert (test_seq.lengths() - seq.lengths()).max() == 1  # + the validation target


def test_time_cut(ml100k):
    split = time_cut_split(ml100k, "1998-03-01", "1998-04-01")
    ev = split.events
    cut = pd.Timestamp("1998-03-01", tz="UTC").timestamp()
    assert (ev[ev.role == "train"].t < cut).all()
    assert (ev[ev.role == "test"].t >= pd.Timestamp("1998-04-01", tz="UTC").timestamp()).all()
    check_no_leakage(split, same_type_only=False)


def test_random_holdout_is_seeded_and_holds_out_one_pair_per_user():
    from recnb.data.simulate import simulate
    from recnb.data.split import random_holdout

    ds = simulate(n_users=100, n_items=60, n_categories=4, n_clusters=2, cats_per_cluster=2, mean_views=10, seed=3)
    ds.events = ds.events[ds.events["event"] == "view"]
    a, b, c = random_holdout(ds, 0), random_holdout(ds, 0), random_holdout(ds, 1)
    np.testing.assert_array_equal(a.test_items, b.test_items)
    assert not np.array_equal(a.test_items, c.test_items)
    assert len(np.unique(a.test_users)) == len(a.test_users)
    hist = a.history("test")
    assert np.all(np.asarray(hist[a.test_users, a.test_items]).ravel() == 0)
    assert "random hold-out" in a.protocol
