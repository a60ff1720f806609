"""The package's shared contracts: an immutable Split whose derived splits never share its memo, one encoder
contract (score and user_vectors written once, from vectors and decode), models bound to another split."""

from __future__ import annotations

import dataclasses
import inspect

import numpy as np
import pytest
import torch

from recnb.data.simulate import simulate
from recnb.data.split import leave_last_out
from recnb.evaluate import evaluate
from recnb.models.autoencoder import MultVAE
from recnb.models.base import Fitted, Recommender
from recnb.models.baselines import BPRMF, EASE, ItemKNN, MostPopular, SeenItems
from recnb.models.fusion import CascadeFusion, GatedFusion, LateFusion, ScoreEnsemble
from recnb.models.graph import GraphRecommender
from recnb.models.sequence import SequenceRecommender


@pytest.fixture(scope="module")
def split():
    ds = simulate(n_users=120, n_items=60, n_categories=5, n_clusters=3, mean_views=10, seed=2)
    return leave_last_out(ds)


def test_split_is_frozen_and_derived_splits_get_their_own_memo(split):
    with pytest.raises(dataclasses.FrozenInstanceError):
        split.name = "other"  # type: ignore[misc]
    before = split.history("test").copy()
    user = int(split.test_users[0])
    ev = split.events
    drop = (ev["u"].to_numpy() == user) & ev["role"].isin(["train", "valid", "gap"]).to_numpy()
    derived = split.derive(events=ev[~drop].reset_index(drop=True), info={**split.info, "note": "derived"})
    assert derived.history("test")[user].nnz == 0 < split.history("test")[user].nnz
    assert (split.history("test") != before).nnz == 0  # the original's memo is untouched
    assert "note" not in split.info and derived.info["note"] == "derived"


def test_every_trained_encoder_keeps_the_one_contract():
    for cls in (MultVAE, SequenceRecommender, GraphRecommender, BPRMF, LateFusion, CascadeFusion):
        assert issubclass(cls, Recommender), cls
        for method in ("score", "user_vectors"):  # written once, in the base
            assert getattr(cls, method) is getattr(Recommender, method), (cls, method)
        assert "vectors" in cls.__dict__ and "decode" in cls.__dict__, cls
        assert "stage" in inspect.signature(cls.vectors).parameters
    for cls in (MostPopular, ItemKNN, EASE, SeenItems, ScoreEnsemble, GatedFusion):
        assert issubclass(cls, Fitted), cls


def test_bound_models_read_the_new_split_and_leave_the_fitted_one_alone(split):
    user = int(split.test_users[0])
    ev = split.events
    drop = (ev["u"].to_numpy() == user) & ev["role"].isin(["train", "valid", "gap"]).to_numpy()
    empty = split.derive(events=ev[~drop].reset_index(drop=True))
    graph = GraphRecommender(dim=8, max_epochs=1, progress=False).fit(split)
    vae = MultVAE(latent=4, hidden=8, max_epochs=1, progress=False).fit(split)
    for model in (graph, vae, ScoreEnsemble({"graph": graph, "ae": vae}).fit(split)):
        before = model.score(np.array([user])).clone()
        bound = model.bind(empty)
        assert bound.split_ is empty and model.split_ is split
        assert not torch.allclose(bound.score(np.array([user])), before)  # the history it reads is gone
        torch.testing.assert_close(model.score(np.array([user])), before)
    a = graph.bind(empty).adjacency("test").to_dense()
    n = split.n_users
    assert a[user, n:].abs().sum() == 0 and graph.adjacency("test").to_dense()[user, n:].abs().sum() > 0
    ranks = evaluate(graph.bind(split), split).per_user
    assert np.allclose(ranks.to_numpy(), evaluate(graph, split).per_user.to_numpy())
    with pytest.raises(ValueError, match="items"):
        graph.bind(leave_last_out(simulate(n_users=50, n_items=30, n_categories=3, mean_views=8, seed=1)))


def test_a_trainable_copy_shares_the_split_and_graphs_but_not_the_weights(split):
    graph = GraphRecommender(dim=8, max_epochs=1, progress=False).fit(split)
    twin = graph.trainable_copy()
    assert twin.split_ is graph.split_ and twin.graphs_["test"] is graph.graphs_["test"]
    with torch.no_grad():
        twin.net.embedding.weight.add_(1.0)
    assert not torch.equal(twin.net.embedding.weight, graph.net.embedding.weight)
