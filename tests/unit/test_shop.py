"""The e-commerce case study's parts: funnel with Wilson CIs, the re-find baseline, purchases-only input,
new users held out and revealed, and faithful explanations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from recnb.analysis.new_users import category_precision, dominant_category, new_users
from recnb.analysis.explain import neighbours, occlusion
from recnb.analysis.funnel import conversion_funnel, wilson_ci
from recnb.data.schema import EVENT_TYPES
from recnb.data.split import restrict_inputs
from recnb.evaluate import beyond_accuracy, evaluate
from recnb.experiment import prepare_dataset
from recnb.models.baselines import EASE, ItemKNN, MostPopular, SeenItems
from recnb.models.fusion import ScoreEnsemble


@pytest.fixture(scope="module")
def shop(sim_small):
    return prepare_dataset(sim_small, target="purchase")


def test_wilson_interval_matches_the_textbook_values():
    lo, hi = wilson_ci(np.array([5, 0, 10]), np.array([10, 10, 10]))
    np.testing.assert_allclose(lo, [0.2366, 0.0, 0.7225], atol=1e-4)
    np.testing.assert_allclose(hi, [0.7634, 0.2775, 1.0], atol=1e-4)


def test_funnel_counts_pairs_per_stage_and_group():
    t = pd.Timestamp("2024-01-01", tz="UTC")
    ev = pd.DataFrame({
        "user_id": [1, 1, 1, 2, 2, 3, 3, 3],
        "item_id": [10, 10, 10, 10, 11, 11, 12, 12],
        "event": pd.Categorical(["view", "cart", "purchase", "view", "view", "view", "cart", "purchase"],
                                categories=list(EVENT_TYPES)),
        "timestamp": [t, t, t, t, t + pd.Timedelta(days=1), t + pd.Timedelta(days=1), t, t]})
    f = conversion_funnel(ev).iloc[0]
    # pairs: (1,10) v c p; (2,10) v; (2,11) v; (3,11) v; (3,12) c p (no view)
    assert (f["pairs"], f["view"], f["cart"], f["purchase"]) == (5, 4, 2, 2)
    assert f["cart|view"] == pytest.approx(1 / 4) and f["purchase|cart"] == pytest.approx(1.0)
    assert f["purchase|view"] == pytest.approx(1 / 4)
    daily = conversion_funnel(ev, by="day")
    assert daily["pairs"].tolist() == [3, 2]
    cats = conversion_funnel(ev, by="category", items=pd.DataFrame({"item_id": [10, 11, 12], "category": ["a", "b", "b"]}))
    assert cats.loc["b", "pairs"] == 3 and cats.loc["a", "cart|view"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="category"):
        conversion_funnel(ev, by="category")


def test_restrict_inputs_keeps_targets_and_users(shop):
    only = restrict_inputs(shop, ("purchase",))
    assert np.array_equal(only.test_users, shop.test_users) and np.array_equal(only.test_items, shop.test_items)
    assert np.array_equal(only.valid_users, shop.valid_users)
    hist = only.events[only.events["role"].isin(["train", "gap"])]
    assert set(hist["event"].unique()) <= {EVENT_TYPES.index("purchase")}
    assert only.info["input events removed"] == len(shop.events) - len(only.events) > 0
    assert only.history("test").sum() < shop.history("test").sum()
    assert only.mask("test").sum() == shop.mask("test").sum()  # purchases are masked the same way


def test_seen_items_rank_the_users_own_items_first_newest_first(shop):
    m = SeenItems(decays=(0.5,)).fit(shop)
    users = shop.test_users[:50]
    s = m.score(users, "test")
    seq = shop.sequences("test")
    for row, u in enumerate(users[:10]):
        items = seq.items[seq.offsets[u]:seq.offsets[u + 1]]
        seen = np.unique(items)
        others = np.setdiff1d(np.arange(shop.n_items), seen)
        assert s[row, seen].min() > s[row, others].max()
        assert s[row, items[-1]] == s[row].max()  # the newest event's item comes first
    # on the simulated shop a purchase follows a cart of the same item: re-finding beats popularity
    hr = {n: evaluate(x, shop).per_user["hr@10"].mean() for n, x in (("seen", m), ("pop", MostPopular().fit(shop)))}
    assert hr["seen"] > hr["pop"] + 0.2


def test_new_users_are_held_out_of_training_and_revealed_in_order(shop):
    nu = new_users(shop, levels=(1, 2, 5), fraction=0.5, seed=0)
    held = set(nu.users.tolist())
    base = nu.base
    assert held.isdisjoint(base.events[base.events["role"] != "test"]["u"].unique().tolist())
    assert held.isdisjoint(base.valid_users.tolist())
    assert base.train[nu.users].sum() == 0
    for n in (1, 2, 5):
        r = nu.reveal(n)
        assert np.array_equal(r.test_users, nu.users) and np.array_equal(r.test_items, nu.targets)
        seq = r.sequences("test")
        for j, u in enumerate(nu.users[:5]):
            assert seq.items[seq.offsets[u]:seq.offsets[u + 1]].tolist() == nu.first_items(n)[j].tolist()
        assert r.train.sum() == base.train.sum()  # revealing never adds training data
    first = nu.first_items(5)
    assert not (first == nu.targets[:, None]).any()  # the target is not among the revealed events


def test_bind_scores_a_new_user_from_the_revealed_history(shop):
    nu = new_users(shop, levels=(1, 5), fraction=0.5, seed=0)
    ease = EASE(lambdas=(50.0,)).fit(nu.base)
    r = nu.reveal(5)
    s = ease.bind(r).score(nu.users[:3], "test")
    x = torch.from_numpy(r.history("test")[nu.users[:3]].toarray())
    torch.testing.assert_close(s, x @ ease.weights_)
    assert not torch.equal(s, ease.score(nu.users[:3], "test"))  # the original still reads the base split
    ens = ScoreEnsemble({"ease": ease, "pop": MostPopular().fit(nu.base)}).bind(r)
    assert all(e.split_ is r for e in ens.encoders.values())
    ev = evaluate(ease.bind(r), r)
    p = category_precision(ev, r, nu.targets)
    assert p.shape == (len(nu.users),) and ((p >= 0) & (p <= 1)).all()
    cat, share = dominant_category(r, np.array([0, 0, 1]))
    assert share >= 1 / 3


def test_occlusion_equals_the_item_item_weights_for_linear_models(shop):
    ease = EASE(lambdas=(50.0,)).fit(shop)
    knn = ItemKNN(ks=(50,), shrinks=(0.0,)).fit(shop)
    u = int(shop.test_users[0])
    hist = np.unique(shop.history("test")[u].indices)
    for model, weights in ((ease, ease.weights_.numpy()), (knn, None)):
        item = int(model.score(np.array([u]), "test")[0].argmax())
        c = occlusion(model, shop, u, item).set_index("item")["contribution"]
        assert sorted(c.index) == sorted(hist.tolist())
        if weights is not None:
            np.testing.assert_allclose(c.loc[hist].to_numpy(), weights[hist, item], atol=1e-5)
        assert c.sum() == pytest.approx(float(model.score(np.array([u]), "test")[0, item]), abs=1e-4)


def test_neighbours_have_the_item_and_are_sorted(shop):
    v = torch.randn(shop.n_users, 8, generator=torch.Generator().manual_seed(0))
    item = int(np.asarray(shop.history("test").sum(0)).ravel().argmax())
    near = neighbours(v, shop, 0, item, k=4)
    assert len(near) == 4 and 0 not in near["user"].tolist()
    assert all(shop.history("test")[int(x), item] == 1 for x in near["user"])
    assert near["similarity"].is_monotonic_decreasing


def test_tail_share_counts_items_outside_the_top_fifth(shop):
    pop = shop.item_popularity()
    order = np.argsort(-pop, kind="stable")
    head, tail = order[:5], order[-5:]
    topk = np.stack([np.r_[head, tail], np.r_[head, head]])
    out = beyond_accuracy(topk, shop, ks=(10,))
    assert out["tail@10"] == pytest.approx(0.25)


def test_prepare_dataset_leaves_the_callers_dataset_alone(sim_small):
    events = sim_small.events
    s = prepare_dataset(sim_small, target="purchase")
    assert sim_small.events is events and s.targets == ("purchase",)
