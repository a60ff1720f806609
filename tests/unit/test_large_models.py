"""Notebook 09's analysis glue (recnb.analysis.text_study) on a small simulated log with planted item text:
no encoder needed (one-hot "embeddings" of the planted categories stand in for it)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recnb.analysis import text_study as lm
from recnb.data.simulate import simulate
from recnb.data.split import leave_last_out
from recnb.evaluate import compare
from recnb.profile import PROFILES


@pytest.fixture(scope="module")
def sim():
    ds = simulate(n_users=200, n_items=120, n_categories=6, n_clusters=3, cats_per_cluster=2, mean_views=20,
                  p_follow=0.0, p_cart=0.0, focus=0.9, seed=5)
    ds.items = ds.items.assign(title=[f"item {i}" for i in range(len(ds.items))], genres=ds.items["category"])
    return ds


@pytest.fixture(scope="module")
def split(sim):
    return leave_last_out(sim)


@pytest.fixture(scope="module")
def emb(sim, split):
    """Unit one-hot vectors of each item's planted category plus a little noise, in the split's order."""
    cat = sim.items.set_index("item_id")["category"].reindex(split.item_ids)
    onehot = pd.get_dummies(cat).to_numpy(dtype=np.float32)
    onehot += np.random.default_rng(0).normal(0, 0.05, onehot.shape).astype(np.float32)
    return onehot / np.linalg.norm(onehot, axis=1, keepdims=True)


def test_text_subset_keeps_the_most_popular_items(sim):
    sub = lm.text_subset(sim, 30)
    users = sim.events.groupby("item_id")["user_id"].nunique()
    assert set(sub.events["item_id"]) == set(sub.items["item_id"]) and sub.events["item_id"].nunique() == 30
    assert users.loc[sorted(set(sub.events["item_id"]))].min() >= users.drop(sub.events["item_id"].unique()).max()
    assert lm.text_subset(sim, 0) is sim and len(sim.events) > len(sub.events)


def test_nearest_titles_exclude_the_anchor_and_follow_the_embedding(sim, split, emb):
    texts = sim.items.set_index("item_id")["category"].astype(str)
    table = lm.nearest_titles(emb, split, texts, np.array([0, 1]), k=3)
    assert table.shape == (3, 2) and list(table.columns) == texts.loc[split.item_ids[[0, 1]]].tolist()
    for j in (0, 1):  # neighbours by planted category: the same category as the anchor
        assert (table.iloc[:, j] == table.columns[j]).all()


def test_text_map_and_overlap_summary(sim, split, emb):
    points = lm.text_map(emb, split, sim.items)
    assert points.shape == (split.n_items, 4) and points["genre"].isin(set(sim.items["category"])).all()
    overlap = pd.DataFrame({"overlap": [0.2, 0.4, 0.6], "chance": 0.05})
    s = lm.overlap_summary(overlap, n_boot=200)
    assert s["mean"] == pytest.approx(0.4) and s["ci_low"] <= 0.4 <= s["ci_high"] and s["items"] == 3


def test_cold_study_text_beats_random_and_the_id_model_is_at_chance(sim, split, emb):
    cfg = PROFILES["smoke"]
    study = lm.cold_study(split, emb, sim.items, cfg, cold_seed=0, sequences=False, progress=False)
    assert set(study.cold.test) == {"text-zeroshot", "pop-genre", "random"}
    assert set(study.mixed.test) == {"ease", "text-zeroshot", "ease+text"}
    table, _ = compare(study.cold.test, "text-zeroshot", others=["random"], n_boot=200)
    assert lm.effect(table, "random").startswith("significantly above")
    parts = lm.split_by_target(study.mixed.test, study)
    n = len(study.mixed.test["ease"].users)
    assert sum(len(p["ease"].users) for p in parts.values()) == n
    assert max(study.hybrid_weights, key=study.hybrid_weights.get) in study.hybrid_weights
    spread = lm.cold_seed_table([study, lm.cold_study(split, emb, sim.items, cfg, cold_seed=1, sequences=False)])
    assert list(spread.columns) == ["cold seed 0", "cold seed 1", "mean", "std"] and (spread["std"] >= 0).all()
    table = lm.fits_table(study.cold, n_boot=100)
    assert table["valid ndcg@10"].is_monotonic_decreasing and table["ndcg@10"].between(0, 1).all()


def test_no_text_reasons_come_from_the_model_module():
    reasons = lm.no_text_reasons()
    assert len(reasons) == 2 and all("has no item text" in r for r in reasons)
    assert any("taobao" in r for r in reasons) and any("retailrocket" in r for r in reasons)


def test_sequence_variants_fit_all_three_and_flag_the_epoch_cap(split, emb):
    cfg = PROFILES["smoke"]
    fits = lm.sequence_variants(split, emb, cfg, dim=16, max_len=10, progress=False)
    assert list(fits.test) == list(lm.SEQUENCE_VARIANTS)
    assert all(0.0 <= v <= 1.0 for v in fits.valid.values())
    assert all(len(e.users) == len(split.test_users) for e in fits.test.values())
    sentence = lm.best_epochs(fits, cap=cfg.text_seq_epochs)
    assert sentence.startswith(f"Best epochs (cap {cfg.text_seq_epochs})") and "reached the cap" in sentence
    assert "reached the cap" not in lm.best_epochs(fits, cap=cfg.text_seq_epochs + 1)
