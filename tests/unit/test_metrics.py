"""Metrics against hand-computed rankings, ties included; masking; CIs and paired tests (issue 3)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from recnb.data import Dataset
from recnb.data.split import leave_last_out
from recnb.evaluate import bootstrap_ci, evaluate, paired_test, tie_aware_metrics


def m(greater, ties, ks=(1, 2, 3)):
    return {k: float(v[0]) for k, v in tie_aware_metrics(torch.tensor([greater]), torch.tensor([ties]), ks).items()}


def test_no_ties_rank_three():
    r = m(2, 0)
    assert r["hr@1"] == 0 and r["hr@2"] == 0 and r["hr@3"] == 1
    assert r["ndcg@3"] == pytest.approx(1 / math.log2(4))
    assert r["mrr@3"] == pytest.approx(1 / 3)
    assert r["ndcg@2"] == 0 and r["mrr@2"] == 0


def test_rank_one():
    r = m(0, 0)
    assert r["hr@1"] == r["ndcg@1"] == r["mrr@1"] == 1


def test_ties_are_averaged_over_random_order():
    # one item above, one tied: rank 2 or 3 with probability 1/2 each
    r = m(1, 1)
    assert r["hr@1"] == 0
    assert r["hr@2"] == pytest.approx(0.5) and r["hr@3"] == pytest.approx(1.0)
    assert r["ndcg@2"] == pytest.approx(0.5 / math.log2(3))
    assert r["ndcg@3"] == pytest.approx(0.5 * (1 / math.log2(3) + 1 / math.log2(4)))
    assert r["mrr@2"] == pytest.approx(0.25)
    assert r["mrr@3"] == pytest.approx(0.5 * (1 / 2 + 1 / 3))


def test_constant_scores_give_chance_level():
    n = 50
    r = m(0, n - 1, ks=(10,))
    assert r["hr@10"] == pytest.approx(10 / n)
    assert r["mrr@10"] == pytest.approx(sum(1 / k for k in range(1, 11)) / n)


def tiny() -> Dataset:
    # user 1: items 1,2,3,4 in time order -> train {1,2}, valid 3, test 4
    # user 2: items 2,3,5 -> train {2}, valid 3, test 5
    rows = [(1, 1, 0), (1, 2, 1), (1, 3, 2), (1, 4, 3), (2, 2, 0), (2, 3, 1), (2, 5, 2)]
    ev = pd.DataFrame({"user_id": [r[0] for r in rows], "item_id": [r[1] for r in rows], "event": "view",
                       "value": 1.0, "timestamp": [1_500_000_000 + 60 * r[2] for r in rows]})
    return Dataset("tiny", ev)


class Fixed:
    """Scores every user with the same vector."""

    def __init__(self, scores):
        self.s = torch.tensor(scores, dtype=torch.float32)

    def score(self, users, stage="test"):
        return self.s.expand(len(users), -1)


def test_evaluate_by_hand_with_masking():
    split = leave_last_out(tiny())
    assert list(split.item_ids) == [1, 2, 3, 4, 5]
    # item index: 0..4 = raw 1..5. The best-scored item (raw 2) is in both users' history: masked.
    model = Fixed([0.1, 9.0, 0.5, 0.3, 0.2])
    ev = evaluate(model, split, "test", ks=(1, 2))
    res = dict(zip(split.user_ids[ev.users], ev.per_user.to_dict("records")))
    # user 1: history {1,2,3} masked; candidates 4 (0.3), 5 (0.2): target 4 ranks 1
    assert res[1]["hr@1"] == 1 and res[1]["ndcg@1"] == 1
    # user 2: history {2,3} masked; candidates 1 (0.1), 4 (0.3), 5 (0.2): target 5 ranks 2
    assert res[2]["hr@1"] == 0 and res[2]["hr@2"] == 1 and res[2]["mrr@2"] == 0.5
    assert res[2]["ndcg@2"] == pytest.approx(1 / math.log2(3))
    # masked items never appear in the top-k lists
    for u, top in zip(ev.users, ev.topk):
        seen = set(split.mask("test")[u].indices)
        assert not seen & set(top[: 5 - len(seen)])
    assert ev.beyond["coverage@1"] == pytest.approx(1 / 5)  # both users get raw item 4 first


def test_seen_items_never_ranked_on_real_data(ml100k):
    from recnb.models.baselines import MostPopular

    split = leave_last_out(ml100k)
    ev = evaluate(MostPopular().fit(split), split, "test")
    mask = split.mask("test")
    hits = np.take_along_axis(mask[ev.users].toarray(), ev.topk, axis=1)
    assert hits.sum() == 0 and mask.sum() > 90_000


def test_bootstrap_and_paired_test():
    rng = np.random.default_rng(0)
    x = rng.random(500)
    lo, hi = bootstrap_ci(x, 2000)
    assert lo < x.mean() < hi and hi - lo < 0.1
    assert bootstrap_ci(x, 2000, seed=3) == bootstrap_ci(x, 2000, seed=3)
    split = leave_last_out(tiny())
    a = evaluate(Fixed([0.1, 9.0, 0.5, 0.3, 0.2]), split, ks=(10,), name="a")
    same = paired_test(a, a, "ndcg@10")
    assert same["diff"] == 0 and same["p_wilcoxon"] == 1.0
    b = evaluate(Fixed([5, 4, 3, 0.1, 0.2]), split, ks=(10,), name="b")
    assert paired_test(a, b, "ndcg@10")["diff"] > 0


def test_shape_check():
    split = leave_last_out(tiny())
    with pytest.raises(ValueError, match="shape"):
        evaluate(Fixed([1.0, 2.0]), split)


def test_paired_verdict_words():
    from recnb.evaluate import paired_verdict

    row = {"a": "x", "b": "y", "metric": "ndcg@10", "diff": 0.01, "ci_low": 0.002, "ci_high": 0.02, "p_wilcoxon": 0.01}
    assert "significantly better than y" in paired_verdict(row)
    row.update(ci_low=-0.001, p_wilcoxon=0.2)
    assert "within noise" in paired_verdict(row) and "significantly" not in paired_verdict(row)


def test_activity_groups_by_group_and_subset():
    from recnb.data.simulate import simulate
    from recnb.data.split import leave_last_out
    from recnb.evaluate import activity_groups, by_group, evaluate
    from recnb.models.baselines import MostPopular

    split = leave_last_out(simulate(n_users=120, n_items=60, n_categories=4, n_clusters=2, cats_per_cluster=2,
                                    mean_views=12, seed=4))
    e = evaluate(MostPopular().fit(split), split, name="pop")
    groups = activity_groups(split, e.users)
    n = np.diff(split.history("test").indptr)[e.users]
    few = groups.to_numpy() == groups.cat.categories[0]
    assert n[few].max() <= n[~few].min()
    table = by_group({"pop": e, "again": e}, groups)
    assert table["users"].sum() == len(e.users)
    sub = e.subset(few)
    assert table.loc[groups.cat.categories[0], "pop"] == pytest.approx(sub.per_user["ndcg@10"].mean())
    assert len(sub.users) == few.sum() == len(sub.topk)


def test_binary_metrics_match_sklearn_with_ties():
    from sklearn.metrics import average_precision_score, roc_auc_score

    from recnb.evaluate import binary_metrics
    from recnb.evaluate.binary import _weighted_auc_ap

    rng = np.random.default_rng(0)
    y = rng.random(300) < 0.2
    scores = np.round(rng.normal(size=300) + y, 1)  # many ties
    m = binary_metrics(y, scores, n_boot=300)
    assert m["auc"] == pytest.approx(roc_auc_score(y, scores))
    assert m["pr_auc"] == pytest.approx(average_precision_score(y, scores))
    assert m["auc_low"] < m["auc"] < m["auc_high"] and m["pr_low"] < m["pr_auc"] < m["pr_high"]
    idx = rng.integers(0, 300, 300)  # one resample as multiplicities equals the resampled data
    auc, ap = _weighted_auc_ap(scores, y, np.bincount(idx, minlength=300)[None])
    assert auc[0] == pytest.approx(roc_auc_score(y[idx], scores[idx]))
    assert ap[0] == pytest.approx(average_precision_score(y[idx], scores[idx]))
