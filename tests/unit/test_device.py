"""The device option: RECNB_DEVICE / --device parse, auto falls back to the CPU, and a model placed on the
CPU explicitly scores exactly as with the default (no GPU needed)."""

from __future__ import annotations

import pytest
import torch

from recnb import env
from recnb.__main__ import main
from recnb.data.split import leave_last_out
from recnb.evaluate import evaluate
from recnb.models.baselines import EASE
from recnb.models.graph import GraphRecommender
from recnb.models.sequence import SequenceRecommender


def test_parse_device_choices(monkeypatch):
    assert env.parse_device("cpu") == torch.device("cpu")
    assert env.parse_device(" CPU ") == torch.device("cpu")
    with pytest.raises(ValueError, match="RECNB_DEVICE='tpu'.*auto, cpu, cuda"):
        env.parse_device("tpu")
    monkeypatch.setenv(env.DEVICE, "cpu")
    assert env.device() == torch.device("cpu")


def test_auto_falls_back_to_cpu_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert env.parse_device("auto") == torch.device("cpu")
    assert env.parse_device(None) == torch.device("cpu")
    monkeypatch.delenv(env.DEVICE, raising=False)
    assert env.device() == torch.device("cpu")
    with pytest.raises(RuntimeError, match="sees no CUDA device"):
        env.parse_device("cuda")


def test_auto_picks_cuda_when_available(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert env.parse_device("auto") == torch.device("cuda")


def test_command_line_device_sets_the_environment(monkeypatch):
    monkeypatch.delenv(env.DEVICE, raising=False)
    with pytest.raises(SystemExit):  # argparse rejects a device outside the choices
        main(["bench", "--device", "tpu"])
    monkeypatch.setattr("recnb.bench.speed.run_bench", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):  # stops right after the option was applied
        main(["bench", "--device", "cpu"])
    import os

    assert os.environ[env.DEVICE] == "cpu"


@pytest.fixture(scope="module")
def small_split(sim_small):
    return leave_last_out(sim_small)


@pytest.mark.parametrize("make", [
    lambda: SequenceRecommender("sasrec", dim=16, max_epochs=2, patience=2, progress=False),
    lambda: GraphRecommender(dim=16, max_epochs=2, patience=2, progress=False),
    lambda: EASE(lambdas=(50.0, 200.0)),
], ids=["sasrec", "lightgcn", "ease"])
def test_explicit_cpu_gives_identical_scores(make, small_split, monkeypatch):
    monkeypatch.delenv(env.DEVICE, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # auto = cpu here
    default = make().fit(small_split)
    monkeypatch.setenv(env.DEVICE, "cpu")
    explicit = make().fit(small_split)
    users = small_split.test_users[:40]
    assert torch.equal(default.score(users), explicit.score(users))
    assert explicit.score(users).device == torch.device("cpu")
    a, b = evaluate(default, small_split), evaluate(explicit, small_split)
    assert a.per_user.equals(b.per_user)
