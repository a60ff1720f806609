"""Fusion: on simulated data with each encoder's signal planted separately (interest clusters, sequential
transitions, homophily), the fused model recovers more than any single encoder; every variant keeps the
common interface; the cascade's prefix latents see no future events."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recnb.data.simulate import simulate
from recnb.data.split import leave_last_out
from recnb.evaluate import evaluate, paired_test
from recnb.models.autoencoder import MultVAE
from recnb.models.fusion import CascadeFusion, GatedFusion, LateFusion, ScoreEnsemble, simplex_grid, standardise
from recnb.models.graph import GraphRecommender, relation_matrix
from recnb.models.sequence import SequenceRecommender


@pytest.fixture(scope="module")
def planted():
    ds = simulate(n_users=500, n_items=200, n_categories=12, n_clusters=4, mean_views=12, p_follow=0.5,
                  friends_per_user=8, homophily=0.95, seed=3)
    ds.events = ds.events[ds.events["event"] == "view"]
    split = leave_last_out(ds)
    relation, _ = relation_matrix(split, ds.edges)
    # the steps are pinned (not the models' defaults): each encoder is meant to learn mainly its own planted
    # signal within these budgets, so that the fusion has something to add
    encoders = {"ae": MultVAE(latent=16, hidden=64, lr=1e-3, max_epochs=30, patience=5, progress=False).fit(split),
                "seq": SequenceRecommender("gru", dim=32, max_len=20, lr=3e-3, max_epochs=15, patience=5,
                                           progress=False).fit(split),
                "graph": GraphRecommender(dim=32, social=relation, lr=1e-2, max_epochs=30, patience=5,
                                          progress=False).fit(split)}
    return split, encoders


def test_simplex_grid_and_standardise():
    g = simplex_grid(3, 0.5)
    assert g.shape == (6, 3) and np.allclose(g.sum(1), 1)
    s = standardise(torch.tensor([[1.0, 2.0, 3.0], [10.0, 10.0, 40.0]]))
    torch.testing.assert_close(s.mean(1), torch.zeros(2))
    torch.testing.assert_close(s.std(1), torch.ones(2))


def test_fusion_recovers_more_than_any_single_encoder(planted):
    split, encoders = planted
    singles = {k: evaluate(m, split, name=k) for k, m in encoders.items()}
    best = max(singles, key=lambda k: singles[k].per_user["ndcg@10"].mean())
    fused = evaluate(ScoreEnsemble(encoders).fit(split), split, name="ensemble")
    best_ndcg = singles[best].per_user["ndcg@10"].mean()
    assert fused.per_user["ndcg@10"].mean() > 1.05 * best_ndcg, (fused.per_user["ndcg@10"].mean(), best, best_ndcg)
    test = paired_test(fused, singles[best])
    assert test["diff"] > 0 and test["p_wilcoxon"] < 0.05, test


def test_every_variant_has_the_interface(planted):
    split, encoders = planted
    users = np.arange(4)
    for model in (ScoreEnsemble(encoders), GatedFusion(encoders, max_epochs=20),
                  LateFusion(encoders, max_epochs=2, progress=False),
                  LateFusion(encoders, finetune=True, max_epochs=1, progress=False),
                  CascadeFusion(encoders["ae"], dim=16, max_len=20, max_epochs=1, progress=False)):
        model.fit(split)
        s = model.score(users)
        assert s.shape == (4, split.n_items) and torch.isfinite(s).all()
        assert model.user_vectors(users).shape[0] == 4
    w = GatedFusion(encoders, max_epochs=20).fit(split).weights(users)
    torch.testing.assert_close(w.sum(1), torch.ones(4))


def test_finetuning_leaves_the_frozen_encoders_alone(planted):
    split, encoders = planted
    before = {k: m.score(np.arange(3)).clone() for k, m in encoders.items()}
    LateFusion(encoders, finetune=True, max_epochs=1, progress=False).fit(split)
    for k, m in encoders.items():
        torch.testing.assert_close(m.score(np.arange(3)), before[k])


def test_cascade_prefix_latent_equals_the_autoencoder_on_the_prefix(planted):
    split, encoders = planted
    ae = encoders["ae"]
    cascade = CascadeFusion(ae, dim=16, max_epochs=1, progress=False)
    cascade.split_ = split
    cascade.build(split)
    seq = split.sequences("train")
    u = int(np.argmax(seq.lengths()))
    items = seq.items[seq.offsets[u]:seq.offsets[u + 1]][:6]
    assert len(np.unique(items)) == len(items)
    padded = torch.from_numpy(np.r_[0, 0, items + 1])[None]  # left padding, as in training
    with torch.no_grad():
        z = cascade._prefix_latents(padded)[0]
        torch.testing.assert_close(cascade._latent_terms(padded)[0], cascade.W_theta(z), atol=1e-5, rtol=1e-5)
        ae.eval()
        for t in range(1, len(items) + 1):
            x = torch.zeros(1, split.n_items)
            x[0, torch.tensor(items[:t])] = 1.0
            torch.testing.assert_close(z[1 + t], ae.encode(x)[0][0], atol=1e-5, rtol=1e-5)


def test_cascade_score_is_decode_of_vectors_computed_once(planted):
    split, encoders = planted
    cascade = CascadeFusion(encoders["ae"], dim=16, max_epochs=1, progress=False).fit(split)
    users = np.arange(7)
    with torch.no_grad():
        assert torch.equal(cascade.score(users, "valid"), cascade.decode(cascade.vectors(users, "valid"), "valid"))


def test_mixture_ndcg_equals_evaluate_of_the_mixed_scores(planted):
    from recnb.evaluate import evaluate
    from recnb.evaluate.ranking import mixture_ndcg
    from recnb.models.fusion.common import FixedScores, simplex_grid, stacked_scores

    split, encoders = planted
    users, _ = split.target("valid")
    stacked = stacked_scores(encoders, users, "valid")
    grid = simplex_grid(len(encoders), 0.25)
    fast = mixture_ndcg(stacked, grid, split, "valid")
    slow = [evaluate(FixedScores(users, torch.einsum("k,kni->ni", torch.from_numpy(w).float(), stacked), split.n_users),
                     split, "valid", ks=(10,)).per_user["ndcg@10"].mean() for w in grid]
    np.testing.assert_array_equal(fast, np.array(slow))
