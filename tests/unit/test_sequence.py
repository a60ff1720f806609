"""Sequence encoders: the article's RNN equals torch.nn.RNN; planted transitions are learned; order matters."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recnb.data import Dataset
from recnb.data.simulate import simulate
from recnb.data.split import leave_last_out
from recnb.evaluate import evaluate
from recnb.models.baselines import MostPopular
from recnb.models.sequence import SequenceRecommender, VanillaRNN, gap_buckets, pad_last


def test_vanilla_rnn_equals_torch_rnn():
    torch.manual_seed(0)
    ours = VanillaRNN(5, 7)
    ref = torch.nn.RNN(5, 7, batch_first=True, nonlinearity="tanh")
    with torch.no_grad():
        ref.weight_ih_l0.copy_(ours.cell.W_x.weight)
        ref.weight_hh_l0.copy_(ours.cell.W_h.weight)
        ref.bias_ih_l0.copy_(ours.cell.b_h * 0.25)
        ref.bias_hh_l0.copy_(ours.cell.b_h * 0.75)  # b_ih + b_hh = b_h
    x = torch.randn(3, 11, 5)
    assert torch.allclose(ours(x), ref(x)[0], atol=1e-6)


def test_vanilla_rnn_equals_its_cell_unrolled_in_python_with_the_extra_term():
    torch.manual_seed(1)
    rnn = VanillaRNN(6, 8)
    x, extra, h0 = torch.randn(4, 9, 6, requires_grad=True), torch.randn(4, 9, 8), torch.randn(4, 8)
    h, steps = h0, []
    for t in range(x.shape[1]):  # the article's h_t = tanh(W_h h_{t-1} + W_x x_t + b_h), plus the extra term
        h = torch.tanh(rnn.cell.W_h(h) + rnn.cell.W_x(x[:, t]) + rnn.cell.b_h + extra[:, t])
        steps.append(h)
    looped = torch.stack(steps, 1)
    grads = torch.autograd.grad((looped ** 2).sum(), [x, rnn.cell.W_h.weight, rnn.cell.W_x.weight])
    fused = rnn(x, h0=h0, extra=extra)
    torch.testing.assert_close(fused, looped, atol=1e-6, rtol=1e-6)
    for a, b in zip(torch.autograd.grad((fused ** 2).sum(), [x, rnn.cell.W_h.weight, rnn.cell.W_x.weight]), grads):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_padding_and_gap_buckets(ml100k):
    split = leave_last_out(ml100k)
    seq = split.sequences("train")
    items, events, gaps = pad_last(seq, np.array([0, 1]), 50, extra=1)
    assert items.shape == (2, 51)
    u0 = seq.items[seq.offsets[0]:seq.offsets[1]]
    assert (items[0][items[0] > 0] - 1 == u0[-51:]).all()
    assert gap_buckets(np.array([np.nan, 0.0, 1.0, 3.0, 1e12])).tolist() == [0, 1, 2, 3, 32]


@pytest.fixture(scope="module")
def chain():
    return simulate(n_users=600, n_items=300, n_categories=10, n_clusters=3, mean_views=30, p_follow=0.7,
                    p_cart=0.0, seed=5)


def _ndcg(ds, cell="gru"):
    split = leave_last_out(ds)
    model = SequenceRecommender(cell, dim=32, max_epochs=25, patience=5, progress=False, seed=0).fit(split)
    pop = MostPopular().fit(split)
    return evaluate(model, split).per_user["ndcg@10"].mean(), evaluate(pop, split).per_user["ndcg@10"].mean()


def test_gru_learns_planted_transitions_and_order_matters(chain):
    gru, pop = _ndcg(chain)
    assert gru > 3 * pop, (gru, pop)
    # the same users, items and times, but each user's items in a random order: no sequential signal
    ev = chain.events
    permuted = ev.sample(frac=1.0, random_state=0).sort_values("user_id", kind="stable")
    permuted["timestamp"] = ev.sort_values(["user_id", "timestamp"], kind="stable")["timestamp"].to_numpy()
    gru_shuffled, _ = _ndcg(Dataset("shuffled", permuted.reset_index(drop=True), validate=False))
    assert gru_shuffled < 0.5 * gru, (gru_shuffled, gru)


def test_seeded_sequence_runs_repeat(chain):
    split = leave_last_out(chain)
    a = SequenceRecommender("lstm", dim=16, max_epochs=2, patience=2, progress=False, seed=1).fit(split)
    b = SequenceRecommender("lstm", dim=16, max_epochs=2, patience=2, progress=False, seed=1).fit(split)
    users = np.arange(10)
    assert torch.equal(a.score(users), b.score(users))
    assert a.user_vectors(users).shape == (10, 16)


def test_sasrec_scores_short_histories_from_the_state_training_sees():
    """Inference (eval mode) and training mode give the same states for users with left padding: the
    attention mask leaves no padded position without a key (which made eval-mode states NaN, then zero)."""
    from recnb.data.simulate import simulate
    from recnb.data.split import leave_last_out
    from recnb.models.sequence import pad_last

    split = leave_last_out(simulate(n_users=100, n_items=60, n_categories=4, n_clusters=2, mean_views=10, seed=1))
    for layers in (1, 2):
        m = SequenceRecommender("sasrec", layers=layers, max_len=20, max_epochs=1, dropout=0.0,
                                progress=False).fit(split)
        it, ev, gp = (torch.from_numpy(a) for a in pad_last(split.sequences("test"), np.arange(30), 20))
        assert (it == 0).any(1).sum() > 5  # some users are padded
        with torch.no_grad():
            m.eval()
            a = m.encoder(it, ev, gp)[:, -1]
            m.train()
            b = m.encoder(it, ev, gp)[:, -1]
        assert torch.isfinite(a).all() and torch.allclose(a, b, atol=1e-5)
        assert (a - a[0]).abs().max() > 1e-3  # padded users do not share one state
