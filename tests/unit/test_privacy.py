"""Privacy: FedAvg with one client is centralised training; the DP accountant spends the target ε; the
membership attack finds an overfitted model and not random scores."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from recnb.data import Dataset
from recnb.data.simulate import simulate
from recnb.data.split import leave_last_out
from recnb.evaluate import evaluate
from recnb.privacy.dae import DAEConfig, attach, build_dae, train_epochs, user_losses
from recnb.privacy.dp import train_private
from recnb.privacy.federated import Federation, _client_seed, describe_partition, partition_users, run_federated
from recnb.privacy.membership import attack_runs, member_split, threshold_attack

TINY = DAEConfig(hidden=16, latent=8, dropout=0.5, lr=1e-2, batch_size=16)


@pytest.fixture(scope="module")
def small():
    return leave_last_out(simulate(n_users=80, n_items=60, n_categories=6, n_clusters=3, mean_views=12,
                                   p_cart=0.0, seed=2))


def test_partitions_cover_every_user_once(small):
    users = np.flatnonzero(np.diff(small.train.indptr) > 0)
    for scheme in ("iid", "activity", "genre"):
        a = partition_users(small, 4, scheme, seed=1)
        assert (a[users] >= 0).all() and (np.delete(a, users) == -1).all()
        sizes = np.bincount(a[users])
        assert len(sizes) == 4 and sizes.max() - sizes.min() <= 1
    act = partition_users(small, 4, "activity")
    counts = np.diff(small.train.indptr)
    assert counts[act == 0].max() <= counts[act == 3].min()  # client 0 holds the least active users
    share = {s: describe_partition(small, partition_users(small, 4, s))["top genre share"].mean()
             for s in ("iid", "genre")}
    assert share["genre"] > share["iid"] + 0.1, share
    with pytest.raises(ValueError, match="scheme"):
        partition_users(small, 4, "random")


def test_fedavg_with_one_client_equals_centralised_training(small):
    seed, rounds, local = 3, 2, 2
    per_user = Federation.per_user(small, rounds=rounds, fraction=0.06)
    run, user_run = run_federated(small, [Federation(n_clients=1, rounds=rounds, local_epochs=local), per_user],
                                  TINY, seed=seed, total_cpus=1)
    _check_one_user_per_client(small, user_run, per_user, seed)
    # centralised: the same epochs on all users' rows, the optimizer restarted every round as a client's is
    model = attach(build_dae(small.n_items, TINY, seed), small)
    users = np.flatnonzero(np.diff(small.train.indptr) > 0)
    states, valid = [], []
    for r in range(rounds + 1):
        if r:
            train_epochs(model, small.train, users, local, TINY, seed, first_epoch=(r - 1) * local)
        states.append({k: v.clone() for k, v in model.state_dict().items()})
        valid.append(evaluate(model, small, "valid", ks=(10,)).per_user["ndcg@10"].mean())
    assert np.allclose(run.rounds["valid ndcg@10"], valid, atol=1e-6)
    for k, v in run.model.state_dict().items():
        assert torch.allclose(v, states[run.best_round][k], atol=1e-5), k
    raw = sum(v.numel() * v.element_size() for v in model.state_dict().values())
    for col in ("bytes down", "bytes up"):  # the serialised arrays: raw float32 data and a small header each
        assert run.rounds[col].iloc[1:].between(raw, raw + 256 * len(model.state_dict())).all(), col
    assert run.rounds["round"].tolist() == list(range(rounds + 1)) and run.startup_seconds > 0


def _check_one_user_per_client(split, run, fed, seed):
    """One user per client, a seeded sample per round: each sampled client trains the global weights on its
    one user's row and FedAvg averages the replies with equal weights (one user each)."""
    users = np.flatnonzero(np.diff(split.train.indptr) > 0)
    assert fed.n_clients == len(users) and fed.per_round == 4 and "one user per client" in run.name
    assert np.array_equal(np.sort(run.assignment[users]), np.arange(len(users)))  # a client per user
    owner = np.empty(len(users), dtype=np.int64)
    owner[run.assignment[users]] = users
    model = attach(build_dae(split.n_items, TINY, seed), split)
    states, valid = [], []
    for r in range(fed.rounds + 1):
        if r:
            chosen = np.sort(np.random.default_rng([seed, r]).choice(fed.n_clients, fed.per_round, replace=False))
            replies = []
            for c in chosen:
                local = build_dae(split.n_items, TINY, seed)
                local.load_state_dict(states[-1])
                train_epochs(local, split.train, owner[[c]], 1, TINY, seed=_client_seed(seed, int(c)),
                             first_epoch=r - 1)
                replies.append(local.state_dict())
            model.load_state_dict({k: torch.stack([s[k] for s in replies]).mean(0) for k in replies[0]})
        states.append({k: v.clone() for k, v in model.state_dict().items()})
        valid.append(evaluate(model, split, "valid", ks=(10,)).per_user["ndcg@10"].mean())
    assert run.rounds["clients"].iloc[1:].eq(fed.per_round).all()
    assert np.allclose(run.rounds["valid ndcg@10"], valid, atol=1e-6)
    for k, v in run.model.state_dict().items():
        assert torch.allclose(v, states[run.best_round][k], atol=1e-5), k
    partition_users(split, len(users), "user")
    with pytest.raises(ValueError, match="one user per client"):
        partition_users(split, 4, "user")


