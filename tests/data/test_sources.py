"""Each real source loads its real files (skipped with a reason when absent), matching PROVENANCE.md."""

from __future__ import annotations

import pandas as pd

from tests.conftest import real


def test_ml100k(ml100k):
    ev = ml100k.events
    assert len(ev) == 100_000 and ev.user_id.nunique() == 943 and ev.item_id.nunique() == 1682
    assert set(ev.event.astype(str)) == {"rating"} and ev.value.between(1, 5).all()
    assert ev.timestamp.notna().all()
    assert {"title", "year", "genres", "category"} <= set(ml100k.items.columns)
    assert {"age", "gender", "occupation"} <= set(ml100k.users.columns)
    assert ml100k.items.set_index("item_id").loc[1, "title"] == "Toy Story"


def test_taobao():
    ds = real("taobao")
    counts = ds.events.event.value_counts()
    assert len(ds.events) == 84_287 and ds.events.user_id.nunique() == 814
    assert counts["view"] == 75_693 and counts["cart"] == 4_494 and counts["fav"] == 2_351
    assert counts["purchase"] == 1_749
    assert ds.items.item_id.is_unique and ds.items.category.notna().all()
    assert "1 item(s)" in ds.ledger.detail.iloc[0]


def test_retailrocket_holdout_has_no_time():
    ds = real("retailrocket")
    ev = ds.events
    assert len(ev) == 99_555 and ev.user_id.nunique() == 2_174
    untimed = ev[ev.timestamp.isna()]
    assert len(untimed) == 2_174 and (untimed.event == "purchase").all() and untimed.user_id.is_unique


def test_lastfm():
    ds = real("lastfm")
    assert len(ds.events) == 92_834 and ds.events.user_id.nunique() == 1_892
    assert ds.events.value.sum() == 69_183_975 and not ds.has_time
    assert len(ds.edges) == 25_434 and (ds.edges.kind == "friend").all()
    assert len(ds.items) == 17_632
    pairs = set(zip(ds.edges.user_id, ds.edges.other_id))
    assert all((b, a) in pairs for a, b in pairs)


def test_ciao_zero_ratings_in_ledger():
    ds = real("ciao")
    assert len(ds.events) == 284_086 - 34 and ds.events.value.between(1, 5).all()
    zero = ds.ledger[ds.ledger.rule.str.contains("zero")].iloc[0]
    assert zero.rows_in - zero.rows_out == 34
    assert len(ds.edges) == 111_781 and (ds.edges.kind == "trust").all()
    assert isinstance(ds.items, pd.DataFrame) and ds.items.item_id.is_unique
