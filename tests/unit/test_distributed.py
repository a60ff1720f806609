"""Data-parallel training (recnb.scale.distributed): one process equals single-process training, two gloo
processes end with identical replicas and a validation NDCG@10 within the CI of one process."""

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
from recnb.scale.distributed import fit_data_parallel, replicas_identical, shard

SETTINGS = dict(cell="gru", dim=16, max_len=20, batch_size=32, max_epochs=4, patience=4, seed=3, progress=False)


@pytest.fixture(scope="module")
def split():
    return leave_last_out(simulate(n_users=160, n_items=60, n_categories=6, mean_views=12, seed=2))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world: int, port: int, split, out: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    model = fit_data_parallel(SequenceRecommender(**SETTINGS), split)
    same = replicas_identical(model)
    ndcg = evaluate(model, split, "valid", ks=(10,)).per_user["ndcg@10"].to_numpy()
    torch.save({"state": model.state_dict(), "same": same, "ndcg": ndcg, "best": model.fit_.best_score},
               f"{out}/rank{rank}.pt")
    dist.destroy_process_group()


def _run(world: int, split, tmp_path) -> list[dict]:
    mp.spawn(_worker, args=(world, _free_port(), split, str(tmp_path)), nprocs=world, join=True)
    return [torch.load(tmp_path / f"rank{r}.pt", weights_only=False) for r in range(world)]


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
    (res,) = _run(1, split, tmp_path)
    for name, p in plain.state_dict().items():
        assert torch.equal(p, res["state"][name]), name
    assert res["best"] == plain.fit_.best_score


def test_two_gloo_processes_identical_replicas_and_ndcg_within_ci(split, tmp_path):
    torch.set_num_threads(1)
    plain = SequenceRecommender(**SETTINGS).fit(split)
    one = evaluate(plain, split, "valid", ks=(10,)).per_user["ndcg@10"].to_numpy()
    a, b = _run(2, split, tmp_path)
    assert a["same"] and b["same"]
    for name, p in a["state"].items():
        assert torch.equal(p, b["state"][name]), name
    assert not all(torch.equal(p, a["state"][n]) for n, p in plain.state_dict().items()), "2 ranks saw other batches"
    lo, hi = bootstrap_ci(one, 1000, 0)
    assert lo <= float(np.mean(a["ndcg"])) <= hi, (lo, float(np.mean(a["ndcg"])), hi, json.dumps(a["best"]))
