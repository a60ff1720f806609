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


def test_amazon_sequences_match_provenance():
    """S3-Rec's Amazon files: counts as in PROVENANCE.md; order without clock; the last item is the test target."""
    from recnb.data.split import leave_last_out

    for name, (users, items, events, lines) in {"amazon-sports": (35_598, 18_357, 296_337, 35_598),
                                                "amazon-toys": (19_412, 11_924, 167_597, 19_412)}.items():
        ds = real(name)
        ev = ds.events
        assert (len(ev), ev.user_id.nunique(), ev.item_id.nunique()) == (events, users, items)
        assert ds.ordered and not ds.has_time and ds.has_order
        assert ev.groupby("user_id").size().min() == 5
        assert len(ds.items) == items and ds.items.category.notna().mean() > 0.9
        split = leave_last_out(ds)
        assert len(split.test_users) == lines
        last = ev.groupby("user_id", sort=False)["item_id"].last()
        tests = dict(zip(split.user_ids[split.test_users], split.item_ids[split.test_items]))
        assert all(tests[u] == i for u, i in last.items())


def test_movielens_1m_head_says_it_is_partial():
    ds = real("movielens-1m-head")
    ev = ds.events
    assert ds.name == "movielens-1m-head"
    assert (len(ev), ev.user_id.nunique(), ev.item_id.nunique()) == (487_515, 2_998, 3_615)
    assert ev.user_id.max() == 2_998 and len(ds.users) == 6_040 and len(ds.items) == 3_883
    assert ev.value.between(1, 5).all() and ev.timestamp.notna().all()
    assert "PARTIAL HEAD" in ds.notes[0] and "NOT ML-1M" in ds.notes[0]
    assert "partial" in ds.licence.lower()
    assert ds.items.set_index("item_id").loc[1, "title"] == "Toy Story"
    assert ds.users.set_index("user_id").loc[1, "occupation"] == "K-12 student"


def test_data_list_shows_the_new_sources_with_sizes(capsys):
    from recnb.__main__ import main
    from recnb.data import locate

    for name in ("amazon-sports", "amazon-toys", "movielens-1m-head"):
        if locate(name) is None:
            real(name)  # skips, saying how to get it
    assert main(["data", "list"]) == 0
    out = {ln.split()[0]: ln for ln in capsys.readouterr().out.splitlines() if ln.strip()}
    assert "296,337 events" in out["amazon-sports"] and "35,598 users" in out["amazon-sports"]
    assert "167,597 events" in out["amazon-toys"] and "order (no clock)" in out["amazon-toys"]
    assert "487,515 events" in out["movielens-1m-head"] and "2,998 users" in out["movielens-1m-head"]
