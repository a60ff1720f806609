"""Part 2 glue of notebook 09: the attribute stand-in, user samples, the scaling verdict, published numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recnb.analysis import generative_study as gs
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


def test_scaling_verdict_reads_exponent_and_where_model_stops_paying():
    flops = np.array([1e9, 1e10, 1e11, 1e12])
    grid = pd.DataFrame({"depth": 1, "width": [8, 16, 32, 64], "fraction": 1.0, "params": [10, 100, 1000, 10000],
                         "train flops": flops, "valid loss": 5 * flops ** -0.1,
                         "valid ndcg@10": [0.01, 0.05, 0.0601, 0.06]})
    v = gs.scaling_verdict(grid, n_boot=50)
    assert v["exponent"] == pytest.approx(-0.1) and v["exponent_low"] == pytest.approx(-0.1)
    assert v["best"]["width"] == 32 and v["stops"]["width"] == 32  # 64 is no better: more model stopped paying
    rising = grid.assign(**{"valid ndcg@10": [0.01, 0.02, 0.03, 0.04]})
    assert gs.scaling_verdict(rising, n_boot=10)["stops"] is None


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
