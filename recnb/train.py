"""One training loop for every trained model: seeding, early stopping on a validation quantity, progress.

A model provides ``epoch_fn(epoch) -> training loss`` and ``validate() -> float``; :func:`fit_loop` calls
them in turn, keeps the weights of the best validation value (the largest with ``maximise=True``, the
smallest otherwise, by more than ``min_delta``), stops after ``patience`` epochs without one, and restores
those weights. The trainer owns the loop, the model owns its loss (as in RecBole's trainer with its
``early_stopping(..., bigger=...)``). Ranking models stop on :func:`validation_score` (NDCG@10 on the
validation targets, history = train); the feature autoencoder and the gated fusion stop on a held-out loss.
Deterministic on CPU for a given seed.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from .data.split import Split
from .env import show_progress
from .evaluate.ranking import Scorer, evaluate


def adam(params: Iterable[Any], lr: float = 1e-3, weight_decay: float = 0.0) -> torch.optim.Adam:
    """The Adam optimiser (Kingma & Ba, ICLR 2015) every recnb model trains with: torch's fused
    implementation (one pass over each parameter per step, on the CPU as on CUDA). On a 30,000-item
    Mult-VAE the default multi-tensor step took about 170 ms per update on one core, the fused one 18 ms;
    the updates agree up to float rounding. ``params``: parameters or parameter groups."""
    return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, fused=True)


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a torch generator seeded the same way."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def validation_score(model: Scorer, split: Split, metric: str = "ndcg@10") -> float:
    """Mean ``metric`` on the validation targets (the early-stopping criterion of the ranking models)."""
    return float(evaluate(model, split, "valid", ks=(10,), name="valid").per_user[metric].mean())


def select_on_validation(model: Scorer, split: Split, attr: str, grid: Iterable[Any]) -> dict[Any, float]:
    """Set ``model.<attr>`` to each value of ``grid`` in turn, score validation NDCG@10, and leave the best
    value set (the first one on ties). Returns ``{value: validation NDCG@10}`` (models keep it as
    ``scores_``). For a setting chosen without retraining (a decay, a mixing weight)."""
    scores: dict[Any, float] = {}
    for value in grid:
        setattr(model, attr, value)
        scores[value] = validation_score(model, split)
    setattr(model, attr, max(scores, key=scores.__getitem__))
    return scores


@dataclass
class FitResult:
    """What a training run did: the best epoch and its validation value, one history row per epoch
    (``epoch``, the loss column, the validation column, ``seconds``), wall time, the seconds of each
    epoch's training and of each validation apart (for ``python -m recnb bench``), and whether patience
    ran out before ``max_epochs``."""

    best_epoch: int = 0
    best_score: float = float("nan")
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
    seconds: float = 0.0
    seconds_to_best: float = 0.0
    epoch_seconds: list[float] = field(default_factory=list)
    valid_seconds: list[float] = field(default_factory=list)
    stopped_early: bool = False


def _clock() -> float:
    """``time.perf_counter`` after the queued CUDA work is done (when CUDA is in use), so that a timing
    covers the work and not only its launch."""
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()
    return time.perf_counter()


def fit_loop(module: torch.nn.Module, epoch_fn: Callable[[int], float], validate: Callable[[], float],
             max_epochs: int = 100, patience: int = 10, desc: str = "train",
             checkpoint: str | Path | None = None, progress: bool = True, maximise: bool = True,
             min_delta: float = 0.0, loss_name: str = "loss", score_name: str = "valid ndcg@10") -> FitResult:
    """Train with early stopping and restore the best weights (also written to ``checkpoint`` when given).

    Each epoch runs ``epoch_fn(epoch)`` in train mode, then ``validate()`` in eval mode. An epoch is the new
    best when its value beats the best so far by more than ``min_delta`` (upwards with ``maximise``,
    downwards otherwise); after ``patience`` epochs without a new best the loop stops. The history names
    its columns ``loss_name`` and ``score_name``.
    """
    res = FitResult()
    best = float("-inf") if maximise else float("inf")
    best_state = copy.deepcopy(module.state_dict())
    rows, bad = [], 0
    t0 = _clock()
    bar = tqdm(range(1, max_epochs + 1), desc=desc, leave=False, disable=not show_progress(progress))
    for epoch in bar:
        module.train()
        t1 = _clock()
        loss = float(epoch_fn(epoch))
        t2 = _clock()
        module.eval()
        score = float(validate())
        t3 = _clock()
        res.epoch_seconds.append(t2 - t1)
        res.valid_seconds.append(t3 - t2)
        rows.append({"epoch": epoch, loss_name: loss, score_name: score, "seconds": t3 - t0})
        bar.set_postfix(loss=f"{loss:.4f}", valid=f"{score:.4f}")
        if (score > best + min_delta) if maximise else (score < best - min_delta):
            best, res.best_epoch, bad = score, epoch, 0
            res.seconds_to_best = t3 - t0
            best_state = copy.deepcopy(module.state_dict())
        else:
            bad += 1
            if bad >= patience:
                res.stopped_early = epoch < max_epochs
                break
    res.best_score = best
    module.load_state_dict(best_state)
    module.eval()
    if checkpoint:
        Path(checkpoint).parent.mkdir(parents=True, exist_ok=True)
        torch.save(best_state, checkpoint)
    res.history = pd.DataFrame(rows)
    res.seconds = _clock() - t0
    return res
