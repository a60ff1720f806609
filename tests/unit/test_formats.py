"""Real, valid logs in the shapes people have (issue 15): string ids, a byte-order mark, RFC 4180 quoting,
order without a clock, one-user-per-line sequence files. Each loads, and original ids reach the outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recnb.data import DataValidationError, load_dataset
from recnb.data.split import leave_last_out


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RECNB_ROOT", str(tmp_path / "project"))  # the cache of these tests stays here


def write(tmp_path: Path, text: str | bytes, name: str = "log.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return p


def string_id_log(tmp_path: Path) -> Path:
    """Three users with ASIN-like items; every user views four items in time order."""
    items = ["B00ABC", "B00XYZ", "0000031852", "B01QQQ", "B07ZZZ"]
    rows = ["user_id,item_id,event,value,timestamp"]
    for u, user in enumerate(["u1", "u2", "7f3c-uuid"]):
        for j in range(4):
            rows.append(f"{user},{items[(u + j) % 5]},view,1,{1_600_000_000 + 100 * u + j}")
    return write(tmp_path, "\n".join(rows) + "\n")


def test_string_ids_load_and_reach_the_recommendation_list(tmp_path):
    from recnb.analysis.recommend import recommendation_list
    from recnb.models.baselines import MostPopular

    ds = load_dataset("canonical", path=string_id_log(tmp_path))
    assert ds.events["user_id"].tolist()[:4] == ["u1"] * 4
    assert "0000031852" in set(ds.events["item_id"])  # a leading zero is part of the id
    split = leave_last_out(ds)
    assert set(split.user_ids) == {"u1", "u2", "7f3c-uuid"}
    recs = recommendation_list(split, MostPopular().fit(split), "u1", k=3)
    assert set(recs["item_id"]) <= set(ds.events["item_id"])
    history = set(ds.events.loc[ds.events["user_id"] == "u1", "item_id"].iloc[:3])  # train + valid
    assert not history & set(recs["item_id"]), "seen items are masked"
    with pytest.raises(KeyError, match="u9"):
        recommendation_list(split, MostPopular().fit(split), "u9")


def test_string_ids_reach_explanations_and_the_recbole_export(tmp_path):
    from recnb.analysis.explain import occlusion
    from recnb.data.export import export_split, read_recbole
    from recnb.models.baselines import ItemKNN

    split = leave_last_out(load_dataset("canonical", path=string_id_log(tmp_path)))
    model = ItemKNN(ks=(5,), shrinks=(0.0,)).fit(split)
    u = int(np.flatnonzero(split.user_ids == "u2")[0])
    table = occlusion(model, split, u, int(split.test_items[list(split.test_users).index(u)]))
    assert set(table["item_id"]) <= set(split.item_ids) and table["item_id"].map(type).eq(str).all()
    export_split(split, tmp_path / "out", "recbole")
    back = read_recbole(tmp_path / "out", split.name)
    assert set(back["train"]["user_id"].astype(str)) == {"u1", "u2", "7f3c-uuid"}
    assert "0000031852" in set(pd.concat([p["item_id"] for p in back.values()]).astype(str))


def test_mixed_numeric_and_fractional_ids_still_refused(tmp_path):
    p = write(tmp_path, "user_id,item_id,event,value,timestamp\n1,10,view,1,1500000000\n1,10.5,view,1,1500000001\n")
    with pytest.raises(DataValidationError, match=r"row 3, column 'item_id'.*non-integer id"):
        load_dataset("canonical", path=p)


def test_byte_order_mark_and_crlf(tmp_path):
    body = "user_id,item_id,event,value,timestamp\r\n1,10,view,1,1500000000\r\n2,11,purchase,1,1500000100\r\n"
    ds = load_dataset("canonical", path=write(tmp_path, b"\xef\xbb\xbf" + body.encode()))
    assert list(ds.events["item_id"]) == [10, 11] and list(ds.events["event"]) == ["view", "purchase"]


def test_quoted_field_with_a_comma(tmp_path):
    text = ('user_id,item_id,event,value,timestamp\n"Smith, J.","mug ""large""",view,1,1500000000\n'
            '"Smith, J.","line\nbreak",view,1,1500000001\nu2,plain,view,1,1500000002\nu2,bad,click,1,1500000003\n')
    with pytest.raises(DataValidationError, match=r"row 6, column 'event'.*click"):  # line numbers stay right
        load_dataset("canonical", path=write(tmp_path, text))
    ds = load_dataset("canonical", path=write(tmp_path, text.rsplit("u2,bad", 1)[0], "ok.csv"))
    assert ds.events["user_id"].tolist() == ["Smith, J.", "Smith, J.", "u2"]
    assert ds.events["item_id"].tolist() == ['mug "large"', "line\nbreak", "plain"]


