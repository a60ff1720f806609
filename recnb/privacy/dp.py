"""Differential privacy with Opacus: the Mult-DAE trained by DP-SGD (Abadi et al., CCS 2016).

One training example is one user's whole train row, so the guarantee is user-level: (ε, δ)-DP with
respect to adding or removing one user and all their interactions. Each step samples users by Poisson
sampling (rate = batch size / users), clips every user's gradient to norm ``max_grad_norm``, sums, adds
Gaussian noise of standard deviation ``noise multiplier × max_grad_norm`` and takes an Adam step.
Opacus chooses the noise multiplier that spends exactly the target ε over the planned epochs
(``make_private_with_epsilon``) and its accountant (PRV, Gopi et al., NeurIPS 2021) reports the ε spent.
δ defaults to 1 / (10 n) for n training users, an order of magnitude below 1/n.

Model support: the Mult-DAE has ``Linear`` and ``Tanh`` layers and functional dropout/normalisation,
all supported by Opacus (no layer had to be replaced). Per-user gradient norms come from Opacus' ghost
clipping (Li et al., ICLR 2022; ``grad_sample_mode="ghost"``), which never materialises the per-user
gradients: with per-sample hooks the two n_items × hidden layers need batch × n_items × hidden floats. The non-private run uses
the same model, initial weights, batch size, epochs and optimizer without clipping or noise. All runs
train for a fixed number of epochs and keep the last weights: choosing an epoch on validation data would
spend privacy the accountant does not count. DP-SGD has its own loop, not :class:`recnb.train.Trainer`'s:
Opacus clips and noises each user's gradient per step, and Poisson sampling can give an empty (noise-only) batch.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, TensorDataset

from ..evaluate.names import NDCG10
from ..data.split import Split
from ..evaluate import Evaluation, evaluate
from ..models.autoencoder import MultVAE
from ..train import adam
from .dae import DAEConfig, attach, build_dae, dense_rows, epoch_generator, multinomial_nll, train_epochs


class MultinomialNLLLoss(torch.nn.Module):
    """:func:`~recnb.privacy.dae.multinomial_nll` as a loss module with a ``reduction`` (``mean``, ``sum`` or
    ``none``), the form Opacus' ghost clipping asks for: (logits (n, n_items), rows (n, n_items))."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction

    def forward(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        loss = multinomial_nll(logits, x)
        return loss.mean() if self.reduction == "mean" else loss.sum() if self.reduction == "sum" else loss


def default_delta(n_users: int) -> float:
    """δ = 1 / (10 n): an order of magnitude below the 1/n above which DP protects nobody."""
    return 1.0 / (10 * n_users)


@dataclass
class PrivateRun:
    """One training run with or without DP-SGD.

    Attributes:
        name: ``"no privacy"`` or ``"DP ε=…"``.
        target_epsilon: the ε asked for (``inf`` without privacy); ``delta``: the δ of the guarantee.
        epsilon: the ε the accountant reports after training (``inf`` without privacy).
        noise_multiplier: σ of the Gaussian noise relative to the clipping norm (0 without privacy).
        history: one row per epoch: ``epoch``, ``loss`` (mean over users of the epoch), ``seconds``.
        seconds: training wall time (without evaluation).
        model: the trained Mult-DAE (scores users of the split it was trained on).
        evaluation: test evaluation of ``model``.
        members: the users whose rows were trained on.
    """

    name: str
    target_epsilon: float
    delta: float
    epsilon: float
    noise_multiplier: float
    history: pd.DataFrame
    seconds: float
    model: MultVAE
    evaluation: Evaluation
    members: np.ndarray


def train_private(split: Split, epsilon: float | None, epochs: int = 20, members: np.ndarray | None = None,
                  delta: float | None = None, max_grad_norm: float = 1.0, config: DAEConfig = DAEConfig(),
                  seed: int = 0) -> PrivateRun:
    """Train the Mult-DAE on the train rows of ``members`` (default: every user with train events) for
    ``epochs`` epochs, with DP-SGD at ``(epsilon, delta)`` or, for ``epsilon=None``, without privacy.

    ``max_grad_norm`` is the per-user clipping norm C. Returns the run with its test evaluation.
    """
    from opacus import PrivacyEngine

    users = np.flatnonzero(np.diff(split.train.indptr) > 0) if members is None else np.sort(np.asarray(members))
    delta = default_delta(len(users)) if delta is None else delta
    model = build_dae(split.n_items, config, seed)
    rows = []
    t0 = time.perf_counter()
    if epsilon is None:
        opt = adam(model.parameters(), lr=config.lr)
        for e in range(epochs):
            loss = train_epochs(model, split.train, users, 1, config, seed, first_epoch=e, optimizer=opt)[0]
            rows.append({"epoch": e + 1, "loss": loss, "seconds": time.perf_counter() - t0})
        name, spent, sigma, target = "no privacy", math.inf, 0.0, math.inf
    else:
        if epsilon <= 0:
            raise ValueError(f"train_private: epsilon={epsilon}, expected a positive number or None")
        gen = epoch_generator(seed, 0)
        loader = DataLoader(TensorDataset(dense_rows(split.train, users)), batch_size=config.batch_size,
                            shuffle=True, generator=gen)
        model.train()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*[Ss]ecure RNG.*")  # pseudo-random noise: a study, not production
            warnings.filterwarnings("ignore", message=".*largest alpha.*")  # RDP bound used only to size PRV's domain
            warnings.filterwarnings("ignore", message=".*Full backward hook.*")  # ghost clipping: inputs need no grad
            engine = PrivacyEngine(accountant="prv")
            private, opt, criterion, loader = engine.make_private_with_epsilon(
                module=model, optimizer=adam(model.parameters(), lr=config.lr), data_loader=loader,
                criterion=MultinomialNLLLoss(), target_epsilon=epsilon, target_delta=delta, epochs=epochs,
                max_grad_norm=max_grad_norm, noise_generator=gen, grad_sample_mode="ghost")
            for e in range(epochs):
                epoch_generator(seed, e)  # dropout masks of this epoch
                private.train()
                total, n = 0.0, 0
                for (x,) in loader:
                    if len(x) == 0:  # Poisson sampling can draw an empty batch: noise-only step
                        opt.zero_grad()
                        opt.step()
                        continue
                    loss = criterion(private(x)[0], x)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    total, n = total + loss.item() * len(x), n + len(x)
                rows.append({"epoch": e + 1, "loss": total / max(n, 1), "seconds": time.perf_counter() - t0})
            spent = float(engine.get_epsilon(delta))
        name, sigma, target = f"DP ε={epsilon:g}", float(opt.noise_multiplier), float(epsilon)
        model = private._module if hasattr(private, "_module") else model
    seconds = time.perf_counter() - t0
    model.eval()
    attach(model, split)
    return PrivateRun(name, target, delta, spent, sigma, pd.DataFrame(rows), seconds, model,
                      evaluate(model, split, name=name), users)


def privacy_table(runs: list[PrivateRun], n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """One row per run: target and spent ε, δ, noise multiplier, test NDCG@10 with its 95% CI, training
    seconds and seconds per epoch."""
    out = []
    for r in runs:
        s = r.evaluation.summary(n_boot, seed).set_index("metric").loc[NDCG10]
        out.append({"model": r.name, "target epsilon": r.target_epsilon, "epsilon spent": r.epsilon,
                    "delta": r.delta, "noise multiplier": r.noise_multiplier, NDCG10: s["mean"],
                    "ci_low": s["ci_low"], "ci_high": s["ci_high"], "train seconds": r.seconds,
                    "seconds per epoch": r.seconds / max(len(r.history), 1)})
    return pd.DataFrame(out)


__all__ = ["MultinomialNLLLoss", "default_delta", "PrivateRun", "train_private", "privacy_table"]
