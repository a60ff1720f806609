"""Data-parallel training with ``torch.distributed``: DistributedDataParallel (Li et al., VLDB 2020).

Every process (rank) holds a full replica of the model and the whole split; only the training batches are
sharded. :func:`fit_data_parallel` gives the model its :class:`~recnb.train.DataParallel` place (rank,
world size), which its ``fit`` hands to its :class:`~recnb.train.Trainer`; the trainer does the rest (each
rank's share of the seeded order, :func:`~recnb.train.shard`; DDP averaging the gradients; validation
summed with ``all_reduce``, so every rank stops at the same epoch). With one process the run is exactly
single-process training with the same seed (tested). What is sharded per model, and how LightGCN
propagates over the full graph in every replica: docs/scale.md, section 3. Models go to
:func:`recnb.env.device`; under ``--backend nccl`` :func:`main_train` first makes ``LOCAL_RANK``'s GPU the
current one, so each rank trains on its own GPU.

Start it with ``torchrun --nproc-per-node N -m recnb train ...`` (one machine) or with a rendezvous
endpoint on several machines (docs/scale.md).
"""

from __future__ import annotations

import argparse
import os

import torch
import torch.distributed as dist
from torch import nn

from ..evaluate.names import HR10, NDCG10
from ..data.split import Split
from ..evaluate.ranking import evaluate
from ..train import DataParallel


def parameter_digest(model: nn.Module) -> torch.Tensor:
    """A float64 vector summarising every parameter (sum and sum of squares per tensor), for comparing
    replicas; shape (2 * n_parameters_tensors,)."""
    parts = [torch.stack([p.detach().double().sum(), p.detach().double().pow(2).sum()]) for p in model.parameters()]
    return torch.cat(parts)


def replicas_identical(model: nn.Module) -> bool:
    """True when every rank holds exactly the same parameters (all-gather of :func:`parameter_digest`)."""
    mine = parameter_digest(model)
    every = [torch.empty_like(mine) for _ in range(dist.get_world_size())]
    dist.all_gather(every, mine)
    return all(torch.equal(every[0], x) for x in every)


def fit_data_parallel(model: nn.Module, split: Split) -> nn.Module:
    """Fit ``model`` (a :class:`~recnb.models.sequence.SequenceRecommender` or a
    :class:`~recnb.models.graph.GraphRecommender`: a model whose ``fit`` reads ``parallel``) data-parallel
    over the initialised process group; without one, plain single-process ``fit``."""
    if dist.is_available() and dist.is_initialized():
        model.parallel = DataParallel(dist.get_rank(), dist.get_world_size())
    try:
        return model.fit(split)
    finally:
        model.parallel = None


def _load_split(args: argparse.Namespace) -> Split:
    if args.prepared:
        from .prepared import read_split

        return read_split(args.prepared)
    from ..data import load_dataset
    from ..data.split import leave_last_out

    return leave_last_out(load_dataset(args.dataset, data_path=args.data_path, fetch=True), target=args.target)


def make_model(args: argparse.Namespace, progress: bool = True) -> nn.Module:
    """The unfitted model ``train`` asks for: a :class:`~recnb.models.sequence.SequenceRecommender` (``rnn``,
    ``gru``, ``lstm``, ``sasrec``) or LightGCN (:class:`~recnb.models.graph.GraphRecommender`,
    ``--loss ce|bpr``); options left unset keep the model's defaults."""
    opts = {k: v for k, v in dict(lr=args.lr, batch_size=args.batch_size).items() if v is not None}
    common = dict(dim=args.dim, max_epochs=args.epochs, patience=args.patience, seed=args.seed, progress=progress)
    if args.model == "lightgcn":
        from ..models.graph import GraphRecommender

        if args.user_batch is not None:
            opts["user_batch"] = args.user_batch
        return GraphRecommender("lightgcn", layers=args.layers, loss=args.loss, **common, **opts)
    from ..models.sequence import SequenceRecommender

    return SequenceRecommender(args.model, **common, **opts)


def main_train(args: argparse.Namespace) -> int:
    """``python -m recnb train``: under ``torchrun`` (``WORLD_SIZE`` set) one rank of a data-parallel run,
    otherwise a single process. Rank 0 prints the best validation NDCG@10, the test metrics with 95% CIs
    and whether the replicas ended identical."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if args.backend == "nccl":  # one GPU per rank: "cuda" (recnb.env.device) means the current one
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    if world > 1 or "RANK" in os.environ:
        dist.init_process_group(args.backend)
    rank = dist.get_rank() if dist.is_initialized() else 0
    split = _load_split(args)
    model = make_model(args, progress=rank == 0)
    name = args.model if args.model != "lightgcn" else f"lightgcn-{args.loss}"
    fit_data_parallel(model, split)
    same = replicas_identical(model) if dist.is_initialized() else True
    if rank == 0:
        hist = model.fit_.history
        print(f"{name} on {split.name}: {world} process(es), {split.n_users:,} users, {split.n_items:,} items")
        print(f"best epoch {model.fit_.best_epoch}, valid ndcg@10 {model.fit_.best_score:.4f}, "
              f"{hist['seconds'].diff().fillna(hist['seconds']).median():.2f} s per epoch (median), "
              f"replicas identical: {same}")
        table = evaluate(model, split, "test", name=name).summary()
        print(table[table["metric"].isin([HR10, NDCG10])].to_string(index=False, float_format=lambda x: f"{x:.4f}"))
        if args.save:
            torch.save(model.state_dict(), args.save)
    if dist.is_initialized():
        dist.destroy_process_group()
    return 0 if same else 1


__all__ = ["parameter_digest", "replicas_identical", "fit_data_parallel", "make_model", "main_train"]
