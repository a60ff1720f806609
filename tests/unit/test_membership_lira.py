"""LiRA (Carlini et al., S&P 2022): shadows put every user in half of them; the calibrated attack beats the
loss threshold on a model that memorises; the metrics at low FPR behave at chance; the verdict follows the CI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recnb.data import Dataset
from recnb.data.split import leave_last_out
from recnb.privacy.dae import DAEConfig
from recnb.privacy.dp import train_private
from recnb.privacy.membership import (attack_metrics, lira_runs, lira_verdict, member_split, shadow_membership,
                                      train_shadows)


def _rows(n_users: int = 120, n_items: int = 80, seed: int = 0) -> Dataset:
    """Users with random items: nothing to generalise from, so what a model learns of a row is memorised."""
    rng = np.random.default_rng(seed)
    users = np.repeat(np.arange(n_users), 12)
    items = np.concatenate([rng.choice(n_items, 12, replace=False) for _ in range(n_users)])
    frame = pd.DataFrame({"user_id": users, "item_id": items, "value": 4.0,
                          "event": pd.Categorical(["rating"] * items.size,
                                                  categories=["view", "cart", "fav", "purchase", "rating", "play"]),
                          "timestamp": pd.to_datetime(np.arange(items.size) + 1.7e9, unit="s", utc=True)})
    return Dataset("random", frame, validate=False)


def test_every_user_is_in_half_of_the_shadows():
    inside = shadow_membership(50, 6, seed=3)
    assert inside.shape == (6, 50) and (inside.sum(0) == 3).all()
    assert not np.array_equal(inside, shadow_membership(50, 6, seed=4))
    for bad in (3, 2):
        with pytest.raises(ValueError, match="even"):
            shadow_membership(50, bad)


def test_attack_metrics_at_chance_and_at_separation():
    rng = np.random.default_rng(0)
    chance = attack_metrics(rng.random(2000), rng.random(2000), n_boot=200, fpr=0.01)
    assert chance["auc_low"] < 0.5 < chance["auc_high"] and chance["tpr_low"] <= 0.01 <= chance["tpr_high"]
    split = attack_metrics(rng.normal(2, 1, 500), rng.normal(0, 1, 500), n_boot=200,
                           baseline=(rng.random(500), rng.random(500)))
    assert split["auc_low"] > 0.8 and split["tpr@fpr"] > 0.1 and split["minus low"] > 0.2


def test_lira_finds_memorisation_and_the_verdict_follows_the_ci():
    split = leave_last_out(_rows())
    members, others = member_split(split, 0.5, seed=0)
    cfg = DAEConfig(hidden=64, latent=32, dropout=0.0, lr=1e-2, batch_size=16)
    runs = [train_private(split, None, epochs=30, members=members, config=cfg)]
    shadows = train_shadows(split, np.r_[members, others], 4, 30, cfg, seed=0)
    table = lira_runs(runs, split, others, shadows, n_boot=200)
    lira = table.set_index("attack").loc["LiRA"]
    assert lira["auc_low"] > 0.5 and lira["auc"] >= table.set_index("attack").loc["loss threshold", "auc"] - 0.05
    assert lira_verdict(table).startswith("Leakage shown: ")
    blind = table.assign(auc=0.51, auc_low=0.47, auc_high=0.55)
    assert "no attack tried shows membership leakage" in lira_verdict(blind)
