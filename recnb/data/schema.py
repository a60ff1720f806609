"""The canonical event log and its side tables (DESIGN.md section 3), validated on construction.

Every dataset in recnb becomes one :class:`Dataset`:

* ``events``: one row per behaviour, columns ``user_id`` and ``item_id`` (int64 when every id is an
  integer, else strings exactly as the source wrote them: see :func:`parse_ids`), ``event`` (categorical,
  one of :data:`EVENT_TYPES`), ``value`` (float64: a rating, a count, or 1.0) and ``timestamp`` (UTC
  datetime; ``NaT`` where the source has no time for that row). A log with order but no clock has ``NaT``
  everywhere, its rows in each user's order, and ``Dataset.ordered`` set;
* ``items`` (``item_id`` plus any of ``title``, ``category`` ...), ``users`` (``user_id`` plus
  attributes) and ``edges`` (``user_id``, ``other_id``, ``kind``: friend / trust / ...).

Bad input raises :class:`DataValidationError`, which names the file, the row (a 1-based line number of
that file when the data came from a file), the column, the bad value and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

EVENT_TYPES: tuple[str, ...] = ("view", "cart", "fav", "purchase", "rating", "play")
"""Behaviour types of the canonical log, in funnel order where one exists."""

EVENT_COLUMNS: tuple[str, ...] = ("user_id", "item_id", "event", "value", "timestamp")

VALUE_RANGES: dict[str, tuple[float, float]] = {
    "rating": (0.5, 10.0),
    "play": (1.0, np.inf),
    "view": (1.0, np.inf),
    "cart": (1.0, np.inf),
    "fav": (1.0, np.inf),
    "purchase": (1.0, np.inf),
}
"""Inclusive range of ``value`` per event type (ratings on scales up to 10; counts at least 1)."""

EARLIEST = pd.Timestamp("1990-01-01", tz="UTC")
"""Timestamps before this are treated as unparseable epochs (for example seconds read as ms)."""


class DataValidationError(ValueError):
    """Bad input data, located precisely.

    Attributes mirror the message: ``file``, ``row`` (1-based line in ``file``, or ``None`` for
    file-level problems), ``column``, ``value`` and ``expected``.
    """

    def __init__(
        self,
        file: str,
        row: int | None,
        column: str | None,
        value: Any,
        expected: str,
        problem: str = "bad value",
    ) -> None:
        self.file, self.row, self.column = file, row, column
        self.value, self.expected, self.problem = value, expected, problem
        where = (f"{file}" + (f", row {row}" if row is not None else "")
                 + (f", column {column!r}" if column is not None else ""))
        shown = repr(value) if not isinstance(value, str) or len(value) < 80 else repr(value[:77] + "...")
        super().__init__(f"{where}: {problem} {shown}; expected {expected}")
        self.shown = shown

    def one_line(self) -> str:
        """The error as one line, ``file:row:column: problem value; expected ...`` (row and column left out
        when the problem is the whole file or a whole column), as the command line prints it."""
        where = ":".join([self.file, *([str(self.row)] if self.row is not None else []),
                          *([self.column] if self.column is not None else [])])
        return " ".join(f"{where}: {self.problem} {self.shown}; expected {self.expected}".split())


def _fail_at(mask: np.ndarray, df: pd.DataFrame, column: str, file: str, lines: np.ndarray | None,
             expected: str, problem: str = "bad value") -> None:
    """Raise for the first True position of ``mask`` (no-op when none)."""
    bad = np.flatnonzero(mask)
    if bad.size == 0:
        return
    i = int(bad[0])
    row = int(lines[i]) if lines is not None else i + 1
    more = f" ({bad.size - 1} more rows like it)" if bad.size > 1 else ""
    raise DataValidationError(file, row, column, df[column].iloc[i], expected + more, problem)


_MISSING_TOKENS = ("", "nan", "none", "null", "na", "n/a", "<na>", "nat")
"""Cell contents that mean "no value" (what pandas, R, SQL and spreadsheets write), never an id."""

_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_LEADING_ZERO = r"^[+-]?0\d"


def _strings(raw: pd.Series) -> pa.ChunkedArray | pa.Array:
    """The values of ``raw`` as an Arrow string array (no copy for Arrow-backed string columns)."""
    if not pd.api.types.is_string_dtype(raw.dtype) or isinstance(raw.dtype, pd.CategoricalDtype):
        raw = raw.astype("str")
    return pa.array(raw)


def _exact_ints(raw: pd.Series) -> np.ndarray | None:
    """The column as int64 when every cell is a plain integer (``42``, no blanks, no decimals), else None."""
    if isinstance(raw.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(raw.dtype):
        return None
    if pd.api.types.is_integer_dtype(raw.dtype):
        return None if raw.isna().any() else raw.to_numpy(dtype="int64")
    if pd.api.types.is_numeric_dtype(raw.dtype) or pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return None
    arr = _strings(raw)
    if arr.null_count:
        return None
    try:
        return np.asarray(pc.cast(arr, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def to_float(raw: pd.Series) -> np.ndarray:
    """Numbers from numbers or strings, NaN where a cell is not a number (blanks around a number are
    allowed); shape (len(raw),). Vectorised with Arrow compute on string columns."""
    if pd.api.types.is_bool_dtype(raw.dtype):
        return raw.to_numpy(dtype="float64")
    if pd.api.types.is_numeric_dtype(raw.dtype) and not isinstance(raw.dtype, pd.CategoricalDtype):
        return raw.to_numpy(dtype="float64", na_value=np.nan)
    arr = _strings(raw)
    try:
        return np.asarray(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), dtype="float64")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    trimmed = pc.utf8_trim_whitespace(arr)
    is_number = pc.fill_null(pc.match_substring_regex(trimmed, _NUMBER), False)
    out = np.full(len(raw), np.nan)
    mask = np.asarray(is_number.to_numpy(zero_copy_only=False), dtype=bool)
    if mask.any():
        out[mask] = pc.cast(pc.filter(trimmed, is_number), pa.float64()).to_numpy(zero_copy_only=False)
    return out


def parse_ids(raw: pd.Series, column: str, file: str, lines: np.ndarray | None = None) -> pd.Series:
    """Ids from numbers or strings, aligned with ``raw``.

    A column whose every id is an integer (``42``, ``42.0``) without a leading zero is returned as int64;
    any other column as strings exactly as written, surrounding blanks removed (``u1``, an ASIN such as
    ``B00ABC``, a UUID, ``007``: a leading zero is kept, so ``007`` and ``7`` stay two ids; integers too
    large for an exact float also stay strings). Blank cells and the usual spellings of a missing value
    (``nan``, ``null``, ``NA`` ...) raise, as does a fractional number in an otherwise numeric column.
    """
    frame = raw.to_frame(column)
    if isinstance(raw.dtype, pd.CategoricalDtype):
        raw = raw.astype("str")
    if pd.api.types.is_bool_dtype(raw.dtype):
        _fail_at(np.ones(len(raw), bool), frame, column, file, lines, "an integer or string id", "boolean id")
    if pd.api.types.is_integer_dtype(raw.dtype):
        _fail_at(raw.isna().to_numpy(), frame, column, file, lines, "an integer id", "missing id")
        return raw.astype("int64")
    if pd.api.types.is_float_dtype(raw.dtype):
        f = raw.to_numpy(dtype="float64", na_value=np.nan)
        _fail_at(np.isnan(f), frame, column, file, lines, "an integer id", "missing id")
        _fail_at(f != np.round(f), frame, column, file, lines, "an integer id (no fractional part)",
                 "non-integer id")
        _fail_at(np.abs(f) > 2**53, frame, column, file, lines, "an id that a float holds exactly",
                 "id too large")
        return pd.Series(f.astype("int64"), index=raw.index, name=column)
    arr = _strings(raw)
    ints = _exact_ints(raw)
    if ints is not None and not pc.any(pc.match_substring_regex(arr, _LEADING_ZERO)).as_py():
        return pd.Series(ints, index=raw.index, name=column)
    text = pd.Series(pc.utf8_trim_whitespace(arr), index=raw.index, name=column, dtype="str")
    missing = (text.isna() | text.str.lower().isin(_MISSING_TOKENS)).to_numpy()
    _fail_at(missing, frame, column, file, lines,
             "an id (a blank cell or 'nan', 'null', 'NA' ... mean a missing value)", "missing id")
    f = to_float(text)
    if not np.isnan(f).any():
        _fail_at(f != np.round(f), frame, column, file, lines,
                 "an integer id (no fractional part), or an id with a non-digit character", "non-integer id")
        leading = text.str.match(_LEADING_ZERO).to_numpy(dtype=bool)
        if not leading.any() and not (np.abs(f) > 2**53).any():
            return pd.Series(f.astype("int64"), index=raw.index, name=column)
    return text


def parse_positions(raw: pd.Series, file: str, lines: np.ndarray | None = None,
                    column: str = "timestamp") -> np.ndarray:
    """Positions 0, 1, 2 ... in each user's sequence (a log with order but no clock), int64, shape
    (len(raw),); a blank, negative or fractional position raises."""
    frame = raw.to_frame(column)
    f = to_float(raw)
    expected = "a position in the user's sequence (an integer 0, 1, 2 ...; time=\"order\")"
    _fail_at(np.isnan(f), frame, column, file, lines, expected, "missing or non-numeric position")
    _fail_at((f < 0) | (f != np.round(f)) | (f > 2**53), frame, column, file, lines, expected, "bad position")
    return f.astype("int64")


def _position_hint(first_bad: float, earliest: float) -> str:
    """A hint naming ``time="order"`` when an out-of-range time looks like a position (0, 1, 2 ...)."""
    if 0 <= first_bad < earliest and first_bad == np.round(first_bad):
        return ("; if this column holds positions 0, 1, 2 ... in each user's sequence rather than times, "
                "load the file with time=\"order\"")
    return ""


def parse_timestamps(raw: pd.Series, file: str, lines: np.ndarray | None = None, unit: str = "s",
                     allow_missing: bool = True) -> pd.Series:
    """UTC timestamps from Unix epochs (``unit``) or ISO-8601 strings.

    Empty cells become ``NaT`` when ``allow_missing``; anything else that does not parse, or that falls
    before 1990 or after now, raises (for small non-negative integers the message names the
    ``time="order"`` option: such a column is likely a position, not a time). Returns a
    ``datetime64[ns, UTC]`` Series aligned with ``raw``.
    """
    column = "timestamp"
    frame = raw.to_frame(column)
    now = pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)
    expected = f"a time between {EARLIEST.date()} and today (Unix seconds or ISO-8601)"
    if isinstance(raw.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(raw.dtype):
        ts = pd.to_datetime(raw, utc=True).astype("datetime64[ns, UTC]")
        empty = ts.isna().to_numpy()
    elif (ints := _exact_ints(raw)) is not None:  # Unix epochs written as integers: exact, no float pass
        per_ns = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[unit]
        lo, hi = -(-pd.Timestamp(EARLIEST).value // per_ns), now.value // per_ns
        bad = (ints < lo) | (ints > hi)
        if bad.any():
            expected += _position_hint(ints[np.flatnonzero(bad)[0]], lo)
        _fail_at(bad, frame, column, file, lines, expected, "timestamp out of range")
        ts = pd.Series(pd.to_datetime(ints * per_ns, unit="ns", utc=True), index=raw.index)
        empty = np.zeros(len(raw), dtype=bool)
    else:
        numeric_dtype = pd.api.types.is_numeric_dtype(raw.dtype) and not isinstance(raw.dtype, pd.CategoricalDtype)
        num = to_float(raw)
        numeric = ~np.isnan(num)
        if numeric_dtype or numeric.all():
            s, empty = raw, np.isnan(num)
        else:
            s = raw.astype("str").str.strip()
            empty = (s.isna() | (s == "")).to_numpy(dtype=bool)
        per_second = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}[unit]
        secs = num / per_second
        bad = numeric & ((secs < EARLIEST.timestamp()) | (secs > now.timestamp()))
        if bad.any():
            expected += _position_hint(secs[np.flatnonzero(bad)[0]], EARLIEST.timestamp())
        _fail_at(bad, frame, column, file, lines, expected, "timestamp out of range")
        ts = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns, UTC]")
        if numeric.any():
            ts[numeric] = pd.to_datetime(np.round(secs[numeric] * 1e9).astype("int64"), unit="ns", utc=True)
        text = ~numeric & ~empty
        if text.any():
            parsed = pd.to_datetime(s[text], utc=True, errors="coerce", format="ISO8601")
            _fail_at(parsed.isna().to_numpy(), frame[text], column, file,
                     None if lines is None else lines[text], expected, "unparseable timestamp")
            ts[text] = parsed.astype("datetime64[ns, UTC]")
    if not allow_missing:
        _fail_at(empty, frame, column, file, lines, "a timestamp", "missing timestamp")
    out = (ts.notna() & ((ts < EARLIEST) | (ts > now))).to_numpy()
    _fail_at(out, frame, column, file, lines, expected, "timestamp out of range")
    return ts


ORDER_NOTE = ("Order but no clock: each user's events are ordered by their position in the sequence (the "
              "split follows it); there are no times, so time gaps, recency and calendar features are off.")
"""The note a :class:`Dataset` loaded with ``time="order"`` carries (reports print the notes)."""


def _event_codes(raw: pd.Series, file: str, lines: np.ndarray | None) -> pd.Categorical:
    """The event column as a categorical over :data:`EVENT_TYPES` (case and blanks ignored)."""
    if isinstance(raw.dtype, pd.CategoricalDtype) and set(map(str, raw.cat.categories)) <= set(EVENT_TYPES):
        codes = raw.cat.set_categories(list(EVENT_TYPES)).cat.codes.to_numpy()
    else:  # encode the few distinct spellings once, then look every row up (no per-row string work)
        encoded = pc.dictionary_encode(_strings(raw))
        chunks = encoded.unify_dictionaries().chunks if isinstance(encoded, pa.ChunkedArray) else [encoded]
        dictionary = chunks[0].dictionary if chunks else pa.array([], pa.string())
        spellings = pd.Series(pc.utf8_lower(pc.utf8_trim_whitespace(dictionary)), dtype="str")
        lookup = np.r_[pd.Index(list(EVENT_TYPES)).get_indexer(spellings), -1]
        index = [c.indices.fill_null(len(spellings)).to_numpy(zero_copy_only=False) for c in chunks]
        codes = lookup[np.concatenate(index)] if index else np.zeros(0, dtype=np.int64)
    _fail_at(codes < 0, raw.to_frame("event"), "event", file, lines, f"one of {', '.join(EVENT_TYPES)}",
             "unknown event type")
    return pd.Categorical.from_codes(codes.astype(np.int8), categories=list(EVENT_TYPES))


def validate_events(events: pd.DataFrame, file: str = "<events>", lines: np.ndarray | None = None,
                    value_ranges: dict[str, tuple[float, float]] | None = None, time: str = "clock") -> pd.DataFrame:
    """Check and normalise a canonical event log.

    Args:
        events: a frame with at least :data:`EVENT_COLUMNS` (``timestamp`` may be all missing).
        file: where the rows came from, for messages.
        lines: 1-based line number in ``file`` of each row (default: the row position + 1).
        value_ranges: per-event inclusive ranges overriding :data:`VALUE_RANGES`.
        time: ``"clock"``: ``timestamp`` holds times (Unix seconds or ISO-8601); ``"order"``: it holds
            each event's position 0, 1, 2 ... in its user's sequence (a log with order but no clock): the
            rows are then put in (user, position) order, ties keeping the file order, and ``timestamp``
            becomes ``NaT``.

    Returns:
        A new frame with exactly the canonical columns and dtypes, the index reset.
    """
    if time not in ("clock", "order"):
        raise ValueError(f"time={time!r}: expected 'clock' (timestamps are times) or 'order' (positions)")
    missing = [c for c in EVENT_COLUMNS if c not in events.columns]
    if missing:
        raise DataValidationError(file, None, missing[0], list(events.columns),
                                  f"columns {list(EVENT_COLUMNS)}", "missing column; found columns")
    if len(events) == 0:
        raise DataValidationError(file, None, None, 0, "at least one event", "no rows:")
    out = pd.DataFrame({c: parse_ids(events[c].reset_index(drop=True), c, file, lines)
                        for c in ("user_id", "item_id")})
    out["event"] = _event_codes(events["event"].reset_index(drop=True), file, lines)
    raw_value = events["value"].reset_index(drop=True)
    v = to_float(raw_value)
    _fail_at(~np.isfinite(v), raw_value.to_frame("value"), "value", file, lines, "a finite number",
             "non-numeric value")
    ranges = {**VALUE_RANGES, **(value_ranges or {})}
    codes = out["event"].cat.codes.to_numpy()
    lo, hi = np.array([ranges[e] for e in EVENT_TYPES], dtype=float).T[:, codes]
    bad = (v < lo) | (v > hi)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        e = str(out["event"].iloc[i])
        _fail_at(bad, raw_value.to_frame("value"), "value", file, lines,
                 f"a value in [{ranges[e][0]:g}, {ranges[e][1]:g}] for event {e!r}", "value out of range")
    out["value"] = v
    raw_time = events["timestamp"].reset_index(drop=True)
    if time == "clock":
        out["timestamp"] = parse_timestamps(raw_time, file, lines)
        return out
    position = parse_positions(raw_time, file, lines)
    user_code = pd.factorize(out["user_id"])[0]  # users in order of first appearance
    out = out.iloc[np.lexsort((position, user_code))].reset_index(drop=True)
    out["timestamp"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns, UTC]")
    return out


def epoch_seconds(ts: pd.Series) -> np.ndarray:
    """Unix seconds (int64) of a UTC datetime Series without NaT, whatever its resolution."""
    return ((ts - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64)


def _require(df: pd.DataFrame, name: str, key: str) -> pd.DataFrame:
    if key not in df.columns:
        raise DataValidationError(f"<{name}>", None, key, list(df.columns), f"a {key!r} column",
                                  "missing column; found columns")
    df = df.reset_index(drop=True).copy()
    df[key] = parse_ids(df[key], key, f"<{name}>")
    dup = df[key].duplicated().to_numpy()
    _fail_at(dup, df, key, f"<{name}>", None, f"unique {key} values", "duplicated id")
    return df


@dataclass
class Dataset:
    """A validated behaviour log with its side tables and provenance.

    Attributes:
        name: short name (``ml-100k``, ``taobao`` ...).
        events: canonical event log, shape (n_events, 5).
        items: one row per item (``item_id`` + attributes); may be empty.
        users: one row per user (``user_id`` + attributes); may be empty.
        edges: user-user relations (``user_id``, ``other_id``, ``kind``); may be empty.
        source: where the files came from (URL, package, folder).
        licence: the licence as the provider states it.
        files: ``{file name: SHA-256}`` of the raw files that were parsed.
        ledger: rows removed while parsing, one row per rule (``rule``, ``rows_in``, ``rows_out``,
            ``detail``); nothing is dropped without a row here.
        notes: free-text facts a report should state (for example "held-out purchases have no time").
        ordered: the rows of each user are in the order the user acted although there is no clock
            (``time="order"`` logs, sequence files): the split follows the row order.
    """

    name: str
    events: pd.DataFrame
    items: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"item_id": pd.Series(dtype="int64")}))
    users: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"user_id": pd.Series(dtype="int64")}))
    edges: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        {"user_id": pd.Series(dtype="int64"), "other_id": pd.Series(dtype="int64"),
         "kind": pd.Series(dtype="string")}))
    source: str = ""
    licence: str = ""
    files: dict[str, str] = field(default_factory=dict)
    ledger: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["rule", "rows_in", "rows_out", "detail"]))
    notes: list[str] = field(default_factory=list)
    ordered: bool = False
    validate: bool = True

    def __post_init__(self) -> None:
        if not self.validate:
            return
        self.events = validate_events(self.events, f"<{self.name} events>")
        self.items = _require(self.items, f"{self.name} items", "item_id")
        self.users = _require(self.users, f"{self.name} users", "user_id")
        if len(self.edges):
            for c in ("user_id", "other_id", "kind"):
                if c not in self.edges.columns:
                    raise DataValidationError(f"<{self.name} edges>", None, c, list(self.edges.columns),
                                              "columns user_id, other_id, kind", "missing column; found columns")
            e = self.edges.reset_index(drop=True).copy()
            e["user_id"] = parse_ids(e["user_id"], "user_id", f"<{self.name} edges>")
            e["other_id"] = parse_ids(e["other_id"], "other_id", f"<{self.name} edges>")
            e["kind"] = e["kind"].astype("string")
            self.edges = e

    @property
    def has_time(self) -> bool:
        """True when at least some events carry a timestamp (a clock)."""
        return bool(self.events["timestamp"].notna().any())

    @property
    def has_order(self) -> bool:
        """True when each user's events have a known order (by clock, or by position without a clock):
        what order-dependent models (RNN, SASRec) and a leave-last-out split need."""
        return self.ordered or self.has_time

    @property
    def time_kind(self) -> str:
        """``"clock"``, ``"order (no clock)"`` or ``"none"``."""
        return "clock" if self.has_time else "order (no clock)" if self.ordered else "none"

    def summary(self) -> dict[str, Any]:
        """Headline counts: events, users, items, density, event types, time span."""
        ev = self.events
        n_u, n_i = ev["user_id"].nunique(), ev["item_id"].nunique()
        pairs = len(ev[["user_id", "item_id"]].drop_duplicates())
        ts = ev["timestamp"].dropna()
        return {
            "dataset": self.name, "events": len(ev), "users": n_u, "items": n_i,
            "user-item pairs": pairs, "density %": 100.0 * pairs / max(n_u * n_i, 1),
            "event types": ", ".join(f"{k}:{v}" for k, v in ev["event"].value_counts().items() if v),
            "time": self.time_kind,
            "first": ts.min() if len(ts) else pd.NaT, "last": ts.max() if len(ts) else pd.NaT,
            "edges": len(self.edges),
        }