ORDER_LOG = ("user_id,item_id,event,value,timestamp\n"
             "a,i3,view,1,2\na,i1,view,1,0\nb,i2,view,1,0\na,i2,view,1,1\nb,i4,view,1,1\nb,i1,view,1,2\n")


def test_order_without_clock_refused_with_a_hint(tmp_path):
    with pytest.raises(DataValidationError) as info:
        load_dataset("canonical", path=write(tmp_path, ORDER_LOG))
    err = info.value
    assert err.row == 2 and err.column == "timestamp" and "out of range" in str(err)
    assert 'time="order"' in str(err)


def test_order_without_clock_with_the_option(tmp_path):
    from recnb.data.features import user_features

    ds = load_dataset("canonical", path=write(tmp_path, ORDER_LOG), time="order")
    assert ds.ordered and ds.has_order and not ds.has_time and ds.time_kind == "order (no clock)"
    assert any("order but no clock" in n.lower() for n in ds.notes)
    assert ds.events["timestamp"].isna().all()
    assert ds.events.groupby("user_id")["item_id"].agg(list).to_dict() == {"a": ["i1", "i2", "i3"],
                                                                          "b": ["i2", "i4", "i1"]}
    split = leave_last_out(ds)
    tests = dict(zip(split.user_ids[split.test_users], split.item_ids[split.test_items]))
    assert tests == {"a": "i3", "b": "i1"}  # the last position is the test target
    assert "order" in split.protocol
    assert np.isnan(split.sequences("train").gaps).all()
    assert user_features(ds.events)["gap_seconds_median"].isna().all()


def test_order_option_refuses_bad_positions(tmp_path):
    bad = ORDER_LOG.replace("b,i4,view,1,1", "b,i4,view,1,-1")
    with pytest.raises(DataValidationError, match=r"row 6, column 'timestamp'.*bad position"):
        load_dataset("canonical", path=write(tmp_path, bad), time="order")


def test_sequences_format(tmp_path):
    from recnb.data.readers import read_sequences

    frame = read_sequences(write(tmp_path, "1 10 11 12\n\n2 11\t13\n", "seq.txt"))
    assert frame["user_id"].tolist() == ["1", "1", "1", "2", "2"]
    assert frame["item_id"].tolist() == ["10", "11", "12", "11", "13"]
    assert frame["position"].tolist() == [0, 1, 2, 0, 1] and frame["_line"].tolist() == [1, 1, 1, 3, 3]
    with pytest.raises(DataValidationError, match=r"row 2, column 'item_id'.*without items"):
        read_sequences(write(tmp_path, "1 10 11\n2\n", "short.txt"))
    with pytest.raises(DataValidationError, match=r"row 3, column 'user_id'.*listed again"):
        read_sequences(write(tmp_path, "1 10\n2 11\n1 12\n", "dup.txt"))


def test_sequence_file_loads_as_a_dataset(tmp_path):
    p = write(tmp_path, "u1 B01 B02 B03\nu2 B02 B04\n", "seqs.txt")
    ds = load_dataset("sequences", path=p)
    assert ds.ordered and ds.events["user_id"].tolist() == ["u1"] * 3 + ["u2"] * 2
    split = leave_last_out(ds)
    assert dict(zip(split.user_ids[split.test_users], split.item_ids[split.test_items])) == {"u1": "B03",
                                                                                            "u2": "B04"}
    with pytest.raises(DataValidationError, match=r"load_dataset\('sequences'"):
        load_dataset("canonical", path=p)  # the canonical reader names the right one


def test_sequence_source_parses_a_small_copy(tmp_path, monkeypatch):
    """The amazon parser on a two-user copy (checksums pinned to the real files are bypassed here)."""
    from recnb.data.sources import amazon

    monkeypatch.setattr(amazon, "verify", lambda path, sha: "test")
    folder = tmp_path / "amazon-s3rec"
    folder.mkdir()
    (folder / "Toys_and_Games.txt").write_text("1 1 2 3\n2 2 3\n")
    (folder / "Toys_and_Games_item2attributes.json").write_text('{"3": [7, 1, 5], "1": [8, 1, 4, 5], "2": [8, 1]}')
    ds = amazon.parse(folder, "amazon-toys")
    assert ds.ordered and len(ds.events) == 5 and (ds.events["event"] == "purchase").all()
    items = ds.items.set_index("item_id")
    assert items.loc[1, "category"] == "attr 4" and items.loc[3, "category"] == "attr 5"
    assert pd.isna(items.loc[2, "category"]) and items.loc[1, "brand"] == "attr 8"
    split = leave_last_out(ds)
    assert dict(zip(split.user_ids[split.test_users], split.item_ids[split.test_items])) == {1: 3, 2: 3}


def test_canonical_file_through_data_path(tmp_path):
    p = string_id_log(tmp_path)
    assert len(load_dataset("canonical", data_path=str(p)).events) == 12
    with pytest.raises(ValueError, match="path="):
        load_dataset("canonical", data_path=str(tmp_path))
