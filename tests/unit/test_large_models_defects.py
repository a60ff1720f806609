"""Notebook 09's models score what they train and search what they may show (issue 30): the text SASRec's
logits are the same in training and scoring, the generative beam search never spends a beam on a prefix whose
items are all masked, and the cold task's validation history is built like its test history."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F


from recnb.analysis.cold_items import cold_items
from recnb.data.simulate import simulate
from recnb.data.split import Split, leave_last_out
from recnb.models.generative import GenerativeRecommender
from recnb.models.semantic_ids import SemanticIds
from recnb.models.sequence import pad_last
from recnb.models.text import TextSequenceRecommender


@pytest.fixture(scope="module")
def split():
    ds = simulate(n_users=150, n_items=60, n_categories=6, n_clusters=3, mean_views=12, p_follow=0.5, seed=4)
    return leave_last_out(ds)


@pytest.fixture(scope="module")
def cold(split):
    return cold_items(split, share=0.25, seed=1)


@pytest.mark.parametrize("id_embedding", [False, True])
def test_text_sasrec_scores_with_the_logits_it_was_trained_on(cold, id_embedding):
    s = cold.cold_split
    emb = np.random.default_rng(0).normal(size=(s.n_items, 12)).astype(np.float32)
    m = TextSequenceRecommender(emb, id_embedding=id_embedding, dim=16, max_epochs=3, patience=3, progress=False,
                                seed=0).fit(s)
    per_item = [n for n, p in m.named_parameters() if p.shape[0] in (s.n_items, s.n_items + 1)]
    assert per_item == (["out_bias", "encoder.item.id.weight"] if id_embedding else []), per_item
    seq = s.sequences("train")
    users = np.flatnonzero(seq.lengths() >= 2)[:40]
    items, events, gaps = (torch.from_numpy(a) for a in pad_last(seq, users, m.max_len, extra=1))
    m.eval()
    with torch.no_grad():
        loss, _ = m.batch_loss(items[:, :-1], events[:, :-1], gaps[:, :-1], items[:, 1:])
        h = m.encoder(items[:, :-1], events[:, :-1], gaps[:, :-1])
        target = items[:, 1:] - 1
        scored = F.cross_entropy(m.item_logits(h[target >= 0]), target[target >= 0])
    assert torch.allclose(loss, scored, atol=1e-5), (float(loss), float(scored))


def _ids(n: int, leaves: int) -> SemanticIds:
    """Two-level codes for ``n`` items: item i has first code i // leaves and second code i % leaves."""
    codes = np.stack([np.arange(n) // leaves, np.arange(n) % leaves], 1)
    return SemanticIds(codes=codes, sizes=(int(codes[:, 0].max()) + 1, leaves), source="test",
                       item_source=np.full(n, "test"))


def test_beam_search_prunes_prefixes_whose_items_are_all_masked(split):
    """The model is pushed hard towards the first two prefixes, whose items are all masked (not candidates,
    as warm items on the cold task): a search that masks only at the last code spends both beams there and
    returns no item at all."""
    leaves = 6
    m = GenerativeRecommender(_ids(split.n_items, leaves), dim=8, layers=1, max_len=10, beam=2, max_epochs=1,
                              patience=1, progress=False).fit(split)
    with torch.no_grad():
        m.edge_bias[0][0, :2] = 50.0
    candidates = np.arange(split.n_items) >= 2 * leaves
    m.split_ = split.derive(candidates=candidates)
    users = np.arange(10)
    got, logp = m.generate(users, "test")
    assert (got >= 0).all() and torch.isfinite(logp).all(), got
    allowed = ~m.split_.mask("test")[users].toarray().astype(bool)
    assert allowed[np.arange(len(users))[:, None], got.numpy()].all()
    assert candidates[got.numpy()].all()


def test_cold_task_validation_history_holds_the_earlier_cold_items_as_test_does(cold):
    s = cold.cold_split
    ev = s.events
    u, role, item = ev["u"].to_numpy(), ev["role"].to_numpy(), ev["i"].to_numpy()
    valid_row = np.full(s.n_users, -1)
    rows = np.flatnonzero(role == "valid")
    valid_row[u[rows]] = rows
    before = (role == "gap") & (np.arange(len(ev)) < valid_row[u]) & (valid_row[u] >= 0)
    assert before.any(), "the fixture must have cold events before a validation target"
    hv, ht = s.history("valid"), s.history("test")
    for r in np.flatnonzero(before)[:50]:
        assert hv[u[r], item[r]] == 1, "an earlier cold item is missing from the validation history"
        assert ht[u[r], item[r]] == 1
    # validation never sees the validation target or anything after it; training still has no cold item
    vu, vi = s.target("valid")
    assert not np.asarray(hv[vu, vi]).ravel().any()
    assert not (np.asarray(s.train.sum(0)).ravel()[cold.cold] > 0).any()
    # the validation sequences end with the last event before the validation target
    seq = s.sequences("valid")
    for user in vu[:30]:
        last = seq.items[seq.offsets[user + 1] - 1]
        prior = np.flatnonzero((u == user) & (np.arange(len(ev)) < valid_row[user]) & np.isin(role, ["train", "gap"]))
        assert last == item[prior[-1]]
