"""Autoencoders: the article's section 4.1.1, h = f_θ(x) and x' = f_θ'(h), made to work.

* :class:`FeatureAutoencoder`: the article's small tabular autoencoder over per-user behaviour features.
  Inputs are z-scored (so a linear output and a mean-squared reconstruction loss fit them; the article's
  sigmoid + BCE on raw counts did not). ``h`` is a latent profile; the per-user reconstruction error is
  an anomaly score (notebook 08).
* :class:`MultVAE` and :class:`MultDAE` (Liang, Krishnan, Hoffman & Jebara, "Variational Autoencoders for
  Collaborative Filtering", WWW 2018) over the user's interaction vector x_u ∈ {0,1}^{n_items}:
  an encoder with input dropout, a multinomial likelihood log p(x_u|z_u) = Σ_i x_ui log π_i(z_u) with
  π = softmax(f_θ'(z_u)), and for the VAE a KL term weighted by β, annealed linearly from 0 to ``beta_max``.
  They rank items with π and expose the latent mean μ_u as :meth:`user_vectors`. The encoder's first layer reads
  only the user's items (:class:`SparseInputLinear`).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch import nn
from torch.nn import functional as F

from .. import env
from ..data.split import Split
from ..train import FitResult, Trainer
from .base import Recommender, multi_hot
from .dropout import dropout
from .softmax import softmax_cross_entropy


class SparseInputLinear(nn.Module):
    """A linear layer x W + b for sparse inputs x (a user's few items of a large catalogue), computed from x's
    nonzeros only: ``F.embedding_bag`` sums the rows W_i of the items i in x, weighted by x_i (Liang et al.'s
    encoder input layer; a user touches a small share of the catalogue, and the dense product's work on the other
    items, forward and backward, is skipped).

    ``weight`` is (n_in, n_out), one row per input item: the transpose of ``nn.Linear``'s. :meth:`from_linear`
    takes an initialised ``nn.Linear`` (same values). Shapes: :meth:`forward` takes a dense x (batch, n_in), and
    :meth:`rows` the CSR parts of x (``indptr`` (batch + 1,), ``indices`` (nnz,), ``values`` (nnz,)); both return
    (batch, n_out).
    """

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    @classmethod
    def from_linear(cls, linear: nn.Linear) -> SparseInputLinear:
        layer = cls(linear.in_features, linear.out_features)
        with torch.no_grad():
            layer.weight.copy_(linear.weight.T)
            layer.bias.copy_(linear.bias)
        return layer

    def rows(self, indptr: torch.Tensor, indices: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        return F.embedding_bag(indices, self.weight, indptr[:-1], mode="sum", per_sample_weights=values) + self.bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r, c = x.nonzero(as_tuple=True)  # row-major: the CSR order
        indptr = torch.cat([r.new_zeros(1), torch.bincount(r, minlength=len(x)).cumsum(0)])
        return self.rows(indptr, c, x[r, c])


def _mlp(sizes: list[int], act: type[nn.Module] = nn.ReLU, last_act: bool = False) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2 or last_act:
            layers.append(act())
    return nn.Sequential(*layers)


class FeatureAutoencoder(nn.Module):
    """Tabular autoencoder over per-user features: h = f_θ(x) (``latent`` dims), x' = f_θ'(h).

    ``fit(features)`` takes a numeric DataFrame (one row per user, e.g. from
    :func:`recnb.data.features.numeric_matrix`), z-scores each column, holds out ``valid_share`` of the rows
    for early stopping on reconstruction MSE, and restores the best weights. The loss is *trimmed*: in each
    batch the ``trim`` share of users with the worst reconstruction is left out, so that a small, coherent
    group of anomalies (a fraud ring) cannot claim latent dimensions of its own and stays badly
    reconstructed (a plain autoencoder learns to reconstruct it; ``trim=0`` shows that).

    Attributes after fit: ``mean_``, ``std_`` (scaling), ``fit_`` (:class:`~recnb.train.FitResult`, early-stopped
    on the held-out MSE) and ``history_`` (its history: epoch, train mse, valid mse).
    """

    def __init__(self, latent: int = 4, hidden: tuple[int, ...] = (64, 32), lr: float = 1e-3,
                 max_epochs: int = 300, patience: int = 20, valid_share: float = 0.1, trim: float = 0.05,
                 seed: int = 0) -> None:
        super().__init__()
        self.latent, self.hidden, self.lr, self.trim = latent, hidden, lr, trim
        self.max_epochs, self.patience, self.valid_share, self.seed = max_epochs, patience, valid_share, seed

    def _scale(self, features: pd.DataFrame) -> torch.Tensor:
        x = (features[self.columns_].to_numpy(dtype=np.float64) - self.mean_) / self.std_
        return torch.from_numpy(x.astype(np.float32))

    def fit(self, features: pd.DataFrame) -> FeatureAutoencoder:
        trainer = Trainer(self.seed)
        self.columns_ = list(features.columns)
        raw = features.to_numpy(dtype=np.float64)
        self.mean_, std = raw.mean(0), raw.std(0)
        self.std_ = np.where(std > 0, std, 1.0)
        x = self._scale(features)
        d = x.shape[1]
        self.encoder = _mlp([d, *self.hidden, self.latent])
        self.decoder = _mlp([self.latent, *reversed(self.hidden), d])
        perm = torch.randperm(len(x), generator=trainer.generator)
        n_val = max(1, int(len(x) * self.valid_share))
        val, tr = x[perm[:n_val]], x[perm[n_val:]]

        def mse(data: torch.Tensor) -> float:
            with torch.no_grad():
                return F.mse_loss(self(data), data).item()

        def batches() -> Iterator[tuple[torch.Tensor]]:
            return ((tr[b],) for b in trainer.order(len(tr), 128))

        self.fit_: FitResult = trainer.fit(self, batches, lambda: mse(val), lr=self.lr, epoch_loss=lambda: mse(tr),
                                           max_epochs=self.max_epochs, patience=self.patience,
                                           desc="feature autoencoder", progress=False, maximise=False,
                                           min_delta=1e-6, loss_name="train mse", score_name="valid mse")
        self.history_ = self.fit_.history
        return self

    def batch_loss(self, x: torch.Tensor) -> tuple[torch.Tensor, int]:
        """The trimmed reconstruction loss of a batch of z-scored rows x (b, d): the mean squared error of
        each row, averaged over all rows but the ``trim`` share reconstructed worst; and b."""
        per_user = ((self(x) - x) ** 2).mean(1)
        keep = max(1, int(round(len(x) * (1 - self.trim))))
        return torch.topk(per_user, keep, largest=False).values.mean(), len(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction x' = f_θ'(f_θ(x)) of z-scored features, shape (n, d)."""
        return self.decoder(self.encoder(x))

    def transform(self, features: pd.DataFrame) -> np.ndarray:
        """Latent profiles h, shape (n_users, latent)."""
        with torch.no_grad():
            return self.encoder(self._scale(features)).numpy()

    def reconstruction_error(self, features: pd.DataFrame) -> np.ndarray:
        """Mean squared error per user on the z-scored features, shape (n_users,): the anomaly score."""
        x = self._scale(features)
        with torch.no_grad():
            return ((self(x) - x) ** 2).mean(1).numpy()


class MultVAE(Recommender):
    """Mult-VAE (Liang et al., WWW 2018) with the paper's architecture [n_items -> 600 -> latent].

    Training: for each batch of users, x_u is L2-normalised, dropped out (p = ``dropout``), encoded to
    (μ, log σ²); z = μ + σ ε; loss = -Σ_i x_ui log softmax(f_θ'(z))_i + β KL(q(z|x) || N(0, I)), with β rising
    linearly to ``beta_max`` over ``anneal_steps`` updates (the paper's KL annealing; the paper anneals
    over 200,000 updates on ML-20M, here about 125 epochs of ML-100K). Scoring uses z = μ.
    ``variational=False`` gives Mult-DAE (no KL, z = h deterministic). The step ``lr`` is 3e-3 rather than
    the paper's 1e-3: on ML-100K the best validation NDCG@10 came after about a quarter of the epochs at the
    same value (``python -m recnb bench --only ml-100k`` shows the time to the best validation score).
    """

    def __init__(self, latent: int = 200, hidden: int = 600, dropout: float = 0.5, beta_max: float = 0.2,
                 anneal_steps: int = 1000, lr: float = 3e-3, weight_decay: float = 0.0, batch_size: int = 128,
                 max_epochs: int = 300, patience: int = 20, variational: bool = True, seed: int = 0,
                 progress: bool = True) -> None:
        super().__init__()
        self.latent, self.hidden, self.dropout, self.beta_max = latent, hidden, dropout, beta_max
        self.anneal_steps, self.lr, self.weight_decay, self.batch_size = anneal_steps, lr, weight_decay, batch_size
        self.max_epochs, self.patience, self.variational, self.seed = max_epochs, patience, variational, seed
        self.progress = progress

    def build(self, n_items: int, sparse_input: bool = True) -> None:
        """The encoder and decoder, initialised; ``sparse_input`` makes the first layer a
        :class:`SparseInputLinear` (the same values; ``False`` keeps ``nn.Linear``, which per-sample-gradient
        tools such as Opacus need)."""
        out = 2 * self.latent if self.variational else self.latent
        self.encoder = nn.Sequential(nn.Linear(n_items, self.hidden), nn.Tanh(), nn.Linear(self.hidden, out))
        self.decoder = nn.Sequential(nn.Linear(self.latent, self.hidden), nn.Tanh(), nn.Linear(self.hidden, n_items))
        for m in [*self.encoder, *self.decoder]:
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.normal_(m.bias, std=0.001)
        if sparse_input:
            self.encoder[0] = SparseInputLinear.from_linear(self.encoder[0])  # the same initial values

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(μ, log σ²) of q(z|x), each (n, latent); for the DAE log σ² is zeros."""
        return self._heads(self.encoder(dropout(F.normalize(x, dim=1), self.dropout, self.training)))

    def encode_rows(self, rows: sp.csr_matrix) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`encode` of the CSR ``rows`` (n, n_items) without a dense copy: each row binary and L2-normalised,
        its nonzeros dropped out (p = ``dropout``, survivors scaled by 1/(1-p)) when training."""
        dev = self.device
        first, rest = self.encoder[0], self.encoder[1:]
        if not isinstance(first, SparseInputLinear):
            return self.encode(multi_hot(rows, np.arange(rows.shape[0]), dev))
        indptr = torch.from_numpy(rows.indptr.astype(np.int64)).to(dev)
        lengths = indptr.diff()  # a binary row's L2 norm is the square root of its length
        norm = torch.repeat_interleave(lengths.float().sqrt().clamp_min(1e-12), lengths)
        values = dropout(torch.ones(rows.nnz, device=dev) / norm, self.dropout, self.training)
        return self._heads(rest(first.rows(indptr, torch.from_numpy(rows.indices.astype(np.int64)).to(dev), values)))

    def _heads(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.variational:
            return h, torch.zeros_like(h)
        return h[:, : self.latent], h[:, self.latent:]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Logits over items (n, n_items), μ and log σ²."""
        mu, logvar = self.encode(x)
        return self.decoder(self._sample(mu, logvar)), mu, logvar

    def _sample(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """z = μ + σ ε when training the VAE (the reparameterisation trick), else μ."""
        return mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if (self.training and self.variational) else mu

    def fit(self, split: Split) -> MultVAE:
        trainer = Trainer(self.seed)
        self.split_ = split
        self.build(split.n_items)
        self.to(env.device())  # initialised on the CPU (same values on every device), then moved
        train = split.train
        users = np.flatnonzero(np.diff(train.indptr) > 0)
        self.steps_ = 0

        def batches() -> Iterator[tuple[sp.csr_matrix]]:
            return ((train[users[b.numpy()]],) for b in trainer.order(len(users), self.batch_size))

        self.fit_: FitResult = trainer.fit(self, batches, split, lr=self.lr, weight_decay=self.weight_decay,
                                           max_epochs=self.max_epochs, patience=self.patience,
                                           desc="Mult-VAE" if self.variational else "Mult-DAE", progress=self.progress)
        return self

    def batch_loss(self, rows: sp.csr_matrix) -> tuple[torch.Tensor, int]:
        """The training loss of the users whose binary train rows are ``rows`` (CSR, (b, n_items)), and b:
        -Σ_i x_ui log softmax(f_θ'(z))_i averaged over the users, plus β KL for the VAE (β annealed over
        the updates: each call counts one in ``steps_``)."""
        x = multi_hot(rows, np.arange(rows.shape[0]), self.device)  # the targets
        mu, logvar = self.encode_rows(rows)
        out = self.decoder[-1]  # -Σ_i x_ui log softmax(f_θ'(z))_i, fused with the output layer
        loss = softmax_cross_entropy(self.decoder[:-1](self._sample(mu, logvar)), out.weight, out.bias, x)
        if self.variational:
            beta = min(self.beta_max, self.beta_max * self.steps_ / self.anneal_steps)
            kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1).mean()
            loss = loss + beta * kl
        self.steps_ += 1
        return loss, rows.shape[0]

    def vectors(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """Differentiable latent interest μ_u from the user's history at ``stage``, shape (len(users), latent)."""
        return self.encode(multi_hot(self.split_.history(stage), users, self.device))[0]

    def decode(self, vectors: torch.Tensor, stage: str = "test") -> torch.Tensor:
        """Item logits f_θ'(μ_u), shape (n, n_items) (softmax is monotone: logits rank the same)."""
        return self.decoder(vectors)


def MultDAE(**kwargs: object) -> MultVAE:  # noqa: N802 - a model name, used like a class
    """Mult-DAE (Liang et al., WWW 2018): the denoising autoencoder with multinomial likelihood."""
    return MultVAE(variational=False, **kwargs)
