"""Graph encoders: fast sparse product equals PyG's, adjacency is right and leak-free, social edges help
the users with few interactions when homophily is planted, seeded runs repeat."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from torch_geometric.nn import GCNConv, LGConv

from recnb.data.simulate import simulate
from recnb.data.split import leave_last_out, random_holdout
from recnb.evaluate import evaluate, paired_test
from recnb.models.baselines import MostPopular
from recnb.models.graph import (GraphRecommender, FastGCNConv, FastLGConv, knn_relation, normalized_adjacency,
                                relation_matrix, symmetric_spmm)


def _random_history(seed: int = 0, shape: tuple[int, int] = (30, 20)) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    return sp.csr_matrix((rng.random(shape) < 0.2).astype(np.float32))


def test_normalized_adjacency_is_symmetric_and_normalised():
    h = _random_history()
    a = normalized_adjacency(h).to_dense().numpy()
    assert a.shape == (50, 50)
    np.testing.assert_allclose(a, a.T, atol=1e-7)
    assert np.all(a[:30, :30] == 0) and np.all(a[30:, 30:] == 0)  # no social block, bipartite
    deg_u, deg_i = np.asarray(h.sum(1)).ravel(), np.asarray(h.sum(0)).ravel()
    u, i = np.argwhere(h.toarray())[0]
    assert a[u, 30 + i] == pytest.approx(1 / np.sqrt(deg_u[u] * deg_i[i]))
    social = sp.csr_matrix(np.eye(30, k=1) + np.eye(30, k=-1), dtype=np.float32)
    b = normalized_adjacency(h, social, social_weight=0.5).to_dense().numpy()
    assert b[0, 1] > 0 and b[0, 2] == 0
    np.testing.assert_allclose(normalized_adjacency(h, social, social_weight=0.0).to_dense().numpy(), a)


def test_adjacency_int32_indices_give_the_int64_product_bit_for_bit():
    adj = normalized_adjacency(_random_history(3, (400, 300)))
    assert adj.crow_indices().dtype == torch.int32 and adj.col_indices().dtype == torch.int32
    wide = torch.sparse_csr_tensor(adj.crow_indices().long(), adj.col_indices().long(), adj.values(), size=adj.shape)
    x = torch.randn(700, 64, generator=torch.Generator().manual_seed(0))
    assert torch.equal(adj @ x, wide @ x)


def test_fast_layers_equal_pyg_layers_forward_and_backward():
    adj = normalized_adjacency(_random_history(1), self_loops=True)
    dense = adj.to_dense()
    edge_index = dense.nonzero().T
    weight = dense[edge_index[0], edge_index[1]]
    for fast, ref in [(FastLGConv(normalize=False), LGConv(normalize=False)),
                      (FastGCNConv(8, 8, normalize=False), GCNConv(8, 8, normalize=False))]:
        ref.load_state_dict(fast.state_dict())
        x1 = torch.randn(50, 8, requires_grad=True, generator=torch.Generator().manual_seed(0))
        x2 = x1.detach().clone().requires_grad_(True)
        y1, y2 = fast(x1, adj), ref(x2, edge_index, weight)
        torch.testing.assert_close(y1, y2, atol=1e-5, rtol=1e-5)
        (y1 ** 2).sum().backward()
        (y2 ** 2).sum().backward()
        torch.testing.assert_close(x1.grad, x2.grad, atol=1e-4, rtol=1e-4)


def test_symmetric_spmm_gradient_matches_dense():
    adj = normalized_adjacency(_random_history(2))
    x = torch.randn(50, 4, dtype=torch.float32, requires_grad=True)
    symmetric_spmm(adj, x).sin().sum().backward()
    x2 = x.detach().clone().requires_grad_(True)
    (adj.to_dense() @ x2).sin().sum().backward()
    torch.testing.assert_close(x.grad, x2.grad, atol=1e-5, rtol=1e-5)


def test_relation_matrix_maps_ids_symmetrises_and_counts_what_it_leaves_out():
    ds = simulate(n_users=50, n_items=40, n_categories=4, n_clusters=2, cats_per_cluster=2, mean_views=8, seed=0)
    split = leave_last_out(ds)
    known = split.user_ids[:3]
    edges = pd.DataFrame({"user_id": [known[0], known[1], known[2], -7], "other_id": [known[1], known[1], -8, known[0]]})
    m, info = relation_matrix(split, edges)
    assert m[0, 1] == 1 and m[1, 0] == 1 and m.nnz == 2
    assert info == {"edges given": 4, "edges with a user outside the split": 2, "self-loops": 1,
                    "undirected pairs kept": 1}


def test_knn_relation_links_users_with_shared_items():
    h = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]], dtype=np.float32))
    m = knn_relation(h, k=1).toarray()
    np.testing.assert_array_equal(m, [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]])


@pytest.fixture(scope="module")
def homophily():
    ds = simulate(n_users=1000, n_items=500, n_categories=20, n_clusters=10, cats_per_cluster=2, mean_views=6,
                  p_follow=0.0, friends_per_user=8, homophily=0.95, seed=1)
    ds.events = ds.events[ds.events["event"] == "view"]  # one event type, like Last.fm and Ciao
    split = random_holdout(ds, 0)
    relation, _ = relation_matrix(split, ds.edges)
    return split, relation


def test_test_graph_has_no_test_target_edge(homophily):
    split, relation = homophily
    m = GraphRecommender(max_epochs=1, progress=False).fit(split)
    a = m.adjacency("test").to_dense().numpy()
    assert np.all(a[split.test_users, split.n_users + split.test_items] == 0)
    v = m.adjacency("valid").to_dense().numpy()
    assert np.all(v[split.valid_users, split.n_users + split.valid_items] == 0)


def test_social_edges_help_users_with_few_interactions_under_planted_homophily(homophily):
    split, relation = homophily
    n = np.diff(split.history("test").indptr)
    evals = {}
    for w in (0.0, 1.0):
        m = GraphRecommender(social=relation, social_weight=w, lr=1e-2, max_epochs=60, patience=10, progress=False)
        evals[w] = evaluate(m.fit(split), split, name=f"social {w}")
    few = n[evals[0.0].users] <= np.median(n[evals[0.0].users])
    with_social, without = (evals[w].per_user["ndcg@10"].to_numpy()[few] for w in (1.0, 0.0))
    assert with_social.mean() > 1.05 * without.mean(), (with_social.mean(), without.mean())
    test = paired_test(evals[1.0], evals[0.0])
    assert test["diff"] > 0 and test["p_wilcoxon"] < 0.05, test
    pop = evaluate(MostPopular().fit(split), split).per_user["ndcg@10"].mean()
    assert evals[0.0].per_user["ndcg@10"].mean() > 1.5 * pop


def test_seeded_graph_runs_repeat_and_losses_both_train(homophily):
    split, _ = homophily
    scores = [GraphRecommender(loss=loss, conv=conv, max_epochs=3, patience=3, seed=5, progress=False).fit(split)
              .score(np.arange(5)) for loss, conv in [("bpr", "lightgcn"), ("bpr", "lightgcn"), ("ce", "gcn")]]
    torch.testing.assert_close(scores[0], scores[1])
    assert scores[2].shape == (5, split.n_items) and torch.isfinite(scores[2]).all()
    vec = GraphRecommender(max_epochs=1, progress=False).fit(split).user_vectors(np.array([0, 3]))
    assert vec.shape == (2, 64)


def test_lightgcn_trains_on_ml100k(ml100k):
    # the speed goal (one epoch with validation under a second) is checked by `python -m recnb bench`
    split = leave_last_out(ml100k)
    model = GraphRecommender(max_epochs=3, patience=3, progress=False).fit(split)
    assert model.fit_.history["loss"].iloc[-1] < model.fit_.history["loss"].iloc[0]


def test_score_is_decode_of_vectors():
    split = leave_last_out(simulate(n_users=120, n_items=60, n_categories=4, mean_views=12, seed=1))
    model = GraphRecommender(dim=8, max_epochs=1, progress=False).fit(split)
    users = np.arange(9)
    with torch.no_grad():
        assert torch.equal(model.score(users, "valid"), model.decode(model.vectors(users, "valid"), "valid"))