def test_dp_accountant_spends_the_target_epsilon(small):
    run = train_private(small, 2.0, epochs=3, config=TINY, max_grad_norm=0.5)
    assert run.epsilon == pytest.approx(2.0, rel=0.02)
    assert run.noise_multiplier > 0 and run.delta == pytest.approx(1 / (10 * len(run.members)))
    assert len(run.history) == 3 and np.isfinite(run.history["loss"]).all()
    again = train_private(small, 2.0, epochs=3, config=TINY, max_grad_norm=0.5)  # seeded: the same noise
    assert all(torch.equal(v, again.model.state_dict()[k]) for k, v in run.model.state_dict().items())
    plain = train_private(small, None, epochs=3, config=TINY)
    assert math.isinf(plain.epsilon) and plain.noise_multiplier == 0
    with pytest.raises(ValueError, match="epsilon"):
        train_private(small, 0.0, epochs=1, config=TINY)


def _random_rows(n_users: int = 120, n_items: int = 300, per_user: int = 8, seed: int = 0) -> Dataset:
    """Users with random items and no shared structure: only memorisation can lower a member's loss."""
    rng = np.random.default_rng(seed)
    items = np.stack([rng.choice(n_items, per_user + 2, replace=False) for _ in range(n_users)])
    frame = pd.DataFrame({"user_id": np.repeat(np.arange(n_users), per_user + 2), "item_id": items.ravel(),
                          "event": pd.Categorical(["rating"] * items.size,
                                                  categories=["view", "cart", "fav", "purchase", "rating", "play"]),
                          "value": 4.0, "timestamp": pd.to_datetime(np.arange(items.size), unit="s", utc=True)})
    return Dataset("random", frame, validate=False)


def test_membership_attack_finds_an_overfitted_model_and_not_random_scores():
    split = leave_last_out(_random_rows())
    members, others = member_split(split, 0.5, seed=0)
    assert len(np.intersect1d(members, others)) == 0 and len(members) + len(others) == split.n_users
    overfit = DAEConfig(hidden=128, latent=64, dropout=0.0, lr=1e-2, batch_size=16)
    run = train_private(split, None, epochs=60, members=members, config=overfit)
    table = attack_runs([run], split, others, n_boot=200)
    assert table["auc"].iloc[0] > 0.8 and table["auc_low"].iloc[0] > 0.5, table
    assert table["member loss"].iloc[0] < table["non-member loss"].iloc[0]
    private = train_private(split, 1.0, epochs=60, members=members, config=overfit)  # what privacy buys
    assert attack_runs([private], split, others, n_boot=200)["auc"].iloc[0] < table["auc"].iloc[0] - 0.2
    rng = np.random.default_rng(1)
    chance = threshold_attack(rng.random(400), rng.random(400), n_boot=200)
    assert abs(chance["auc"] - 0.5) < 0.06 and chance["auc_low"] < 0.5 < chance["auc_high"]


def test_user_losses_are_per_item_means(small):
    model = build_dae(small.n_items, TINY, 0)
    users = np.arange(5)
    total = user_losses(model, small.train, users, per_item=False)
    per_item = user_losses(model, small.train, users)
    n = np.diff(small.train.indptr)[users]
    assert np.allclose(per_item * n, total, rtol=1e-5)
    assert sp.issparse(small.train)
