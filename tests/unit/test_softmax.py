"""The fused full-softmax cross-entropy equals autograd's F.cross_entropy in value and gradients."""

import pytest
import torch
from torch.nn import functional as F

from recnb.models.softmax import interaction_cross_entropy, softmax_cross_entropy


def _grads(loss_fn, h, w, b):
    for t in (h, w, b):
        t.grad = None
    loss = loss_fn()
    loss.backward()
    return loss.detach(), *(None if t.grad is None else t.grad.clone() for t in (h, w, b))


def test_value_and_gradients_match_cross_entropy():
    gen = torch.Generator().manual_seed(0)
    h = torch.randn(300, 16, generator=gen, dtype=torch.float64, requires_grad=True)
    table = torch.randn(51, 16, generator=gen, dtype=torch.float64, requires_grad=True)  # row 0: padding
    b = torch.randn(50, generator=gen, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, 50, (300,), generator=gen)
    ref = _grads(lambda: F.cross_entropy(torch.addmm(b, h, table[1:].T), y), h, table, b)
    new = _grads(lambda: softmax_cross_entropy(h, table[1:], b, y), h, table, b)
    for a, c in zip(ref, new):
        torch.testing.assert_close(a, c, rtol=1e-10, atol=1e-12)
    assert new[2][0].abs().sum() == 0  # the padding row, outside the slice, gets no gradient


@pytest.mark.parametrize("n", [1, 31, 2000])  # one row, fewer rows than a block, several blocks
def test_blocks_and_retained_graph(n):
    gen = torch.Generator().manual_seed(n)
    h = torch.randn(n, 8, generator=gen, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3000, 8, generator=gen, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(3000, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, 3000, (n,), generator=gen)
    ref = _grads(lambda: F.cross_entropy(torch.addmm(b, h, w.T), y) * 3, h, w, b)
    h.grad = w.grad = b.grad = None
    loss = softmax_cross_entropy(h, w, b, y) * 3
    loss.backward(retain_graph=True)
    loss.backward()  # a second pass over the kept graph accumulates the same gradients again
    for a, c in zip(ref, (loss.detach(), h.grad / 2, w.grad / 2, b.grad / 2)):
        torch.testing.assert_close(a, c, rtol=1e-10, atol=1e-12)


def test_multinomial_targets_and_no_bias():
    gen = torch.Generator().manual_seed(1)
    h = torch.randn(70, 6, generator=gen, dtype=torch.float64, requires_grad=True)
    w = torch.randn(4000, 6, generator=gen, dtype=torch.float64, requires_grad=True)
    x = (torch.rand(70, 4000, generator=gen, dtype=torch.float64) < 0.01).double()  # multi-hot rows
    b = torch.zeros(4000, dtype=torch.float64)
    ref = _grads(lambda: -(F.log_softmax(h @ w.T, 1) * x).sum(1).mean(), h, w, b.requires_grad_())
    new = _grads(lambda: softmax_cross_entropy(h, w, None, x), h, w, b)
    for a, c in zip(ref[:3], new[:3]):
        torch.testing.assert_close(a, c, rtol=1e-10, atol=1e-12)


def test_no_gradient_wanted():
    with torch.no_grad():
        h, w, y = torch.randn(50, 4), torch.randn(7, 4), torch.arange(50) % 7
        torch.testing.assert_close(softmax_cross_entropy(h, w, torch.zeros(7), y),
                                   F.cross_entropy(h @ w.T, y))


def test_shapes_are_checked():
    with pytest.raises(ValueError, match="target"):
        softmax_cross_entropy(torch.randn(8, 4), torch.randn(5, 4), torch.zeros(5), torch.zeros(7, dtype=torch.long))
    with pytest.raises(ValueError, match="weight"):
        softmax_cross_entropy(torch.randn(8, 4), torch.randn(5, 3), torch.zeros(5), torch.zeros(8, dtype=torch.long))


def test_interaction_average():
    gen = torch.Generator().manual_seed(2)
    h, w = torch.randn(40, 5, generator=gen, dtype=torch.float64), torch.randn(90, 5, generator=gen, dtype=torch.float64)
    x = (torch.rand(40, 90, generator=gen, dtype=torch.float64) < 0.05).double()
    torch.testing.assert_close(interaction_cross_entropy(h, w, None, x),
                               -(F.log_softmax(h @ w.T, 1) * x).sum() / x.sum(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("bf16", ["0", "1"])
def test_large_catalogue_in_bfloat16_stays_close_and_float32_is_exact(bf16, monkeypatch):
    from recnb.models import softmax

    monkeypatch.setenv("RECNB_BF16", bf16)
    gen = torch.Generator().manual_seed(7)
    c = softmax.BF16_MIN_ITEMS
    n = softmax.BF16_MIN_ROWS
    h = (torch.randn(n, 16, generator=gen) * 0.3).requires_grad_(True)
    w = (torch.randn(c, 16, generator=gen) * 0.3).requires_grad_(True)
    b = torch.zeros(c, requires_grad=True)
    y = torch.randint(0, c, (n,), generator=gen)
    ref = _grads(lambda: F.cross_entropy(torch.addmm(b, h, w.T), y), h, w, b)
    new = _grads(lambda: softmax_cross_entropy(h, w, b, y), h, w, b)
    tol = dict(rtol=2e-2, atol=2e-4) if bf16 == "1" else dict(rtol=1e-4, atol=1e-6)
    for a, d in zip(ref, new):
        torch.testing.assert_close(d, a, **tol)
    if bf16 == "1":  # the products really were rounded: not the float32 numbers
        assert not torch.equal(new[1], ref[1])
