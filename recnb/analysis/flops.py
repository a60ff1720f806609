"""Training compute from the architecture: the x axis of the scaling plots (Kaplan et al. 2020, "Scaling
Laws for Neural Language Models", section 2.1; HSTU, Zhai et al., ICML 2024, plots quality against it).

Counted: the multiply-adds of every matrix product, as 2 FLOPs each, for the positions the code actually
computes (padded positions of a batch included, since they are computed). Per token and transformer layer
of width d with a 4d feed-forward, over a sequence of T positions:

* projections: Q, K, V and output 4·d² multiply-adds, feed-forward 8·d²: ``24·d²`` FLOPs;
* attention: scores Q·Kᵀ and the weighted sum of V, T·d multiply-adds each: ``4·T·d`` FLOPs (the causal
  mask does not skip the masked half in PyTorch's kernels).

The output layer costs ``2·d·n_out`` per predicted position. A training step costs three forward passes
(the backward pass computes two products per forward product: with respect to the input and the weights).
Embedding look-ups, layer norms, softmaxes and biases are left out (lower order in d). The unit tests check
these formulas against ``torch.utils.flop_counter.FlopCounterMode`` on tiny models.
"""

from __future__ import annotations

import numpy as np

from ..data.split import Split

TRAIN_FACTOR = 3
"""Training FLOPs per forward FLOP (forward + backward)."""


def layer_flops(dim: int, context: int) -> int:
    """Forward FLOPs of one pre-norm transformer layer (4·dim feed-forward) for one token attending to
    ``context`` positions: 24·d² + 4·context·d."""
    return 24 * dim * dim + 4 * context * dim


def training_positions(split: Split, max_len: int, users: np.ndarray | None = None) -> tuple[int, int]:
    """(sequences, predicted positions) of one epoch of the next-item models: every user with at least
    two train events is a sequence of ``max_len`` positions; a position predicts when its next item is real,
    which for a history shorter than the window includes the padded position before the first item.
    ``users``: only these users' sequences (a model trained on a share of the users)."""
    lengths = split.sequences("train").lengths()
    if users is not None:
        lengths = lengths[np.asarray(users)]
    n_seq = int((lengths >= 2).sum())
    targets = int(np.minimum(lengths[lengths >= 2], max_len).sum())
    return n_seq, targets


def sasrec_flops(dim: int, layers: int, max_len: int, n_items: int, n_seq: int, n_targets: int) -> int:
    """Training FLOPs of one epoch of :class:`~recnb.models.sequence.SequenceRecommender` (``sasrec``):
    ``n_seq`` sequences of ``max_len`` positions through ``layers`` layers, and full-softmax logits over
    ``n_items`` at ``n_targets`` positions."""
    forward = n_seq * max_len * layers * layer_flops(dim, max_len) + n_targets * 2 * dim * n_items
    return TRAIN_FACTOR * forward


def generative_flops(dim: int, layers: int, decoder_layers: int, max_len: int, sizes: tuple[int, ...],
                     n_seq: int, n_targets: int) -> int:
    """Training FLOPs of one epoch of :class:`~recnb.models.generative.GenerativeRecommender`.

    Encoder: as SASRec without the item softmax. Decoder, per history position, ``C = len(sizes)`` tokens
    per layer: self-attention and feed-forward (8·d² + 16·d² + 4·C·d), cross-attention query and output
    (4·d²) and its scores over the T memory positions (4·T·d), plus the memory's keys and values (4·d² per
    memory position). Output: 2·d·sizes[j] per predicted position and level.
    """
    c, t = len(sizes), max_len
    encoder = n_seq * t * layers * layer_flops(dim, t)
    per_token = 24 * dim * dim + 4 * c * dim + 4 * dim * dim + 4 * t * dim
    decoder = n_seq * t * decoder_layers * (c * per_token + 4 * dim * dim)
    out = n_targets * 2 * dim * int(sum(sizes))
    return TRAIN_FACTOR * (encoder + decoder + out)


def model_flops(model: object, split: Split) -> int:
    """Training FLOPs per epoch of a fitted or configured SASRec or generative model on ``split``."""
    from ..models.generative import GenerativeRecommender
    from ..models.sequence import SequenceRecommender

    n_seq, n_targets = training_positions(split, model.max_len, getattr(model, "train_users_", None))
    if isinstance(model, GenerativeRecommender):
        return generative_flops(model.dim, model.layers, model.decoder_layers, model.max_len, model.ids.sizes,
                                n_seq, n_targets)
    if isinstance(model, SequenceRecommender) and model.cell == "sasrec":
        return sasrec_flops(model.dim, model.layers, model.max_len, split.n_items, n_seq, n_targets)
    raise TypeError(f"model_flops: no formula for {type(model).__name__}")


__all__ = ["TRAIN_FACTOR", "generative_flops", "layer_flops", "model_flops", "sasrec_flops", "training_positions"]
