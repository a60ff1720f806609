"""The centralised comparator at a client's budget: as many optimiser steps per round as a client takes, from a
fresh Adam each round, so that a gap to FedAvg measures federation rather than a larger step budget."""

from __future__ import annotations

import numpy as np
import pytest

from recnb.data.simulate import simulate
from recnb.data.split import leave_last_out
from recnb.evaluate import evaluate
from recnb.privacy.dae import DAEConfig, attach, build_dae, train_epochs
from recnb.privacy.federated import Federation, client_steps, run_centralised

TINY = DAEConfig(hidden=16, latent=8, dropout=0.5, lr=1e-2, batch_size=16)


@pytest.fixture(scope="module")
def small():
    return leave_last_out(simulate(n_users=80, n_items=60, n_categories=6, n_clusters=3, mean_views=12,
                                   p_cart=0.0, seed=2))


def test_client_steps_count_the_batches_of_the_largest_client(small):
    n = int((np.diff(small.train.indptr) > 0).sum())
    assert client_steps(small, Federation(n_clients=2, scheme="iid"), TINY) == int(np.ceil(np.ceil(n / 2) / 16))
    assert client_steps(small, Federation.per_user(small, rounds=2, fraction=0.1), TINY) == 1
    assert client_steps(small, Federation(n_clients=2, scheme="iid", local_epochs=3), TINY) == 3 * int(np.ceil(np.ceil(n / 2) / 16))


def test_matched_centralised_takes_that_many_steps_from_a_fresh_adam(small):
    run = run_centralised(small, epochs=2, config=TINY, seed=0, steps_per_round=1, fresh_optimizer=True)
    users = np.flatnonzero(np.diff(small.train.indptr) > 0)
    model = build_dae(small.n_items, TINY, 0)
    for e in range(2):  # by hand: one step per round, a new Adam each time
        train_epochs(model, small.train, users, 1, TINY, 0, first_epoch=e, max_steps=1)
    v = evaluate(attach(model, small), small, "valid", ks=(10,)).per_user["ndcg@10"].mean()
    assert np.isclose(v, run.rounds.set_index("round").loc[2, "valid ndcg@10"])
    assert run.settings["steps per round"] == 1 and run.settings["fresh optimizer"]
    own = run_centralised(small, epochs=2, config=TINY, seed=0)
    assert own.rounds["valid ndcg@10"].iloc[-1] != run.rounds["valid ndcg@10"].iloc[-1]  # a different budget
