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


class _Noise:
    """Random scores: a model that learned nothing (``fit_`` says whether its budget ran out)."""

    def __init__(self, n_items: int, capped: bool):
        import torch
        from types import SimpleNamespace

        self.gen, self.n_items = torch.Generator().manual_seed(0), n_items
        self.fit_ = SimpleNamespace(stopped_early=not capped)

    def score(self, users, stage="test"):
        import torch

        return torch.rand(len(users), self.n_items, generator=self.gen)


def test_the_floor_names_a_model_at_chance_and_says_whether_its_budget_is_the_cause(sim_small):
    from recnb.experiment import floor_check

    split = leave_last_out(sim_small)
    models = {"noise-capped": _Noise(split.n_items, capped=True), "noise": _Noise(split.n_items, capped=False)}
    evals = {"pop": evaluate(MostPopular().fit(split), split), "ease": evaluate(EASE().fit(split), split),
             **{k: evaluate(m, split, name=k) for k, m in models.items()}}
    table, sentence = floor_check(evals, split, models, n_boot=200)
    t = table.set_index("model")
    assert t["above random"].to_dict() == {"pop": True, "ease": True, "noise-capped": False, "noise": False}
    assert not t.loc["pop", "below pop"] and not t.loc["ease", "below pop"]  # pop is not tested against itself
    assert sentence.startswith("2 of 4 models are significantly above a random ranking and not significantly below pop")
    assert "**noise-capped** is not significantly above a random ranking; it stopped at its epoch cap" in sentence
    assert "**noise** is not significantly above a random ranking; it was not cut short by a budget" in sentence
    alone, text = floor_check({"pop": evals["pop"]}, split, n_boot=200)  # popularity alone: against random only
    assert list(alone.columns) == ["model", "ndcg@10", "above random", "below pop", "at cap"]
    assert text == "1 of 1 models are significantly above a random ranking and not significantly below pop (pop)."


class _Sparse:
    """Hits the test target on five users in seventeen and misses it on the others (ranks it last): a model
    far above chance on the mean, where the signed-rank test against a random ranking sees nothing (the
    hits rank above the misses, which are many: the sums of ranks balance near a 29% hit rate)."""

    def __init__(self, split):
        self.split = split

    def score(self, users, stage="test"):
        import torch

        pos = {int(u): int(i) for u, i in zip(*self.split.target(stage))}
        out = torch.zeros(len(users), self.split.n_items)
        for row, u in enumerate(users):
            out[row, pos[int(u)]] = 1.0 if row % 17 < 5 else -1.0
        return out


def test_the_floor_reads_the_mean_against_random_where_most_lists_miss(sim_small):
    from recnb.experiment import floor_check

    split = leave_last_out(sim_small)
    evals = {"sparse": evaluate(_Sparse(split), split, name="sparse")}
    assert (evals["sparse"].per_user["ndcg@10"] == 0).mean() > 0.65
    table, sentence = floor_check(evals, split, n_boot=200)
    assert table.set_index("model").loc["sparse", "above random"], sentence


def test_only_the_models_above_the_floor_are_recorded_and_the_rest_are_named(sim_small):
    from recnb.experiment import above_floor, floor_check

    split = leave_last_out(sim_small)
    evals = {"pop": evaluate(MostPopular().fit(split), split),
             "noise": evaluate(_Noise(split.n_items, capped=False), split, name="noise")}
    kept, sentence = above_floor(evals, floor_check(evals, split, n_boot=200)[0])
    assert list(kept) == ["pop"] and sentence == "Not recorded among this run's results, being at chance: noise."
    assert above_floor({"pop": evals["pop"]}, floor_check({"pop": evals["pop"]}, split, n_boot=200)[0])[1] == ""
