"""Generative recommender over semantic IDs: beam search names only valid, unseen, distinct items; on the
simulator it learns the planted transitions (far above popularity) and shuffled sequences remove the gain;
training FLOPs formulas match PyTorch's own count on tiny models."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from recnb.bench.flops import generative_flops, sasrec_flops, training_positions
from recnb.data import Dataset
from recnb.data.simulate import simulate
from recnb.data.split import leave_last_out
from recnb.evaluate import evaluate
from recnb.models.baselines import MostPopular
from recnb.models.generative import GenerativeRecommender, build_trie
from recnb.models.semantic_ids import residual_kmeans, stand_in_embeddings
from recnb.models.sequence import SequenceRecommender, pad_last


@pytest.fixture(scope="module")
def chain():
    return simulate(n_users=600, n_items=300, n_categories=10, n_clusters=3, mean_views=30, p_follow=0.7,
                    p_cart=0.0, seed=5)


def _fit(ds: Dataset, epochs: int = 25):
    split = leave_last_out(ds)
    ids = residual_kmeans(stand_in_embeddings(split, "svd", 16), codebook=8, seed=0, source="svd")
    model = GenerativeRecommender(ids, dim=32, max_len=20, beam=20, lr=1e-2, dropout=0.1, max_epochs=epochs, patience=5,
                                  progress=False).fit(split)
    return split, model


def test_trie_children_name_items():
    codes = np.array([[0, 1, 0], [0, 1, 1], [1, 0, 0]])
    trie = build_trie(codes, (2, 2, 2))
    assert trie[0].tolist() == [[0, 1]]
    assert trie[1].tolist() == [[-1, 0], [1, -1]]  # prefixes (0,), (1,) -> (0,1), (1,0)
    assert trie[2].tolist() == [[0, 1], [2, -1]]  # leaves are item indices


def test_beam_search_returns_only_valid_unseen_items(chain):
    split, model = _fit(chain, epochs=1)
    users = np.arange(40)
    items, logp = model.generate(users, "test")
    assert items.shape == (40, 20)
    ok = items >= 0
    assert ok.all(), "every beam names an item on a 300-item catalogue"
    assert (items < split.n_items).all()
    assert all(len(set(r)) == len(r) for r in items.tolist())  # distinct items per user
    seen = split.mask("test")[users].toarray().astype(bool)
    assert not seen[np.arange(40)[:, None], items.numpy()].any()
    assert (logp[:, :-1] >= logp[:, 1:]).all()  # best first
    s = model.score(users, "test")
    assert s.shape == (40, split.n_items)
    assert torch.equal(torch.topk(s, 20).indices.sort(1).values, items.sort(1).values)
    assert int((s > 0).sum()) == 40 * 20 and float(s.min()) == 0.0  # floor 0 outside the beams


def test_generative_learns_planted_transitions_and_order_matters(chain):
    split, model = _fit(chain)
    gen = evaluate(model, split).per_user["ndcg@10"].mean()
    pop = evaluate(MostPopular().fit(split), split).per_user["ndcg@10"].mean()
    assert gen > 3 * pop, (gen, pop)
    ev = chain.events
    permuted = ev.sample(frac=1.0, random_state=0).sort_values("user_id", kind="stable")
    permuted["timestamp"] = ev.sort_values(["user_id", "timestamp"], kind="stable")["timestamp"].to_numpy()
    s2, m2 = _fit(Dataset("shuffled", permuted.reset_index(drop=True), validate=False))
    shuffled = evaluate(m2, s2).per_user["ndcg@10"].mean()
    assert shuffled < 0.5 * gen, (shuffled, gen)


def test_flops_formulas_match_hand_count_and_torch_counter():
    # hand count, d=2, one layer, T=3, 5 items, one sequence with 2 targets:
    # 3 x [3 tokens x (24*4 + 4*3*2) + 2 targets x 2*2*5] = 3 x (360 + 40)
    assert sasrec_flops(2, 1, 3, 5, 1, 2) == 1200
    split = leave_last_out(simulate(n_users=30, n_items=40, n_categories=4, n_clusters=2, mean_views=8, seed=0))
    seq = split.sequences("train")
    users = np.flatnonzero(seq.lengths() >= 2)
    items, events, gaps = (torch.from_numpy(a) for a in pad_last(seq, users, 5, extra=1))
    n_seq, n_targets = training_positions(split, 5)
    assert n_seq == len(users) and n_targets == int((items[:, 1:] > 0).sum())

    m = SequenceRecommender("sasrec", dim=8, layers=2, heads=2, max_len=5, dropout=0.0, use_event=False,
                            use_gap=False)
    m.build(split)
    m.train()
    with sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter:
        h = m.encoder(items[:, :-1], events[:, :-1], gaps[:, :-1])
        t = items[:, 1:] - 1
        F.cross_entropy(m.item_logits(h[t >= 0]), t[t >= 0]).backward()
    assert counter.get_total_flops() == sasrec_flops(8, 2, 5, split.n_items, n_seq, n_targets)

    ids = residual_kmeans(stand_in_embeddings(split, "svd", 8), codebook=4)
    g = GenerativeRecommender(ids, dim=8, layers=2, decoder_layers=1, heads=2, max_len=5, dropout=0.0)
    g.split_ = split
    g.build()
    g.train()
    with sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter:
        g.batch_loss(items)[0].backward()
    assert counter.get_total_flops() == generative_flops(8, 2, 1, 5, ids.sizes, n_seq, n_targets)


def test_trie_softmax_is_a_distribution_over_items(chain):
    split, model = _fit(chain, epochs=1)
    users = np.arange(5)
    items = torch.from_numpy(pad_last(split.sequences("test"), users, model.max_len)[0])
    with torch.no_grad():
        h = model.encode(items)[:, -1]
        n = model.ids.n_items
        codes = torch.from_numpy(model.ids.codes)
        pre = model.prefixes[1:]  # (n_items, C)
        logp = torch.zeros(len(users), n)
        for j in range(model.n_codes):  # the log-probability of every item's whole tuple, teacher-forced
            x = model.decoder_input(codes[:, :j].expand(len(users), n, j), h[:, None].expand(len(users), n, -1))
            out = model.run_decoder(x, model.encode(items), (items > 0)[:, None, :])[:, :, -1]
            lv = torch.log_softmax(model.level_logits(out, j, pre[:, j].expand(len(users), n)), -1)
            logp += lv.gather(-1, codes[:, j].expand(len(users), n)[..., None]).squeeze(-1)
    assert torch.allclose(logp.exp().sum(1), torch.ones(len(users)), atol=1e-4)  # sums to one over the items
    plain = GenerativeRecommender(model.ids, trie_softmax=False)
    plain.build()
    z = plain.level_logits(torch.randn(3, plain.dim), 2, torch.zeros(3, dtype=torch.long))
    assert torch.isfinite(z).all()  # without the trie softmax every code keeps a finite logit


def test_trimming_padded_columns_changes_no_state(chain):
    from recnb.models.generative import trim

    split, model = _fit(chain, epochs=1)
    items = torch.from_numpy(pad_last(split.sequences("test"), np.arange(30), model.max_len)[0])
    items[:, :8] = 0  # histories shorter than the window: leading columns padded everywhere
    start = trim(items)
    assert start >= 8 and (items[:, :start] == 0).all()
    with torch.no_grad():
        full = model.encode(items)[:, start:]
        short = model.encode(items[:, start:], start)
    assert torch.allclose(full, short, atol=1e-5)


def test_short_histories_keep_their_state_at_inference(chain):
    # a position with nothing to attend to used to give NaN, which the second encoder layer spread to every
    # position of every history shorter than the window in PyTorch's inference path (states lost)
    split, model = _fit(chain, epochs=1)
    items = torch.from_numpy(pad_last(split.sequences("test"), np.arange(30), model.max_len)[0])
    assert (items == 0).any(1).any() and model.layers >= 2
    for mod in model.modules():
        if isinstance(mod, torch.nn.Dropout):
            mod.p = 0.0
        elif isinstance(mod, torch.nn.MultiheadAttention):
            mod.dropout = 0.0  # attention dropout is a float attribute
    with torch.no_grad():
        model.eval()
        inference = model.encode(items)
        model.train()
        training = model.encode(items)
    model.eval()
    assert torch.isfinite(inference).all()
    assert torch.allclose(inference, training, atol=1e-5)
