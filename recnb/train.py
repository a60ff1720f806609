"""One training loop for every neural model: seeding, early stopping on validation NDCG@10, progress.

A model provides ``epoch_fn(epoch) -> mean training loss`` and the loop calls :func:`validation_score`
(NDCG@10 on the validation targets, history = train) after each epoch, keeps the best weights and
restores them at the end. Deterministic on CPU for a given seed.
"""

from __future__ import annotations

import copy
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from .data.split import Split
from .evaluate import Scorer, evaluate


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a torch generator seeded the same way."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def validation_score(model: Scorer, split: Split, metric: str = "ndcg@10") -> float:
    """Mean ``metric`` on the validation targets (the early-stopping criterion)."""
    return float(evaluate(model, split, "valid", ks=(10,), name="valid").per_user[metric].mean())


@dataclass
class FitResult:
    """What a training run did: the best epoch and score, one history row per epoch, wall time."""

    best_epoch: int = 0
    best_score: float = float("-inf")
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
    seconds: float = 0.0
    seconds_to_best: float = 0.0


def fit_loop(module: torch.nn.Module, epoch_fn: Callable[[int], float], validate: Callable[[], float],
             max_epochs: int = 100, patience: int = 10, desc: str = "train",
             checkpoint: str | Path | None = None, progress: bool = True) -> FitResult:
    """Train with early stopping: stop after ``patience`` epochs without a better validation score,
    then restore the best weights (also written to ``checkpoint`` when given)."""
    res = FitResult()
    best_state = copy.deepcopy(module.state_dict())
    rows, bad = [], 0
    t0 = time.perf_counter()
    bar = tqdm(range(1, max_epochs + 1), desc=desc, leave=False, disable=not progress or bool(os.environ.get("TQDM_DISABLE")))
    for epoch in bar:
        module.train()
        loss = float(epoch_fn(epoch))
        module.eval()
        score = validate()
        rows.append({"epoch": epoch, "loss": loss, "valid ndcg@10": score, "seconds": time.perf_counter() - t0})
        bar.set_postfix(loss=f"{loss:.4f}", ndcg=f"{score:.4f}")
        if score > res.best_score:
            res.best_score, res.best_epoch, bad = score, epoch, 0
            res.seconds_to_best = time.perf_counter() - t0
            best_state = copy.deepcopy(module.state_dict())
        else:
            bad += 1
            if bad >= patience:
                break
    module.load_state_dict(best_state)
    module.eval()
    if checkpoint:
        Path(checkpoint).parent.mkdir(parents=True, exist_ok=True)
        torch.save(best_state, checkpoint)
    res.history = pd.DataFrame(rows)
    res.seconds = time.perf_counter() - t0
    return res
