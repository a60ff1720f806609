"""Full-softmax cross-entropy over the whole catalogue, fused with its output layer.

The next-item models (:mod:`recnb.models.sequence`, the cascade fusion) end in logits z = h Wᵀ + b over every
item and the loss mean_n [logsumexp(z_n) − z_n,y_n] (Klenitskiy & Vasilev, RecSys 2023). Written as
``F.cross_entropy(torch.addmm(b, h, W.T), y)``, autograd writes the (N, C) logits, their (N, C) log-softmax,
an (N, C) zero tensor for the NLL gradient and an (N, C) softmax gradient to memory and reads each back: on a
CPU those passes cost as much as the three matrix products themselves (``python -m recnb bench``), and on a
55,000-item shop catalogue each (N, C) tensor of a batch is about a gigabyte.

:func:`softmax_cross_entropy` computes the same loss and the same gradients (up to float rounding) a block of
rows at a time, so that a block's logits stay in the processor's cache. For the rows n of a block it forms
z_n, log softmax(z_n) (the loss terms) and Δ_n = N ∂loss/∂z_n = softmax(z_n) − onehot(y_n) (for a target
distribution x_n: softmax(z_n) Σ_i x_ni − x_n), and at once the gradients ∂loss/∂h_n = Δ_n W / N,
∂loss/∂W += Δ_nᵀ h_n / N and ∂loss/∂b += Σ_n Δ_n / N; the backward pass only scales them by the incoming
gradient. No (N, C) intermediate is ever stored: the fused linear cross-entropy of Liger-Kernel (Hsu et al.
2024) and Cut Cross-Entropy (Wijmans et al., ICLR 2025), here in plain torch for the CPU.

On a catalogue of at least :data:`BF16_MIN_ITEMS` items and a call of at least :data:`BF16_MIN_ROWS` rows (a
next-item model's batch of positions), where these three products are nearly all of an epoch, they multiply in
bfloat16 with float32 accumulation when the processor has bfloat16 instructions
(:func:`recnb.env.bf16_matmul`; ``RECNB_BF16=0`` turns it off): mixed-precision training as on GPUs. The
log-softmax, the loss and the gradients' sums stay in float32, and scoring for evaluation never uses it.
"""

from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable

from .. import env

BLOCK_BYTES = 2 << 20
"""Size of one block of logits (float32: 2 MiB, rows = BLOCK_BYTES / 4 / C, at least 32): about a core's
share of the cache, so a block is written, normalised and multiplied without a trip to memory."""


BF16_MIN_ITEMS = 10_000
"""Catalogues at least this large get the bfloat16 products (see the module docstring); smaller ones, where the
products are a smaller share of an epoch, stay in float32 throughout."""


BF16_MIN_ROWS = 1024
"""Calls with fewer rows stay in float32 too: the weight is rounded to bfloat16 once per call, which a next-item
batch of many positions repays and a batch of a few users' multinomial likelihoods does not."""


