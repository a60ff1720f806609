"""Behaviour analytics: personas recover planted clusters, shilling injection is deterministic and shaped as
specified, detection finds it, the purchase-prediction cut leaks nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from recnb.analysis.anomaly import Attack, detection_scores, inject, rating_features, target_exposure
from recnb.analysis.personas import choose_k, cluster, describe, persona_features
from recnb.analysis.prediction import next_category, purchase_task, rfm_features
from recnb.data.simulate import simulate
from recnb.models.autoencoder import FeatureAutoencoder


def _ratings(n_users: int = 200, n_items: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    u = rng.integers(1, n_users + 1, 4000)
    i = np.minimum(rng.zipf(1.5, 4000), n_items)
    frame = pd.DataFrame({"user_id": u, "item_id": i}).drop_duplicates().reset_index(drop=True)
    return frame.assign(event=pd.Categorical(["rating"] * len(frame), categories=["view", "rating"]),
                        value=rng.integers(1, 6, len(frame)).astype(float),
                        timestamp=pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(np.arange(len(frame)), unit="min"))


@pytest.mark.parametrize("kind", ["random", "average", "bandwagon"])
@pytest.mark.parametrize("intent", ["push", "nuke"])
def test_injection_is_deterministic_and_shaped_as_specified(kind, intent):
    r = _ratings()
    attack = Attack(kind, intent, share=0.05, filler=10, n_popular=5, seed=3)
    a, truth = inject(r, attack)
    b, _ = inject(r, attack)
    pd.testing.assert_frame_equal(a, b)
    fake = a.iloc[len(r):]
    n_att = round(0.05 * r["user_id"].nunique())
    assert truth["is_attacker"].sum() == n_att == fake["user_id"].nunique()
    assert fake["value"].between(1, 5).all() and (fake["value"] == fake["value"].round()).all()
    target = truth.attrs["target"]
    on_target = fake[fake["item_id"] == target]
    assert len(on_target) == n_att and (on_target["value"] == (5 if intent == "push" else 1)).all()
    per_profile = fake.groupby("user_id").size()
    assert (per_profile == 10 + 1 + (5 if kind == "bandwagon" else 0)).all()
    if kind == "bandwagon":
        popular = r.groupby("item_id").size().sort_values(ascending=False, kind="stable").index[:5]
        assert fake[fake["item_id"].isin(popular)]["value"].eq(5).all()
    assert not fake.duplicated(["user_id", "item_id"]).any()
    assert inject(r, Attack(kind, intent, share=0.05, filler=10, seed=4))[1].attrs["target"] is not None


def test_rdma_detects_a_random_attack_and_the_push_moves_the_target():
    r = _ratings(400, 150, seed=1)
    ev, truth = inject(r, Attack("random", "push", share=0.05, filler=20, seed=0))
    feats = rating_features(ev).loc[truth["user_id"]]
    found = detection_scores(feats["rdma"].to_numpy(), truth["is_attacker"].to_numpy(), n_boot=100)
    assert found["auc"] > 0.8 and found["auc_low"] <= found["auc"] <= found["auc_high"]
    genuine = truth.loc[~truth["is_attacker"], "user_id"].to_numpy()
    before = target_exposure(r, truth.attrs["target"], genuine)
    after = target_exposure(ev, truth.attrs["target"], genuine)
    assert after["rank percentile"] < before["rank percentile"]


def test_personas_recover_planted_interest_clusters():
    ds = simulate(n_users=600, n_items=300, n_categories=12, n_clusters=4, mean_views=30, seed=2)
    raw, x = persona_features(ds.events, ds.items)
    latent = FeatureAutoencoder(latent=8, max_epochs=150, seed=0).fit(x).transform(x)
    k, table = choose_k(latent, range(2, 8))
    labels = cluster(latent, k)
    truth = ds.users.set_index("user_id")["cluster"].loc[x.index].to_numpy()
    assert adjusted_rand_score(truth, labels) >= 0.7, (k, table)
    text = describe(raw, labels)
    assert len(text) == k and text["users"].sum() == len(x) and text["description"].str.contains("over-represent").all()


def test_purchase_features_never_see_the_label_window():
    ds = simulate(n_users=300, n_items=100, n_categories=5, n_clusters=2, cats_per_cluster=2, mean_views=20, days=10, seed=5)
    task = purchase_task(ds.events, window_days=2.0, items=ds.items)
    assert task.cut_train < task.cut_test < task.end
    # changing or deleting every event at or after a cut leaves that cut's features unchanged
    early = ds.events[ds.events["timestamp"] < task.cut_train]
    pd.testing.assert_frame_equal(rfm_features(early, task.cut_train, ds.items), task.X_train, check_like=True)
    shuffled = ds.events.copy()
    late = shuffled["timestamp"] >= task.cut_test
    shuffled.loc[late, "event"] = "purchase"
    pd.testing.assert_frame_equal(purchase_task(shuffled, 2.0, ds.items).X_test, task.X_test)
    # labels are purchases inside the window, and only there
    window = ds.events[(ds.events["timestamp"] >= task.cut_train) & (ds.events["timestamp"] < task.cut_test)]
    buyers = set(window.loc[window["event"] == "purchase", "user_id"])
    assert task.y_train.to_dict() == {u: u in buyers for u in task.X_train.index}
    nc = next_category(ds.events, task.cut_test, ds.items)
    assert set(nc.columns) == {"truth", "most recent", "most frequent", "global most frequent"} and len(nc) > 0
