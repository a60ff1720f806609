"""The trainer every trained model fits with (RecBole's design: the trainer owns the loop, the model its loss;
see ``docs/architecture.md``) and early stopping (:func:`fit_loop`, :class:`FitResult`).

A model's ``fit`` makes a :class:`Trainer` from its seed first (so that its initial weights come from the
seed), builds its layers and calls :meth:`Trainer.fit`. Deterministic on CPU for a given seed.
"""

from __future__ import annotations

import copy
import math
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import numpy as np
import pandas as pd
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from .evaluate.names import NDCG10, VALID_NDCG10
from .data.split import Split
from .env import show_progress
from .evaluate.ranking import Scorer, evaluate


def adam(params: Iterable[Any], lr: float = 1e-3, weight_decay: float = 0.0) -> torch.optim.Adam:
    """The Adam optimiser (Kingma & Ba, ICLR 2015) every recnb model trains with: torch's fused
    implementation (one pass over each parameter per step, on the CPU as on CUDA; the updates agree with the
    multi-tensor step up to float rounding). ``params``: parameters or parameter groups."""
    return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, fused=True)


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a torch generator seeded the same way."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def validation_score(model: Scorer, split: Split, metric: str = NDCG10) -> float:
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
             max_epochs: int = 100, patience: int = 10, desc: str = "train", progress: bool = True,
             maximise: bool = True, min_delta: float = 0.0, loss_name: str = "loss",
             score_name: str = VALID_NDCG10) -> FitResult:
    """Train with early stopping and restore the best weights.

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
    res.history = pd.DataFrame(rows)
    res.seconds = _clock() - t0
    return res


class Trainable(Protocol):
    """What :meth:`Trainer.fit` asks of a model besides its batches."""

    def batch_loss(self, *batch: Any) -> tuple[torch.Tensor, int]:
        """The mean loss of ``batch`` (a tuple as ``batches()`` yields it) and the examples it averages over."""


def shard(order: torch.Tensor, rank: int, world: int) -> torch.Tensor:
    """Rank ``rank``'s share of ``order`` (shape (n,)): padded by wrapping to a multiple of ``world``, then
    every ``world``-th entry from ``rank`` (the rule of ``torch.utils.data.DistributedSampler``); shape
    (ceil(n / world),). Identity for one process."""
    n = len(order)
    if world == 1:
        return order
    total = math.ceil(n / world) * world
    padded = torch.cat([order, order[: total - n]]) if total > n else order
    return padded[rank::world]


@dataclass(frozen=True)
class DataParallel:
    """This process's place in a data-parallel run (the process group must be up), for a :class:`Trainer`."""

    rank: int
    world: int


class _Loss(nn.Module):
    """A model's ``batch_loss`` as a module, so that DDP can wrap it (its parameters are the model's)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, *batch: Any) -> tuple[torch.Tensor, int]:
        return self.model.batch_loss(*batch)


class Trainer:
    """The training loop of one fit. ``seed`` seeds everything (:func:`seed_everything`) and ``generator``,
    the source of the batch order and of the models' per-batch draws (or is that generator itself);
    ``parallel``: this process's place in a data-parallel run, or None."""

    def __init__(self, seed: int | torch.Generator, parallel: DataParallel | None = None) -> None:
        self.generator = seed if isinstance(seed, torch.Generator) else seed_everything(seed)
        self.parallel = parallel
        self.rank, self.world = (parallel.rank, parallel.world) if parallel is not None else (0, 1)

    def order(self, n: int, size: int) -> tuple[torch.Tensor, ...]:
        """One epoch's batches of ``n`` units: index tensors (≤ size,) of a ``torch.randperm`` from ``generator``;
        in a data-parallel run this rank's :func:`shard` of it in batches of ``ceil(size / world)`` (the global
        batch stays ``size``)."""
        return shard(torch.randperm(n, generator=self.generator), self.rank, self.world).split(
            math.ceil(size / self.world))

    def randint(self, high: int, n: int) -> torch.Tensor:
        """``n`` uniform integers in [0, ``high``), (n,): this rank's share ``[rank::world]`` of one draw for the
        global batch (every rank's generator stays in step); one process: the draw itself."""
        return torch.randint(0, high, (self.world * n,), generator=self.generator)[self.rank::self.world]

    def validation_score(self, model: nn.Module, split: Split) -> float:
        """:func:`validation_score`; data-parallel: each rank's share of the users, summed by ``all_reduce``."""
        if self.world == 1:
            return validation_score(model, split)  # type: ignore[arg-type]
        users = split.target("valid")[0][self.rank::self.world]
        ndcg = evaluate(model, split, "valid", ks=(10,), users=users).per_user[NDCG10].to_numpy()  # type: ignore[arg-type]
        total = torch.tensor([ndcg.sum(), len(ndcg)], dtype=torch.float64, device=next(model.parameters()).device)
        dist.all_reduce(total)
        return float(total[0] / total[1])

    @staticmethod
    def epoch(step: Callable[..., tuple[torch.Tensor, int]], batches: Iterable[tuple[Any, ...]],
              optimiser: torch.optim.Optimizer) -> float:
        """``zero_grad``, ``backward`` and ``step`` over ``batches``; the mean of their losses weighted by their
        example counts (summed in float64 on the loss's device: no host sync per batch)."""
        total: torch.Tensor | float = 0.0
        count = 0
        for batch in batches:
            loss, n = step(*batch)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total, count = total + loss.detach().double() * n, count + n
        return float(total) / max(count, 1)

    def fit(self, model: nn.Module, batches: Callable[[], Iterable[tuple[Any, ...]]],
            validate: Split | Callable[[], float], *, lr: float, weight_decay: float = 0.0,
            params: Iterable[Any] | None = None, epoch_loss: Callable[[], float] | None = None, **loop: Any) -> FitResult:
        """Train ``model`` (a :class:`Trainable`) on ``batches()`` (one epoch's batches a call) with :func:`adam`
        over ``params`` (default ``model.parameters()``), early-stopped on ``validate`` (a split: its
        :meth:`validation_score`; or a function) by :func:`fit_loop` with the settings ``loop``. ``epoch_loss``:
        the loss the history reports for an epoch instead of the batches' mean. Leaves the best weights."""
        optimiser = adam(model.parameters() if params is None else params, lr=lr, weight_decay=weight_decay)
        step = model.batch_loss if self.parallel is None else DistributedDataParallel(_Loss(model))
        score = validate if callable(validate) else lambda: self.validation_score(model, validate)

        def epoch_fn(_: int) -> float:
            loss = self.epoch(step, batches(), optimiser)
            return loss if epoch_loss is None else epoch_loss()

        return fit_loop(model, epoch_fn, score, **loop)


__all__ = ["adam", "seed_everything", "validation_score", "select_on_validation", "FitResult", "fit_loop",
           "Trainable", "shard", "DataParallel", "Trainer"]
