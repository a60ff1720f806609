"""Bad input is refused with a message naming file, row and column (issue 2, point 7)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from recnb.data import DataValidationError, load_dataset, validate_events

HEADER = "user_id,item_id,event,value,timestamp\n"


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RECNB_ROOT", str(tmp_path / "project"))  # parsed files are cached there, not here
GOOD = ["1,10,view,1,1500000000", "1,11,purchase,1,1500000100", "2,10,rating,4,1500000200"]


def write(tmp_path: Path, text: str | bytes, name: str = "events.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return p


def refused(path: Path, row: int, column: str, words: str) -> DataValidationError:
    with pytest.raises(DataValidationError) as info:
        load_dataset("canonical", path=path)
    err, msg = info.value, str(info.value)
    assert str(path) in msg, msg
    assert f"row {row}" in msg and err.row == row, msg
    assert f"column {column!r}" in msg and err.column == column, msg
    assert re.search(words, msg, re.I), msg
    assert "expected" in msg, msg
    return err


def test_good_file_loads(tmp_path):
    ds = load_dataset("canonical", path=write(tmp_path, HEADER + "\n".join(GOOD) + "\n"))
    assert len(ds.events) == 3
    assert ds.events["timestamp"].dt.tz is not None
    assert list(ds.events.columns) == ["user_id", "item_id", "event", "value", "timestamp"]


def test_missing_column(tmp_path):
    refused(write(tmp_path, "user_id,item_id,value,timestamp\n1,10,1,1500000000\n"), 1, "event", "missing column")


@pytest.mark.parametrize("bad,words", [(",10,view,1,1500000000", "missing id"),
                                       ("nan,10,view,1,1500000000", "missing id")])
def test_missing_or_nan_id(tmp_path, bad, words):
    refused(write(tmp_path, HEADER + "\n".join([GOOD[0], bad, GOOD[1]]) + "\n"), 3, "user_id", words)


def test_non_integer_id(tmp_path):
    refused(write(tmp_path, HEADER + "\n".join([*GOOD, "3,10.5,view,1,1500000000"]) + "\n"), 5, "item_id",
            "non-integer id")


def test_unknown_event(tmp_path):
    err = refused(write(tmp_path, HEADER + "\n".join([GOOD[0], "1,12,click,1,1500000000"]) + "\n"), 3, "event",
                  "unknown event type")
    assert err.value == "click"


def test_unparseable_timestamp(tmp_path):
    refused(write(tmp_path, HEADER + "\n".join([*GOOD, "4,10,view,1,yesterday"]) + "\n"), 5, "timestamp",
            "unparseable timestamp")


def test_out_of_range_timestamp(tmp_path):
    # milliseconds read as seconds land tens of thousands of years ahead
    refused(write(tmp_path, HEADER + "\n".join([GOOD[0], "4,10,view,1,1500000000000"]) + "\n"), 3, "timestamp",
            "out of range")
    refused(write(tmp_path, HEADER + "4,10,view,1,12\n", "early.csv"), 2, "timestamp", "out of range")


def test_value_out_of_range(tmp_path):
    err = refused(write(tmp_path, HEADER + "\n".join([GOOD[2], "2,11,rating,0,1500000300"]) + "\n"), 3, "value",
                  r"out of range.*\[0\.5, 10\].*rating")
    assert err.value == "0"


def test_empty_file(tmp_path):
    refused(write(tmp_path, ""), 1, "user_id", "empty file")
    refused(write(tmp_path, HEADER, "header_only.csv"), 2, "user_id", "no data rows")


def test_wrong_delimiter(tmp_path):
    text = HEADER + "\n".join(GOOD).replace(",", ";") + "\n"
    # the header is comma-separated but the rows use ';'
    refused(write(tmp_path, text), 2, "user_id", r"1 field.*wrong delimiter")


def test_non_utf8_bytes(tmp_path):
    body = (HEADER + GOOD[0] + "\n").encode() + b"1,12,vi\xe9w,1,1500000000\n"
    refused(write(tmp_path, body), 3, "event", "undecodable bytes")


def test_duplicated_header_line(tmp_path):
    refused(write(tmp_path, HEADER + GOOD[0] + "\n" + HEADER + GOOD[1] + "\n"), 3, "user_id", "duplicated header")


def test_duplicated_header_column(tmp_path):
    refused(write(tmp_path, "user_id,item_id,event,value,value\n1,10,view,1,1\n"), 1, "value",
            "duplicated header column")


def test_dataframe_validation_names_row():
    frame = pd.DataFrame({"user_id": [1, 2], "item_id": [1, 2], "event": ["view", "buy"], "value": [1.0, 1.0],
                          "timestamp": [1500000000, 1500000001]})
    with pytest.raises(DataValidationError, match=r"<events>, row 2, column 'event'"):
        validate_events(frame)


def test_headerless_file_with_header(tmp_path):
    from recnb.data.readers import read_delimited

    p = write(tmp_path, "user_id\tother_id\n1\t2\n", "friends.dat")
    with pytest.raises(DataValidationError, match=r"row 1, column 'user_id'.*header line"):
        read_delimited(p, "\t", ["user_id", "other_id"], header=False)


def test_real_format_error_names_line(tmp_path):
    """A malformed line deep in a real-format file is located by its line number."""
    from recnb.data.sources import taobao

    folder = tmp_path / "t"
    folder.mkdir()
    rows = ["1,2,3,pv,1511544070"] * 5 + ["1,2,3,pv"]
    (folder / "UserBehavior_head.csv").write_text("\n".join(rows) + "\n")
    from recnb.data.readers import read_delimited

    with pytest.raises(DataValidationError, match=r"row 6, column 'timestamp'.*row has 4 field"):
        read_delimited(folder / "UserBehavior_head.csv", ",",
                       ["user_id", "item_id", "category", "event", "timestamp"], header=False)
    assert taobao.FILES  # the real parser pins its file's digest


def test_multi_character_separator_keeps_located_errors(tmp_path):
    """MovieLens-1M's `::` files go through the same reader; a short row is located and shown as written."""
    from recnb.data.readers import read_delimited

    p = write(tmp_path, "1::1193::5::978300760\n1::661::3\n", "ratings.dat")
    with pytest.raises(DataValidationError, match=r"row 2, column 'timestamp'.*'1::661::3'.*separated by '::'"):
        read_delimited(p, "::", ["user_id", "item_id", "value", "timestamp"], header=False)
    frame = read_delimited(write(tmp_path, "1::Toy Story (1995)::Animation|Comedy\n", "movies.dat"), "::",
                           ["item_id", "title", "genres"], header=False, encoding="latin-1")
    assert frame.loc[0, "title"] == "Toy Story (1995)" and frame.loc[0, "genres"] == "Animation|Comedy"


def test_extra_columns_are_named_in_the_notes(tmp_path):
    ds = load_dataset("canonical", path=write(tmp_path, "user_id,item_id,event,value,timestamp,session\n"
                                                        "1,10,view,1,1500000000,s1\n"))
    assert any("session" in n for n in ds.notes)
