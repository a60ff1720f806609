"""Baselines on planted-signal data, determinism and the RecBole export (speed goals: ``python -m recnb bench``)."""

from __future__ import annotations

import numpy as np
import pytest

from recnb.data.export import export_split, read_recbole
from recnb.data.split import leave_last_out
from recnb.evaluate import evaluate
from recnb.models.baselines import BPRMF, EASE, ItemKNN, MostPopular


@pytest.mark.parametrize("make", [ItemKNN, EASE, lambda: BPRMF(max_epochs=40, progress=False)],
                         ids=["itemknn", "ease", "bpr"])
def test_each_baseline_beats_popularity_on_planted_clusters(make, sim_small):
    split = leave_last_out(sim_small)
    pop = evaluate(MostPopular().fit(split), split).per_user["ndcg@10"].mean()
    model = evaluate(make().fit(split), split).per_user["ndcg@10"].mean()
    assert model > 1.5 * pop, (model, pop)


def test_bpr_is_deterministic(ml100k):
    split = leave_last_out(ml100k)
    a = evaluate(BPRMF(max_epochs=3, patience=3, seed=5, progress=False).fit(split), split)
    b = evaluate(BPRMF(max_epochs=3, patience=3, seed=5, progress=False).fit(split), split)
    assert np.array_equal(a.per_user.to_numpy(), b.per_user.to_numpy())


def test_recbole_export_reloads_to_the_same_counts(ml100k, tmp_path):
    split = leave_last_out(ml100k)
    export_split(split, tmp_path, "recbole")
    back = read_recbole(tmp_path, split.name)
    roles = split.events.role.value_counts()
    assert len(back["train"]) == roles["train"]
    assert len(back["valid"]) == roles["valid"] == len(split.valid_users)
    assert len(back["test"]) == roles["test"] + roles["gap"]
    assert back["train"].user_id.nunique() == split.n_users
    # the last test row of each user is their test target
    last = back["test"].sort_values(["user_id", "timestamp"]).groupby("user_id").tail(1)
    target = dict(zip(split.user_ids[split.test_users], split.item_ids[split.test_items]))
    assert all(target[u] == i for u, i in zip(last.user_id, last.item_id))
    files = export_split(split, tmp_path / "pq", "parquet")
    assert all(f.exists() for f in files)


def test_rank_in_row_matches_a_per_row_stable_sort():
    import scipy.sparse as sp

    from recnb.models.baselines import _rank_in_row

    m = sp.random(60, 80, density=0.2, random_state=1, format="csr", dtype=np.float32)
    m.data = np.round(m.data * 4) / 4  # many ties within rows
    m.data[::7] = 0.0
    rank = _rank_in_row(m)
    for r in range(m.shape[0]):
        lo, hi = m.indptr[r], m.indptr[r + 1]
        expected = np.empty(hi - lo, dtype=np.int64)
        expected[np.argsort(-m.data[lo:hi], kind="stable")] = np.arange(hi - lo)
        assert (rank[lo:hi] == expected).all()
    m.data[0] = -1.0
    with pytest.raises(ValueError, match="non-negative"):
        _rank_in_row(m)
