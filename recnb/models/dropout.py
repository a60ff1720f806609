"""Dropout (Srivastava et al., JMLR 2014) with a uniform draw in place of a Bernoulli one.

``F.dropout`` on a CPU draws its mask with ``bernoulli_``; comparing a uniform draw with p gives the same
distribution (keep with probability 1 − p, scale the kept entries by 1 / (1 − p)) at a lower cost, and is
used everywhere so that a model is the same model on every device. The draws come from torch's default
generator, so seeded runs stay repeatable.
"""

from __future__ import annotations

import torch
from torch import nn


def dropout(x: torch.Tensor, p: float, training: bool = True) -> torch.Tensor:
    """``x`` with each entry zeroed with probability ``p`` and the rest scaled by 1 / (1 − p) (when
    ``training``; otherwise ``x``). Any shape; differentiable in ``x``."""
    if not training or p == 0.0:
        return x
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout: expected 0 <= p < 1, got {p}")
    return x * torch.rand_like(x).ge_(p).mul_(1.0 / (1.0 - p))


class Dropout(nn.Dropout):
    """``nn.Dropout`` drawing its mask with :func:`dropout`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return dropout(x, self.p, self.training)


def uniform_dropouts(module: nn.Module) -> nn.Module:
    """Replace every ``nn.Dropout`` inside ``module`` (e.g. those of ``nn.TransformerEncoderLayer``) by a
    :class:`Dropout` of the same rate, in place; returns ``module``. (The attention weights' dropout of
    ``nn.MultiheadAttention`` is a functional argument and keeps PyTorch's draw.)"""
    for name, child in module.named_children():
        if type(child) is nn.Dropout:
            setattr(module, name, Dropout(child.p))
        else:
            uniform_dropouts(child)
    return module


__all__ = ["dropout", "Dropout", "uniform_dropouts"]
