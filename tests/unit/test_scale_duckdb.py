"""Out-of-core preparation (recnb.scale.duckdb_prep): the DuckDB and pandas engines write identical splits,
row for row, on a simulated log and on the real Taobao sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("duckdb", reason="duckdb is not installed (pip install duckdb)")

from recnb.data.schema import DataValidationError, epoch_seconds  # noqa: E402
from recnb.data.simulate import simulate  # noqa: E402
from recnb.data.sources.canonical import write_file  # noqa: E402
from recnb.scale.duckdb_prep import prepare_duckdb, prepare_pandas  # noqa: E402
from recnb.data import locate  # noqa: E402
from recnb.scale.prepared import read_split  # noqa: E402

TAOBAO = locate("taobao") or Path("taobao-userbehavior-sample (set RECNB_DATA_PATH to the folder holding it)")


def _same(a_dir: Path, b_dir: Path) -> None:
    a, b = read_split(a_dir), read_split(b_dir)
    pd.testing.assert_frame_equal(a.events, b.events)
    np.testing.assert_array_equal(a.user_ids, b.user_ids)
    np.testing.assert_array_equal(a.item_ids, b.item_ids)
    for stage in ("valid", "test"):
        for x, y in zip(a.target(stage), b.target(stage)):
            np.testing.assert_array_equal(x, y)
    assert a.info == b.info and a.protocol == b.protocol and a.targets == b.targets
    pd.testing.assert_frame_equal(pd.read_csv(a_dir / "ledger.csv"), pd.read_csv(b_dir / "ledger.csv"))


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_engines_agree_on_a_simulated_log_with_duplicates_ties_and_shuffled_rows(tmp_path, suffix):
    ev = simulate(n_users=150, n_items=80, n_categories=8, mean_views=15, seed=4).events
    ev.loc[ev.index[::50], "timestamp"] = ev["timestamp"].iloc[0]  # same-second events across users
    ev = pd.concat([ev, ev.iloc[:40], ev.iloc[100:130].assign(value=2.0)])  # exact and value-only repeats
    ev = ev.sample(frac=1, random_state=0).reset_index(drop=True)  # file order decides ties and which copy stays
    path = tmp_path / f"log{suffix}"
    if suffix == ".csv":
        write_file(ev, path)
    else:
        ev.assign(timestamp=epoch_seconds(ev["timestamp"]), event=ev["event"].astype(str)).to_parquet(path)
    prepare_duckdb(path, tmp_path / "duck", user_k=5, item_k=3)
    prepare_pandas("canonical", tmp_path / "pd", path=path, user_k=5, item_k=3)
    _same(tmp_path / "duck", tmp_path / "pd")
    ledger = pd.read_csv(tmp_path / "duck" / "ledger.csv")
    assert ledger.loc[ledger["rule"] == "duplicates", "removed"].item() >= 70


def test_engines_agree_with_purchase_targets(tmp_path):
    ev = simulate(n_users=120, n_items=60, n_categories=6, mean_views=20, seed=5).events
    write_file(ev, tmp_path / "log.csv")
    prepare_duckdb(tmp_path / "log.csv", tmp_path / "duck", target="purchase")
    prepare_pandas("canonical", tmp_path / "pd", path=tmp_path / "log.csv", target="purchase")
    _same(tmp_path / "duck", tmp_path / "pd")
    assert read_split(tmp_path / "duck").targets == ("purchase",)


@pytest.mark.skipif(not (TAOBAO / "UserBehavior_head.csv").exists(),
                    reason=f"Taobao sample not on the search path: {TAOBAO}")
@pytest.mark.parametrize("target", [None, "purchase"])
def test_engines_agree_on_the_real_taobao_sample(tmp_path, target):
    prepare_duckdb(TAOBAO / "UserBehavior_head.csv", tmp_path / "duck", layout="taobao", user_k=5, item_k=2,
                   target=target)
    prepare_pandas("taobao", tmp_path / "pd", data_path=str(TAOBAO.parent), user_k=5, item_k=2, target=target)
    _same(tmp_path / "duck", tmp_path / "pd")


def test_unknown_event_type_names_file_row_column_and_value(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("user_id,item_id,event,value,timestamp\n1,2,view,1,1700000000\n1,3,clik,1,1700000001\n")
    with pytest.raises(DataValidationError, match=r"bad.csv, row 3, column 'event'.*'clik'"):
        prepare_duckdb(path, tmp_path / "out")


def test_prepare_command_and_chunk_glob(tmp_path, capsys):
    from recnb.__main__ import main
    from recnb.bench.scale import write_chunks

    w = write_chunks(tmp_path / "chunks", 30_000)
    assert w["events"] > 0
    glob = str(tmp_path / "chunks" / "*.parquet")
    assert main(["data", "prepare", "--engine", "duckdb", "--path", glob, "--user-k", "5", "--out",
                 str(tmp_path / "duck")]) == 0
    assert "5-core users" in capsys.readouterr().out
    split = read_split(tmp_path / "duck")
    assert len(split.test_users) > 0 and (split.events["role"] != "after").all()


def test_capped_evaluation_batches_and_matches_plain_evaluation():
    from recnb.data.split import leave_last_out
    from recnb.evaluate.ranking import evaluate
    from recnb.models.baselines import MostPopular
    from recnb.scale.evaluation import BYTES_PER_CELL, batch_for_cap, evaluate_capped

    assert batch_for_cap(1_000_000, 2**30) == 2**30 // (1_000_000 * BYTES_PER_CELL)
    assert batch_for_cap(10**9, 1) == 1
    with pytest.raises(ValueError):
        batch_for_cap(0, 10)
    split = leave_last_out(simulate(n_users=90, n_items=40, n_categories=4, mean_views=8, seed=1))
    model = MostPopular().fit(split)
    capped = evaluate_capped(model, split, cap_bytes=7 * split.n_items * BYTES_PER_CELL)  # batches of 7 users
    pd.testing.assert_frame_equal(capped.per_user, evaluate(model, split).per_user)
