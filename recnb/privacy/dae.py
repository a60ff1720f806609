"""The model of the privacy experiments: Mult-DAE (Liang et al., WWW 2018), trained by :meth:`recnb.train.Trainer.epoch`.

Federated averaging, DP-SGD and the membership attack all need the same three things from the model:
its per-user loss, a training loop they can drive (over a subset of users, for a set number of epochs,
with the optimizer replaced), and its parameters as plain arrays. :class:`~recnb.models.autoencoder.MultVAE`
with ``variational=False`` is that model: its only input is the user's own interaction row, so the user
part of the model (the row and the code μ_u computed from it) never has to leave the user, and its layers
are ``Linear`` and ``Tanh``, which Opacus supports. The denoising variant is used because the VAE's KL
annealing follows a global step count that has no meaning across clients.

Loss of user u with row x_u ∈ {0,1}^{n_items}: the multinomial negative log-likelihood
-Σ_i x_ui log softmax(f(x_u))_i (:func:`multinomial_nll`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
from torch.nn import functional as F

from ..models.autoencoder import MultVAE
from ..models.base import multi_hot
from ..train import Trainer, adam


@dataclass(frozen=True)
class DAEConfig:
    """Size and optimisation of the Mult-DAE used by the privacy experiments.

    ``hidden``/``latent``: layer widths [n_items -> hidden -> latent -> hidden -> n_items]; ``dropout``: input
    dropout; ``lr``: Adam step size; ``batch_size``: users per update.
    """

    hidden: int = 600
    latent: int = 200
    dropout: float = 0.5
    lr: float = 1e-3
    batch_size: int = 128


def build_dae(n_items: int, config: DAEConfig = DAEConfig(), seed: int = 0) -> MultVAE:
    """An untrained Mult-DAE over ``n_items`` items, initialised from ``seed`` (the same seed gives the
    same weights), in eval mode."""
    model = MultVAE(latent=config.latent, hidden=config.hidden, dropout=config.dropout, variational=False,
                    seed=seed, progress=False)
    torch.manual_seed(seed)
    model.build(n_items, sparse_input=False)  # per-user gradients (Opacus, vmap) need nn.Linear
    return model.eval()


def multinomial_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Per-user multinomial negative log-likelihood -Σ_i x_ui log softmax(logits_u)_i, shape (n,), from
    logits and rows of shape (n, n_items)."""
    return -(F.log_softmax(logits, 1) * x).sum(1)


def dense_rows(matrix: sp.csr_matrix, users: np.ndarray) -> torch.Tensor:
    """Binary rows of ``matrix`` for ``users`` as a dense float tensor, shape (len(users), n_items)."""
    return multi_hot(matrix, np.asarray(users))


def epoch_generator(seed: int, epoch: int) -> torch.Generator:
    """The random stream of one training epoch: batch order and dropout masks depend only on (seed,
    epoch), so a run is repeatable and a run split into rounds replays the same epochs. Also seeds torch's
    global generator, which ``F.dropout`` draws from."""
    s = int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0])
    torch.manual_seed(s)
    return torch.Generator().manual_seed(s)


def train_epochs(model: MultVAE, matrix: sp.csr_matrix, users: np.ndarray, epochs: int,
                 config: DAEConfig = DAEConfig(), seed: int = 0, first_epoch: int = 0,
                 optimizer: torch.optim.Optimizer | None = None, max_steps: int | None = None) -> list[float]:
    """Train ``model`` in place on the rows of ``users`` for ``epochs`` epochs.

    ``optimizer`` (to continue a run) defaults to a fresh Adam with step ``config.lr``. Epoch ``e``
    (counted from ``first_epoch``) draws its batches and dropout from :func:`epoch_generator` ``(seed, e)``.
    ``max_steps`` caps the optimiser steps of each epoch (its first batches; ``None``: the whole epoch), so
    that a centralised run can take as many steps per round as a federated client does.
    Returns the mean loss per user of each epoch; leaves the model in eval mode.
    """
    users = np.asarray(users)
    opt = optimizer or adam(model.parameters(), lr=config.lr)

    def step(x: torch.Tensor) -> tuple[torch.Tensor, int]:
        return multinomial_nll(model(x)[0], x).mean(), len(x)

    losses = []
    model.train()
    for e in range(first_epoch, first_epoch + epochs):
        order = Trainer(epoch_generator(seed, e)).order(len(users), config.batch_size)[:max_steps]
        losses.append(Trainer.epoch(step, ((dense_rows(matrix, users[b.numpy()]),) for b in order), opt))
    model.eval()
    return losses


def user_losses(model: MultVAE, matrix: sp.csr_matrix, users: np.ndarray, per_item: bool = True,
                batch_size: int = 1024) -> np.ndarray:
    """Loss of each user's own row given that row as input (no dropout), shape (len(users),); divided by
    the row's number of items when ``per_item`` (so that long and short histories compare)."""
    users = np.asarray(users)
    out = np.empty(len(users))
    model.eval()
    with torch.no_grad():
        for b in range(0, len(users), batch_size):
            x = dense_rows(matrix, users[b:b + batch_size])
            loss = multinomial_nll(model(x)[0], x)
            if per_item:
                loss = loss / x.sum(1).clamp(min=1)
            out[b:b + batch_size] = loss.numpy()
    return out


def attach(model: MultVAE, split: object) -> MultVAE:
    """Let ``model`` score users of ``split`` (it reads their history rows from it); returns the model."""
    model.split_ = split  # type: ignore[assignment]
    return model


__all__ = ["DAEConfig", "build_dae", "multinomial_nll", "dense_rows", "epoch_generator", "train_epochs",
           "user_losses", "attach"]
