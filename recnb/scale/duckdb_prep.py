"""Out-of-core preparation with DuckDB (Raasveldt & Mühleisen, SIGMOD 2019): SQL over files.

The same steps and definitions as the in-memory path, for logs larger than memory:

1. read a canonical CSV / Parquet log (``user_id, item_id, event, value[, timestamp]``; a glob of Parquet
   chunks is one log, files in name order) or the original Taobao ``UserBehavior.csv`` layout (no header:
   ``user, item, category, behaviour, timestamp``; behaviours pv / fav / cart / buy), keeping the file order;
2. the cleaning rules of :func:`recnb.data.preprocess.clean` with the same ledger (duplicates keeping the
   first, missing values, value ranges, then the iterated k-core over distinct user-item pairs);
3. the leave-last-out roles of :func:`recnb.data.split.leave_last_out` (order by user, time with untimed
   last, file order; the first target-type event of each (user, item) is eligible; the last eligible is
   test, the one before valid; gap between them; after the test target dropped) and the evaluation targets
   (a target needs an earlier event, a validation target a train event);
4. the :mod:`recnb.scale.prepared` Parquet layout.

DuckDB spills to ``temp_directory`` above ``memory_limit``; every step is one SQL statement over tables in
a scratch database file, so nothing is chunked by hand. Timestamps must be Unix seconds (integers) or a
timestamp type; anything else raises :class:`~recnb.data.schema.DataValidationError`.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import duckdb
import pandas as pd

from ..data.schema import EARLIEST, EVENT_TYPES, VALUE_RANGES, DataValidationError
from ..data.sources.taobao import BEHAVIOURS

LAYOUTS = ("canonical", "taobao")


def _sql_list(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _source(con: duckdb.DuckDBPyConnection, path: str, layout: str) -> None:
    """Create table ``raw(row, user_id, item_id, event, value, t)`` in file order."""
    p = path.replace("'", "''")
    if layout == "taobao":
        cases = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in BEHAVIOURS.items())
        con.execute(f"""CREATE TABLE raw AS SELECT row_number() OVER () - 1 AS row, user_id, item_id,
            CASE behaviour {cases} ELSE behaviour END AS event, 1.0::DOUBLE AS value, ts AS t
            FROM read_csv('{p}', header=false, columns={{'user_id': 'BIGINT', 'item_id': 'BIGINT',
                 'category': 'VARCHAR', 'behaviour': 'VARCHAR', 'ts': 'BIGINT'}})""")
        return
    if layout != "canonical":
        raise ValueError(f"layout {layout!r}: expected one of {', '.join(LAYOUTS)}")
    reader = (f"read_parquet('{p}')" if path.endswith(".parquet") else
              f"read_csv('{p}', header=true, delim='{chr(9) if path.endswith('.tsv') else ','}')")
    cols = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()}
    missing = [c for c in ("user_id", "item_id", "event", "value") if c not in cols]
    if missing:
        raise DataValidationError(path, 1, missing[0], sorted(cols), "columns user_id, item_id, event, value"
                                  "[, timestamp]", "missing column; found columns")
    kind = cols.get("timestamp", "")
    if not kind:
        t = "NULL::BIGINT"
    elif "TIMESTAMP" in kind:
        t = "epoch(timestamp)::BIGINT"
    elif kind in ("BIGINT", "INTEGER", "HUGEINT", "SMALLINT", "UBIGINT", "UINTEGER"):
        t = "timestamp::BIGINT"
    else:
        raise DataValidationError(path, None, "timestamp", kind, "Unix seconds as integers or a timestamp type "
                                  "(the DuckDB engine; the pandas engine also parses ISO-8601 text)",
                                  "unsupported column type")
    con.execute(f"""CREATE TABLE raw AS SELECT row_number() OVER () - 1 AS row, user_id, item_id,
        event::VARCHAR AS event, value::DOUBLE AS value, {t} AS t FROM {reader}""")


def _check(con: duckdb.DuckDBPyConnection, path: str, header: bool) -> None:
    """Raise on the first unknown event type or out-of-range timestamp (the schema's rules)."""
    line = "row + 2" if header else "row + 1"
    bad = con.execute(f"SELECT {line}, event FROM raw WHERE event IS NOT NULL AND event NOT IN "
                      f"({_sql_list(list(EVENT_TYPES))}) ORDER BY row LIMIT 1").fetchone()
    if bad:
        raise DataValidationError(path, int(bad[0]), "event", bad[1], f"one of {', '.join(EVENT_TYPES)}")
    lo, hi = EARLIEST.value // 10**9, (pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)).value // 10**9
    bad = con.execute(f"SELECT {line}, t FROM raw WHERE t < {lo} OR t > {hi} ORDER BY row LIMIT 1").fetchone()
    if bad:
        raise DataValidationError(path, int(bad[0]), "timestamp", bad[1], f"a time between {EARLIEST.date()} "
                                  "and today (Unix seconds)", "timestamp out of range")


def _counts(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, int, int]:
    n, u, i = con.execute(f"SELECT count(*), count(DISTINCT user_id), count(DISTINCT item_id) FROM {table}").fetchone()
    return int(n), int(u), int(i)


class _Ledger:
    """The rows of :class:`recnb.data.preprocess.Ledger`, from table counts."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con, self.rows = con, []

    def step(self, rule: str, before: str, sql: str, detail: str = "") -> str:
        after = f"{before}_"
        self.con.execute(f"CREATE TABLE {after} AS {sql.format(src=before)}")
        (n0, u0, i0), (n1, u1, i1) = _counts(self.con, before), _counts(self.con, after)
        self.rows.append({"rule": rule, "rows_in": n0, "rows_out": n1, "removed": n0 - n1, "users_lost": u0 - u1,
                          "items_lost": i0 - i1, "detail": detail})
        self.con.execute(f"DROP TABLE {before}")
        return after


def _clean(con: duckdb.DuckDBPyConnection, user_k: int, item_k: int,
           ranges: dict[str, tuple[float, float]]) -> tuple[str, pd.DataFrame]:
    led = _Ledger(con)
    tab = led.step("duplicates", "raw", "SELECT * FROM {src} QUALIFY row_number() OVER "
                   "(PARTITION BY user_id, item_id, event, t ORDER BY row) = 1",
                   "identical user_id, item_id, event, timestamp")
    cols = ["user_id", "item_id", "event", "value"]
    tab = led.step("missing values", tab, "SELECT * FROM {src} WHERE " + " AND ".join(f"{c} IS NOT NULL" for c in cols)
                   + " AND NOT isnan(value)", f"NaN in {', '.join(cols)}")
    for ev, (lo, hi) in ranges.items():
        bounds = [f"value >= {lo!r}" if lo != float("-inf") else "true",
                  f"value <= {hi!r}" if hi != float("inf") else "true"]
        tab = led.step(f"{ev} value outside [{lo:g}, {hi:g}]", tab,
                       f"SELECT * FROM {{src}} WHERE NOT (event = '{ev}' AND NOT ({' AND '.join(bounds)}))")
    if user_k or item_k:
        uk, ik = max(user_k, 1), max(item_k, 1)
        con.execute(f"CREATE TABLE core AS SELECT * FROM {tab}")
        rounds = 0
        while rounds < 100:
            rounds += 1
            con.execute("""CREATE OR REPLACE TEMP TABLE pairs AS SELECT DISTINCT user_id, item_id FROM core""")
            drop = con.execute(f"""SELECT count(*) FROM core
                WHERE user_id IN (SELECT user_id FROM pairs GROUP BY user_id HAVING count(*) < {uk})
                   OR item_id IN (SELECT item_id FROM pairs GROUP BY item_id HAVING count(*) < {ik})""").fetchone()[0]
            if not drop:
                break
            con.execute(f"""CREATE OR REPLACE TABLE core AS SELECT * FROM core
                WHERE user_id IN (SELECT user_id FROM pairs GROUP BY user_id HAVING count(*) >= {uk})
                  AND item_id IN (SELECT item_id FROM pairs GROUP BY item_id HAVING count(*) >= {ik})""")
        con.execute("DROP TABLE IF EXISTS pairs")
        tab = led.step(f"{uk}-core users, {ik}-core items", tab, "SELECT * FROM core ORDER BY row",
                       f"{rounds} round(s)")
        con.execute("DROP TABLE core")
    return tab, pd.DataFrame(led.rows, columns=["rule", "rows_in", "rows_out", "removed", "users_lost",
                                                "items_lost", "detail"])


def _split(con: duckdb.DuckDBPyConnection, tab: str, targets: tuple[str, ...]) -> None:
    """Tables ``users``, ``items``, ``ordered`` (with ``role``) and ``valid_t``, ``test_t``."""
    codes = ", ".join(str(EVENT_TYPES.index(e)) for e in targets)
    case = " ".join(f"WHEN '{e}' THEN {k}" for k, e in enumerate(EVENT_TYPES))
    con.execute(f"CREATE TABLE users AS SELECT row_number() OVER (ORDER BY user_id) - 1 AS idx, user_id "
                f"FROM (SELECT DISTINCT user_id FROM {tab})")
    con.execute(f"CREATE TABLE items AS SELECT row_number() OVER (ORDER BY item_id) - 1 AS idx, item_id "
                f"FROM (SELECT DISTINCT item_id FROM {tab})")
    con.execute(f"""CREATE TABLE ordered AS
        WITH e AS (SELECT us.idx AS u, it.idx AS i, (CASE event {case} END)::TINYINT AS event,
                          t::DOUBLE AS t, value AS v, row
                   FROM {tab} JOIN users us USING (user_id) JOIN items it USING (item_id)),
        p AS (SELECT *, row_number() OVER (PARTITION BY u ORDER BY t ASC NULLS LAST, row) - 1 AS pos FROM e),
        tg AS (SELECT u, i, pos FROM p WHERE event IN ({codes})
               QUALIFY row_number() OVER (PARTITION BY u, i ORDER BY pos) = 1),
        last AS (SELECT u, pos, row_number() OVER (PARTITION BY u ORDER BY pos DESC) AS k FROM tg
                 QUALIFY k <= 2),
        tv AS (SELECT u, max(CASE WHEN k = 1 THEN pos END) AS tpos, max(CASE WHEN k = 2 THEN pos END) AS vpos
               FROM last GROUP BY u)
        SELECT p.u, p.i, p.event, p.t, p.v, p.pos,
               CASE WHEN tv.tpos IS NOT NULL AND p.pos > tv.tpos THEN 'after'
                    WHEN p.pos = tv.tpos THEN 'test'
                    WHEN p.pos = tv.vpos THEN 'valid'
                    WHEN tv.vpos IS NOT NULL AND p.pos > tv.vpos AND p.pos < tv.tpos THEN 'gap'
                    ELSE 'train' END AS role
        FROM p LEFT JOIN tv USING (u)""")
    con.execute("""CREATE TABLE test_t AS SELECT u, i FROM ordered WHERE role = 'test' AND pos > 0""")
    con.execute("""CREATE TABLE valid_t AS SELECT u, i FROM ordered WHERE role = 'valid' AND pos > 0
                   AND u IN (SELECT DISTINCT u FROM ordered WHERE role = 'train')""")


def prepare_duckdb(path: str | Path, out: str | Path, layout: str = "canonical", user_k: int = 0, item_k: int = 0,
                   target: str | tuple[str, ...] | None = None, ranges: dict[str, tuple[float, float]] | None = None,
                   memory_limit: str = "6GB", threads: int | None = None, name: str | None = None) -> dict[str, object]:
    """Clean, k-core and split the log at ``path`` with DuckDB and write the prepared layout under ``out``.

    Args:
        path: a CSV / TSV / Parquet file, or a glob of Parquet files (``chunks/*.parquet``).
        layout: ``canonical`` or ``taobao`` (the original UserBehavior.csv, no header).
        user_k, item_k: k-core thresholds (0: no k-core), as :func:`recnb.data.preprocess.clean`.
        target: target event type(s); ``None``: every type present.
        ranges: value range per event type (default :data:`~recnb.data.schema.VALUE_RANGES`).
        memory_limit: DuckDB's ``memory_limit``: above it, operators spill to ``out/.duckdb-tmp``.

    Returns:
        ``{"rows": ..., "users": ..., "items": ..., "seconds": ...}`` of the written split.
    """
    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    scratch = out / ".duckdb-scratch.db"
    tmp = out / ".duckdb-tmp"
    scratch.unlink(missing_ok=True)
    con = duckdb.connect(str(scratch))
    try:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{tmp}'")
        con.execute("SET preserve_insertion_order = true")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        _source(con, str(path), layout)
        _check(con, str(path), header=layout == "canonical" and not str(path).endswith(".parquet"))
        tab, ledger = _clean(con, user_k, item_k, VALUE_RANGES if ranges is None else ranges)
        present = [r[0] for r in con.execute(f"SELECT DISTINCT event FROM {tab}").fetchall()]
        targets = (tuple(e for e in EVENT_TYPES if e in present) if target is None else
                   (target,) if isinstance(target, str) else tuple(target))
        _split(con, tab, targets)
        o = str(out).replace("'", "''")
        con.execute(f"""COPY (SELECT u::BIGINT AS u, i::BIGINT AS i, event, t, v, role FROM ordered
                     WHERE role <> 'after' ORDER BY u, pos) TO '{o}/events.parquet' (FORMAT parquet)""")
        con.execute(f"COPY (SELECT idx::BIGINT AS index, user_id FROM users ORDER BY idx) TO '{o}/users.parquet' (FORMAT parquet)")
        con.execute(f"COPY (SELECT idx::BIGINT AS index, item_id FROM items ORDER BY idx) TO '{o}/items.parquet' (FORMAT parquet)")
        for stage in ("valid", "test"):
            con.execute(f"COPY (SELECT u::BIGINT AS u, i::BIGINT AS i FROM {stage}_t ORDER BY u) "
                        f"TO '{o}/{stage}.parquet' (FORMAT parquet)")
        ledger.to_csv(out / "ledger.csv", index=False)
        after, untimed, rows = con.execute("SELECT count(*) FILTER (role = 'after'), count(*) FILTER (t IS NULL), "
                                           "count(*) FROM ordered").fetchone()
        n_users, n_items = (con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("users", "items"))
        n_test = con.execute("SELECT count(*) FROM test_t").fetchone()[0]
        timed = rows > untimed
        meta = {"name": name or Path(str(path)).stem.replace("*", ""), "targets": list(targets),
                "protocol": f"leave-last-out by {'time' if timed else 'file order (no clock)'}; targets: "
                            f"{', '.join(targets)}; inputs: all events",
                "info": {"events dropped after the test target": int(after),
                         "users without a test target": int(n_users - n_test), "untimed events": int(untimed)},
                "engine": "duckdb"}
        (out / "meta.json").write_text(json.dumps(meta, indent=1))
    finally:
        con.close()
        scratch.unlink(missing_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return {"rows": int(rows - after), "users": int(n_users), "items": int(n_items),
            "seconds": time.perf_counter() - t0}


def prepare_pandas(dataset: str, out: str | Path, path: str | Path | None = None, data_path: str | None = None,
                   user_k: int = 0, item_k: int = 0, target: str | tuple[str, ...] | None = None,
                   ranges: dict[str, tuple[float, float]] | None = None) -> dict[str, object]:
    """The in-memory path with the same steps: :func:`~recnb.data.load_dataset`,
    :func:`~recnb.data.preprocess.clean`, :func:`~recnb.data.split.leave_last_out`, prepared layout."""
    from dataclasses import replace

    from ..data import load_dataset
    from ..data.preprocess import clean
    from ..data.split import leave_last_out
    from .prepared import write_split

    t0 = time.perf_counter()
    ds = load_dataset(dataset, data_path=data_path, path=path, cache=False)
    events, ledger = clean(ds.events, user_k, item_k, VALUE_RANGES if ranges is None else ranges)
    split = leave_last_out(replace(ds, events=events), target=target)
    write_split(split, ledger, out, engine="pandas")
    return {"rows": len(split.events), "users": split.n_users, "items": split.n_items,
            "seconds": time.perf_counter() - t0}
