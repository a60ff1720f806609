"""The simulator is deterministic and its planted statistics come out as set (issue 2, point 4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recnb.data import validate_events
from recnb.data.simulate import SimConfig, simulate

CFG = SimConfig(n_users=3000, n_items=800, n_categories=16, n_clusters=4, cats_per_cluster=3, mean_views=40,
                n_fraud=30, seed=7)


@pytest.fixture(scope="module")
def sim():
    return simulate(CFG)


def test_deterministic_per_seed(sim):
    again = simulate(CFG)
    pd.testing.assert_frame_equal(sim.events, again.events)
    pd.testing.assert_frame_equal(sim.edges, again.edges)
    other = simulate(CFG, seed=8)
    assert not sim.events[["user_id", "item_id"]].equals(other.events[["user_id", "item_id"]])


def test_conforms_to_schema(sim):
    checked = validate_events(sim.events, "<sim>")
    pd.testing.assert_frame_equal(checked, sim.events.reset_index(drop=True), check_dtype=False)
    ts = sim.events.groupby("user_id")["timestamp"].is_monotonic_increasing
    assert ts.all()
    assert np.issubdtype(sim.events.user_id.dtype, np.integer)  # the 1M-event speed goal: `python -m recnb bench`


def test_sequential_transitions(sim):
    v = sim.events[(sim.events.event == "view") & ~sim.users.is_fraud.to_numpy()[sim.events.user_id]]
    same = v.user_id.to_numpy()[1:] == v.user_id.to_numpy()[:-1]
    succ = sim.items.successor.to_numpy()[v.item_id.to_numpy()[:-1]] == v.item_id.to_numpy()[1:]
    assert succ[same].mean() == pytest.approx(CFG.p_follow, abs=0.03)


def test_interest_clusters(sim):
    normal = sim.users[~sim.users.is_fraud]
    v = sim.events[(sim.events.event == "view") & sim.events.user_id.isin(normal.user_id)]
    cat = sim.items.category.to_numpy()[v.item_id.to_numpy()]
    cluster = normal.set_index("user_id").cluster.loc[v.user_id].to_numpy()
    # the categories each cluster favours are its most viewed ones
    table = pd.crosstab(cluster, cat, normalize="index")
    top = table.apply(lambda r: r.nlargest(CFG.cats_per_cluster).sum(), axis=1)
    chance = (1 - CFG.focus) * CFG.cats_per_cluster / CFG.n_categories
    assert (top > CFG.focus + chance - 0.05).all()
    assert table.shape[0] == CFG.n_clusters


def test_funnel_conversion(sim):
    normal = ~sim.users.is_fraud.to_numpy()[sim.events.user_id]
    counts = sim.events[normal].event.value_counts()
    assert counts["cart"] / counts["view"] == pytest.approx(CFG.p_cart, rel=0.1)
    assert counts["purchase"] / counts["cart"] == pytest.approx(CFG.p_purchase, rel=0.1)


def test_homophily(sim):
    c = sim.users.set_index("user_id").cluster
    same = (c.loc[sim.edges.user_id].to_numpy() == c.loc[sim.edges.other_id].to_numpy()).mean()
    expected = CFG.homophily + (1 - CFG.homophily) / CFG.n_clusters
    assert same == pytest.approx(expected, abs=0.03)
    assert (sim.edges.user_id != sim.edges.other_id).all()


def test_fraud_users(sim):
    fraud = sim.users[sim.users.is_fraud].user_id
    assert len(fraud) == CFG.n_fraud
    ev = sim.events[sim.events.user_id.isin(fraud)]
    targets = sim.items[sim.items.is_fraud_target].item_id
    assert ev.item_id.isin(targets).mean() > 0.6
    gaps = ev.groupby("user_id").timestamp.diff().dt.total_seconds().median()
    normal_gaps = sim.events[~sim.events.user_id.isin(fraud)].groupby("user_id").timestamp.diff()
    assert gaps < normal_gaps.dt.total_seconds().median() / 10
