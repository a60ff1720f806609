"""Power-law fit and parameter counting for the scaling sweep."""

from __future__ import annotations

import numpy as np
import pytest

from recnb.analysis.scaling_law import non_embedding_parameters
from recnb.evaluate import power_law
from recnb.models.sequence import SequenceEncoder


def test_power_law_recovers_exponent():
    x = np.array([1e3, 1e4, 1e5, 1e6])
    fit = power_law(x, 2.0 * x ** -0.5)
    assert fit["b"] == pytest.approx(-0.5) and fit["a"] == pytest.approx(2.0)
    assert np.allclose(fit["low"], fit["fit"]) and np.allclose(fit["high"], fit["fit"])
    assert fit["b_low"] == pytest.approx(-0.5) and fit["b_high"] == pytest.approx(-0.5)


def test_non_embedding_parameters_excludes_embeddings():
    enc = SequenceEncoder("rnn", n_items=1000, dim=8, max_len=10, layers=1, heads=1, dropout=0.0, use_event=True, use_gap=True)
    assert non_embedding_parameters(enc) == 8 * 8 + 8 * 8 + 8  # W_x, W_h, b_h


def test_scaling_grid_is_tidy_and_compute_grows_with_model_and_data():
    from recnb.bench.flops import sasrec_flops, training_positions
    from recnb.analysis.scaling_law import scaling_grid
    from recnb.data.simulate import simulate
    from recnb.data.split import leave_last_out

    split = leave_last_out(simulate(n_users=80, n_items=50, n_categories=4, n_clusters=2, mean_views=10, seed=3))
    table = scaling_grid(split, depths=(1, 2), widths=(8,), fractions=(0.5, 1.0), epochs=1, max_len=10,
                         progress=False)
    assert len(table) == 4 and table[["valid loss", "valid ndcg@10", "test ndcg@10"]].notna().all().all()
    full = table[table["fraction"] == 1.0].set_index("depth")
    assert full.loc[2, "flops per epoch"] > full.loc[1, "flops per epoch"] and full.loc[2, "params"] > full.loc[1, "params"]
    half = table[(table["fraction"] == 0.5) & (table["depth"] == 1)].iloc[0]
    assert half["train users"] < full.loc[1, "train users"] and half["flops per epoch"] < full.loc[1, "flops per epoch"]
    n_seq, n_targets = training_positions(split, 10)
    assert full.loc[1, "flops per epoch"] == sasrec_flops(8, 1, 10, split.n_items, n_seq, n_targets)
    assert (table["train flops"] == table["flops per epoch"] * table["best epoch"]).all()