def block_rows(n_items: int, itemsize: int) -> int:
    """Rows of ``h`` per block: a (rows, n_items) block of logits of ``itemsize`` bytes fills BLOCK_BYTES."""
    return max(32, BLOCK_BYTES // (itemsize * max(n_items, 1)))


class _SoftmaxCrossEntropy(torch.autograd.Function):
    """Autograd function of :func:`softmax_cross_entropy`: the forward pass also forms the gradients."""

    @staticmethod
    def forward(ctx, h: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None,  # type: ignore[override]
                target: torch.Tensor) -> torch.Tensor:
        n, dense = len(target), target.dim() == 2
        grads = any(ctx.needs_input_grad[:3])
        loss = torch.zeros((), dtype=torch.float64, device=h.device)
        grad_h = torch.empty_like(h) if grads else None
        grad_w = torch.zeros_like(weight) if grads else None
        grad_b = torch.zeros_like(bias) if grads and bias is not None else None
        step = block_rows(len(weight), h.element_size())
        low = (len(weight) >= BF16_MIN_ITEMS and n >= BF16_MIN_ROWS and h.dtype == torch.float32
               and env.bf16_matmul())
        w = weight.to(torch.bfloat16) if low else weight
        for lo in range(0, n, step):
            hb, yb = h[lo: lo + step], target[lo: lo + step]
            if low:
                hb = hb.to(torch.bfloat16)
                z = (hb @ w.T).float()
                if bias is not None:
                    z += bias
            else:
                z = hb @ weight.T if bias is None else torch.addmm(bias, hb, weight.T)
            logp = torch.log_softmax(z, 1)  # (rows, C): one block
            if dense:
                loss -= torch.vdot(logp.view(-1), yb.reshape(-1)).double()
            else:
                rows = torch.arange(len(yb), device=logp.device)
                loss -= logp[rows, yb].sum(dtype=torch.float64)
            if grads:
                delta = logp.exp_()  # softmax, in place; then minus the target (times its mass)
                if dense:
                    delta.mul_(yb.sum(1, keepdim=True)).sub_(yb)
                else:
                    delta[rows, yb] -= 1
                if low:
                    d = delta.to(torch.bfloat16)
                    grad_h[lo: lo + len(yb)] = d @ w
                    grad_w += d.T @ hb
                else:
                    torch.mm(delta, weight, out=grad_h[lo: lo + len(yb)])
                    grad_w.addmm_(delta.T, hb)
                if grad_b is not None:
                    grad_b += delta.sum(0)
        if grads:
            ctx.save_for_backward(grad_h, grad_w, grad_b)
        return (loss / n).to(h.dtype)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        grad_h, grad_w, grad_b = ctx.saved_tensors
        scale = grad / grad_h.shape[0]
        return (grad_h * scale if ctx.needs_input_grad[0] else None,
                grad_w * scale if ctx.needs_input_grad[1] else None,
                grad_b * scale if ctx.needs_input_grad[2] else None, None)


def softmax_cross_entropy(h: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None,
                          target: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of the full softmax over the logits ``h @ weight.T + bias``, equal (up to float
    rounding) to ``F.cross_entropy(torch.addmm(bias, h, weight.T), target)``, without any (N, C) tensor in
    memory.

    Shapes: ``h`` (N, d), ``weight`` (C, d), ``bias`` (C,) or None, and ``target`` either (N,) int64 item
    indices in [0, C) (next-item prediction: mean over n of −log p_n,y_n) or (N, C) float weights x (the
    multinomial likelihood of Mult-VAE and LightGCN-CE: mean over n of −Σ_i x_ni log p_ni, as
    ``F.cross_entropy`` with probability targets). Returns a scalar, differentiable (once) in ``h``,
    ``weight`` and ``bias``; the gradients are formed during the forward pass when any of them needs one.
    """
    c = weight.shape[0] if weight.dim() == 2 else -1
    if h.dim() != 2 or weight.dim() != 2 or h.shape[1] != weight.shape[1] or (
            bias is not None and bias.shape != (c,)):
        raise ValueError(f"softmax_cross_entropy: expected h (N, d), weight (C, d), bias (C,) or None; got "
                         f"{tuple(h.shape)}, {tuple(weight.shape)}, "
                         f"{None if bias is None else tuple(bias.shape)}")
    if target.shape not in ((h.shape[0],), (h.shape[0], c)):
        raise ValueError(f"softmax_cross_entropy: expected target ({h.shape[0]},) or ({h.shape[0]}, {c}); "
                         f"got {tuple(target.shape)}")
    return _SoftmaxCrossEntropy.apply(h, weight, bias, target)


def interaction_cross_entropy(h: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None,
                              x: torch.Tensor) -> torch.Tensor:
    """:func:`softmax_cross_entropy` with multi-hot targets ``x`` (N, C), averaged over the interactions
    (Σ x) rather than over the rows: −Σ_n Σ_i x_ni log p_ni / Σ x, the per-interaction full-softmax loss of
    LightGCN-CE, the late fusion and the cascade's graph part."""
    return softmax_cross_entropy(h, weight, bias, x) * (len(x) / x.sum())


__all__ = ["softmax_cross_entropy", "interaction_cross_entropy"]
