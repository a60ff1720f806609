"""Glue of notebook 10: the attribute stand-in, user samples, the scaling law, published numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recnb.analysis import generative_study as gs
from recnb.analysis.scaling_law import law_record, law_sentences, scaling_law
from recnb.data.simulate import simulate
from recnb.data.split import leave_last_out


@pytest.fixture(scope="module")
def sim():
    return simulate(n_users=120, n_items=60, n_categories=4, n_clusters=2, mean_views=10, seed=1)


def test_attribute_embeddings_put_items_with_the_same_attributes_together(sim):
    split = leave_last_out(sim)
    groups = np.arange(split.n_items) % 3
    items = pd.DataFrame({"item_id": split.item_ids[::-1],
                          "attributes": [f"b{g}|c{g}" for g in groups[::-1]]})
    items.loc[0, "attributes"] = None  # an item without attributes: the zero vector
    emb = gs.attribute_embeddings(split, items, dim=8)
    assert emb.shape == (split.n_items, 8) and np.allclose(emb[-1], 0)
    e = emb[:-1] / np.linalg.norm(emb[:-1], axis=1, keepdims=True)
    sim_m = e @ e.T
    same = groups[:-1, None] == groups[None, :-1]
    assert sim_m[same].min() > 0.99 and sim_m[~same].max() < 0.01
    ids = gs.semantic_ids(split, 4, items=items)
    assert "attributes" in ids.source and ids.n_items == split.n_items


def test_user_sample_keeps_whole_histories(sim):
    out = gs.user_sample(sim, 30, seed=0)
    assert out.events["user_id"].nunique() == 30
    kept = sim.events[sim.events["user_id"].isin(out.events["user_id"].unique())]
    assert len(kept) == len(out.events)
    assert gs.user_sample(sim, 0) is sim


def _grid(loss, flops, capped=None):
    n = len(flops)
    return pd.DataFrame({"depth": 1, "width": 8, "fraction": 1.0, "params": 10, "train flops": flops,
                         "valid loss": loss, "valid ndcg@10": 0.05,
                         "capped": np.zeros(n, bool) if capped is None else capped})


def test_scaling_law_finds_a_planted_saturating_law_and_leaves_capped_points_out():
    rng = np.random.default_rng(0)
    flops = np.geomspace(1e9, 1e12, 9)
    loss = 2.0 + 5.0 * (flops / 1e9) ** -0.3 * np.exp(rng.normal(0, 0.01, 9))
    capped = np.zeros(9, bool)
    capped[-1] = True
    grid = _grid(np.r_[loss[:-1], 100.0], flops, capped)  # the capped point is an outlier: it must not count
    law = scaling_law(grid, n_boot=200, seed=0)
    assert law["points_fitted"] == 8 and law["capped"] == 1
    assert law["verdict"] == "law" and law["alpha_low"] < 0.3 < law["alpha_high"]
    assert law["alpha"] == pytest.approx(0.3, abs=0.05) and law["E"] == pytest.approx(2.0, abs=0.1)
    assert law["compute_decades"] == pytest.approx(np.log10(flops[7] / flops[0]))


def test_scaling_law_says_no_law_on_flat_or_rising_loss_and_too_few_points():
    rng = np.random.default_rng(1)
    flops = np.geomspace(1e9, 1e12, 8)
    flat = scaling_law(_grid(3.0 + rng.normal(0, 0.05, 8), flops), n_boot=200)
    assert flat["verdict"] == "no law", flat["alpha_low"]
    rising = scaling_law(_grid(3.0 + 0.1 * np.log10(flops / 1e9), flops), n_boot=200)
    assert rising["verdict"] == "no law" and rising["alpha"] <= 0
    assert scaling_law(_grid([3.0, 2.0], flops[:2]), n_boot=10)["verdict"] == "too few points"


def test_law_sentences_and_record_say_what_each_fit_supports():
    flops = np.geomspace(1e9, 1e12, 8)
    law = scaling_law(_grid(2.0 + 5.0 * (flops / 1e9) ** -0.3, flops), n_boot=100)
    few = scaling_law(_grid([3.0, 2.0], flops[:2]), n_boot=10)
    text = law_sentences({"a": law, "b": few}).splitlines()
    assert "lies above 0" in text[0] and "8 uncapped points" in text[0]
    assert "too few distinct points" in text[1]
    assert set(law_record(law)) == {"points_fitted", "exponent", "exponent_low", "exponent_high", "compute_decades"}
    assert set(law_record(few)) == {"points_fitted", "compute_decades"}  # no exponent is recorded without a law


def test_published_table_labels_every_row(sim):
    from recnb.evaluate import evaluate
    from recnb.models.baselines import MostPopular

    split = leave_last_out(sim)
    ev = evaluate(MostPopular().fit(split), split, name="sasrec")
    table = gs.published_table({"amazon-sports": {"sasrec": ev}}, "smoke")
    assert table["label"].str.match(r"^(this run|published: )").all()
    ours = table[table["label"].str.startswith("this run")]
    assert len(ours) == 2 and (table["label"].str.startswith("published")).sum() >= 2
    gap = gs.published_gap(table, "amazon-sports")
    assert gap["ratio"] == pytest.approx(gap["ours"] / gap["published"])
    assert gs.published_gap(table, "amazon-toys") is None
