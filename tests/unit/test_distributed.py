"""Data-parallel training (recnb.scale.distributed), for a sequence model and for LightGCN (both losses):
one process equals single-process training, two gloo processes end with identical replicas and a
validation NDCG@10 within the CI of one process."""

from __future__ import annotations

import json
import socket

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from recnb.data.simulate import simulate
from recnb.data.split import leave_last_out
from recnb.evaluate.ranking import evaluate
from recnb.evaluate.statistics import bootstrap_ci
from recnb.models.sequence import SequenceRecommender
from recnb.scale.distributed import fit_data_parallel, replicas_identical
from recnb.train import DataParallel, Trainer, shard

SETTINGS = dict(cell="gru", dim=16, max_len=20, batch_size=32, max_epochs=4, patience=4, seed=3, progress=False)
# LightGCN: 160 users, ~1,400 train interactions; global batches of 32 users (ce) / 256 BPR triples (bpr)
GRAPH = dict(dim=16, lr=1e-2, user_batch=32, batch_size=256, max_epochs=5, patience=5, seed=3, progress=False)


@pytest.fixture(scope="module")
def split():
    return leave_last_out(simulate(n_users=160, n_items=60, n_categories=6, mean_views=12, seed=2))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world: int, port: int, split, out: str, runs=((SequenceRecommender, SETTINGS),)) -> None:
    """One rank: fit each ``(model class, settings)`` of ``runs`` in turn (one spawn for several fits)."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    for i, (make, settings) in enumerate(runs):
        model = fit_data_parallel(make(**settings), split)
        same = replicas_identical(model)
        ndcg = evaluate(model, split, "valid", ks=(10,)).per_user["ndcg@10"].to_numpy()
        torch.save({"state": model.state_dict(), "same": same, "ndcg": ndcg, "best": model.fit_.best_score},
                   f"{out}/run{i}-rank{rank}.pt")
    dist.destroy_process_group()


def _run(world: int, split, tmp_path, runs=((SequenceRecommender, SETTINGS),)) -> list[list[dict]]:
    """Results of ``runs`` on ``world`` spawned gloo ranks: for each run, one dict per rank."""
    mp.spawn(_worker, args=(world, _free_port(), split, str(tmp_path), runs), nprocs=world, join=True)
    return [[torch.load(tmp_path / f"run{i}-rank{r}.pt", weights_only=False) for r in range(world)]
            for i in range(len(runs))]


def test_shard_covers_every_user_once_when_divisible_and_pads_otherwise():
    order = torch.randperm(10, generator=torch.Generator().manual_seed(0))
    parts = [shard(order, r, 2) for r in range(2)]
    assert sorted(torch.cat(parts).tolist()) == list(range(10))
    parts = [shard(order[:7], r, 2) for r in range(2)]
    assert [len(p) for p in parts] == [4, 4] and set(torch.cat(parts).tolist()) == set(order[:7].tolist())
    assert torch.equal(shard(order, 0, 1), order)


def test_one_process_equals_single_process_training(split, tmp_path):
    torch.set_num_threads(1)
    plain = SequenceRecommender(**SETTINGS).fit(split)
    ((res,),) = _run(1, split, tmp_path)
    for name, p in plain.state_dict().items():
        assert torch.equal(p, res["state"][name]), name
    assert res["best"] == plain.fit_.best_score


def test_two_gloo_processes_identical_replicas_and_ndcg_within_ci(split, tmp_path):
    torch.set_num_threads(1)
    plain = SequenceRecommender(**SETTINGS).fit(split)
    one = evaluate(plain, split, "valid", ks=(10,)).per_user["ndcg@10"].to_numpy()
    ((a, b),) = _run(2, split, tmp_path)
    assert a["same"] and b["same"]
    for name, p in a["state"].items():
        assert torch.equal(p, b["state"][name]), name
    assert not all(torch.equal(p, a["state"][n]) for n, p in plain.state_dict().items()), "2 ranks saw other batches"
    lo, hi = bootstrap_ci(one, 1000, 0)
    assert lo <= float(np.mean(a["ndcg"])) <= hi, (lo, float(np.mean(a["ndcg"])), hi, json.dumps(a["best"]))


def test_randint_splits_one_global_draw_and_is_the_draw_itself_for_one_process():
    def draw(rank: int, world: int) -> torch.Tensor:
        return Trainer(torch.Generator().manual_seed(0), DataParallel(rank, world)).randint(100, 3)

    whole = torch.randint(0, 100, (6,), generator=torch.Generator().manual_seed(0))
    assert torch.equal(Trainer(torch.Generator().manual_seed(0)).randint(100, 6), whole)
    assert torch.equal(draw(0, 2), whole[0::2]) and torch.equal(draw(1, 2), whole[1::2])


@pytest.mark.parametrize("loss", ["ce", "bpr"])
def test_lightgcn_one_process_group_equals_single_process_training(split, loss, tmp_path):
    """One rank through DDP (in this process: no spawn) gives bit for bit today's single-process fit."""
    from recnb.models.graph import GraphRecommender  # here, not above: the GRU tests' ranks skip PyG's import

    torch.set_num_threads(1)
    plain = GraphRecommender(loss=loss, **GRAPH).fit(split)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{_free_port()}", rank=0, world_size=1)
    try:
        model = fit_data_parallel(GraphRecommender(loss=loss, **GRAPH), split)
        assert replicas_identical(model)
    finally:
        dist.destroy_process_group()
    for name, p in plain.state_dict().items():
        assert torch.equal(p, model.state_dict()[name]), name
    assert model.fit_.best_score == plain.fit_.best_score
    assert model.fit_.history["loss"].equals(plain.fit_.history["loss"])


def test_lightgcn_two_gloo_processes_identical_replicas_and_ndcg_within_ci(split, tmp_path):
    """Both losses in one spawn of two ranks: the ce run shards the user batches, the bpr run the triples
    (and the negatives)."""
    from recnb.models.graph import GraphRecommender

    torch.set_num_threads(1)
    losses = ("ce", "bpr")
    results = _run(2, split, tmp_path, tuple((GraphRecommender, dict(loss=loss, **GRAPH)) for loss in losses))
    for loss, (a, b) in zip(losses, results):
        plain = GraphRecommender(loss=loss, **GRAPH).fit(split)
        one = evaluate(plain, split, "valid", ks=(10,)).per_user["ndcg@10"].to_numpy()
        assert a["same"] and b["same"], loss
        for name, p in a["state"].items():
            assert torch.equal(p, b["state"][name]), (loss, name)
        weight = plain.net.embedding.weight.detach()
        if loss == "bpr":  # the 2 ranks' shares make up the 1-process batch (same triples, same negatives by
            # local_draw; 1,026 triples: no padding) and BPR is a mean: equal up to float summation order
            torch.testing.assert_close(a["state"]["net.embedding.weight"], weight, atol=1e-4, rtol=0)
        else:  # each rank normalises its cross-entropy by its own interactions: another (valid) trajectory
            assert not torch.equal(weight, a["state"]["net.embedding.weight"]), "2 ranks saw other batches"
        lo, hi = bootstrap_ci(one, 1000, 0)
        assert lo <= float(np.mean(a["ndcg"])) <= hi, (loss, lo, float(np.mean(a["ndcg"])), hi, a["best"])
