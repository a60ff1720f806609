"""Strict readers for raw text files: every problem is reported with file, row and column.

:func:`read_delimited` parses CSV/TSV files with Arrow's CSV reader (``pyarrow.csv``): RFC 4180 quoting
when asked (a quoted field may hold the separator, ``""`` or a line break), a UTF-8 byte-order mark (what
Excel writes) and CRLF or CR line ends. It checks that the file is not empty, that it is valid text in its
encoding, that each row has the expected number of fields (naming the delimiter the row seems to use
instead), that the header is the expected one and that it is not repeated inside the data. The parser's
own errors are mapped back to line numbers, and every row carries the 1-based line of the file where it
starts, so ``sed -n 'Np'`` shows the offending line.

:func:`read_sequences` reads the one-user-per-line format ``user item item ...`` of the sequential
benchmarks (S3-Rec's Amazon files, Zhou et al., CIKM 2020).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from .schema import DataValidationError

_CANDIDATE_SEPARATORS = ("\t", ",", ";", "|", "::", " ")
_BOM = b"\xef\xbb\xbf"
_UNIT_SEPARATOR = b"\x1f"
"""Stands in for a multi-character separator (``::`` in MovieLens-1M), which Arrow's reader cannot take."""


def _decode_error(path: Path, raw: bytes, encoding: str, sep: str, names: list[str]) -> None:
    """Raise the located error for the first bytes of ``raw`` that are not ``encoding`` (no-op if none)."""
    try:
        raw.decode(encoding)
    except UnicodeDecodeError as err:
        line_start = raw.rfind(b"\n", 0, err.start) + 1
        row = raw.count(b"\n", 0, err.start) + 1
        col_index = raw[line_start:err.start].count(sep.encode())
        column = names[col_index] if col_index < len(names) else f"field {col_index + 1}"
        raise DataValidationError(str(path), row, column, raw[err.start:err.end + 3],
                                  f"{encoding} text (the file holds bytes that are not {encoding})",
                                  "undecodable bytes") from None


def _read_bytes(path: Path, first_column: str) -> bytes:
    raw = path.read_bytes().removeprefix(_BOM)
    if not raw or raw.isspace():  # (raw.strip() would copy the whole file)
        raise DataValidationError(str(path), 1, first_column, raw.decode("latin-1"),
                                  "a first line with data (the file is empty)", "empty file, found")
    return raw


def _nonblank_lines(raw: bytes) -> np.ndarray:
    """1-based numbers of the lines of ``raw`` that hold something (LF, CRLF or CR line ends)."""
    newline = b"\n" if b"\n" in raw else b"\r"
    if (newline + newline not in raw and b"\n\r\n" not in raw and not raw.startswith((b"\n", b"\r"))):
        # no blank line: every line counts (bytes.count allocates nothing)
        n = raw.count(newline) + (0 if raw.endswith(newline) else 1)
        return np.arange(1, n + 1, dtype=np.int64)
    buf = np.frombuffer(raw, dtype=np.uint8)
    ends = np.flatnonzero(buf == newline[0])
    starts = np.r_[0, ends + 1]
    stops = np.r_[ends, len(buf)]
    keep = starts < len(buf)
    starts, stops = starts[keep], stops[keep]
    length = stops - starts
    last = buf[np.maximum(stops - 1, 0)]
    blank = (length == 0) | ((length == 1) & (last == 13))
    return np.flatnonzero(~blank) + 1


def _record_lines(raw: bytes, encoding: str, sep: str, quote: bool, n_records: int | None) -> np.ndarray:
    """The line on which each non-blank record starts (1-based), shape (n_records,).

    Without quoted line breaks a record is a non-blank line (found with numpy); otherwise Python's
    ``csv`` module, which follows the same RFC 4180 rules as the Arrow reader, walks the file.
    """
    lines = _nonblank_lines(raw)
    if not quote or b'"' not in raw or (n_records is not None and len(lines) == n_records):
        return lines
    text_encoding = "utf-8" if encoding.lower().replace("-", "") == "utf8" else encoding
    reader = csv.reader(io.StringIO(raw.decode(text_encoding), newline=""), delimiter=sep)
    starts, line = [], 1
    for fields in reader:
        if fields and fields != [""]:
            starts.append(line)
        line = reader.line_num + 1
    return np.asarray(starts, dtype=np.int64)


def _parse(path: Path, raw: bytes, sep: str, names: list[str], encoding: str, quote: bool,
           threads: bool, shown_sep: str) -> pa.Table:
    """Arrow's CSV reader over ``raw``: every field a string, nothing turned into null. ``shown_sep`` is
    the file's own separator when ``sep`` stands in for a multi-character one."""
    bad: list[pcsv.InvalidRow] = []

    def first_bad_row(row: pcsv.InvalidRow) -> str:
        bad.append(row)
        return "error"

    read = pcsv.ReadOptions(column_names=names, encoding=encoding, use_threads=threads)
    parse = pcsv.ParseOptions(delimiter=sep, quote_char='"' if quote else False, newlines_in_values=quote,
                              ignore_empty_lines=True, invalid_row_handler=None if threads else first_bad_row)
    convert = pcsv.ConvertOptions(column_types={n: pa.large_string() for n in names},
                                  strings_can_be_null=False, quoted_strings_can_be_null=False)
    try:
        return pcsv.read_csv(pa.BufferReader(raw), read_options=read, parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid as err:
        if "utf8" in str(err).lower():
            _decode_error(path, raw, "utf-8", sep, names)
        if threads:  # parse again, one row at a time, to find the first bad row
            return _parse(path, raw, sep, names, encoding, quote, threads=False, shown_sep=shown_sep)
        if not bad:
            raise DataValidationError(str(path), None, None, str(err), "a well-formed delimited file",
                                      "unreadable file:") from None
        row = bad[0]
        lines = _record_lines(raw, encoding, sep, quote, None)
        line = int(lines[row.number - 1]) if row.number and row.number <= len(lines) else row.number
        text = row.text.replace(sep, shown_sep) if sep != shown_sep else row.text
        _wrong_separator(path, line, text, shown_sep, len(names), names, row.actual_columns)
        raise AssertionError("unreachable")  # _wrong_separator always raises


def read_delimited(path: str | Path, sep: str, names: list[str], header: bool,
                   encoding: str = "utf-8", header_names: list[str] | None = None,
                   quote: bool = False) -> pd.DataFrame:
    """Read a delimited text file as strings, strictly.

    Args:
        path: the file.
        sep: the field separator (``"\\t"``, ``","``, ``"|"``, ``"::"`` ...).
        names: column names to give the fields, in order (len = fields per row).
        header: whether the first line is a header (it is then checked against ``header_names``).
        encoding: the text encoding the provider documents.
        header_names: expected header fields when ``header`` (default: ``names``); compared
            case-insensitively and ignoring any ``:type`` suffix (RecBole atomic files).
        quote: RFC 4180 quoting (``"a,b"``, ``""`` for a quote, line breaks inside quotes); off for
            provider formats that have none (there a ``"`` is an ordinary character).

    Returns:
        A frame of string columns ``names`` (values exactly as written, blank lines skipped) and a column
        ``_line`` with the 1-based line of the file where each row starts; shape (n_rows, len(names) + 1).
    """
    path = Path(path)
    raw = _read_bytes(path, names[0])
    arrow_sep = sep
    if len(sep) > 1:
        if _UNIT_SEPARATOR in raw:
            raise DataValidationError(str(path), None, None, "\\x1f", f"fields separated by {sep!r}",
                                      "control character in the file:")
        raw = raw.replace(sep.encode(), _UNIT_SEPARATOR)
        arrow_sep = _UNIT_SEPARATOR.decode()
    table = _parse(path, raw, arrow_sep, names, encoding, quote, threads=True, shown_sep=sep)
    lines = _record_lines(raw, encoding, arrow_sep, quote, table.num_rows)
    frame = table.to_pandas()
    first = 0
    if header:
        got = [str(v) for v in frame.iloc[0, : len(names)]]
        expected = [h.lower() for h in (header_names or names)]
        clean = [h.split(":")[0].strip().lower() for h in got]
        if clean != expected:
            bad = next(i for i, (a, b) in enumerate(zip(clean, expected)) if a != b)
            raise DataValidationError(str(path), int(lines[0]), names[bad], got[bad],
                                      f"the header {sep.join(header_names or names)!r}", "unexpected header field")
        first = 1
        repeated = (frame[names].iloc[1:] == got).all(axis=1).to_numpy()
        if repeated.any():
            i = int(np.flatnonzero(repeated)[0]) + 1
            raise DataValidationError(str(path), int(lines[i]), names[0], sep.join(got),
                                      "a data row (the header line appears again inside the data)",
                                      "duplicated header")
    if len(frame) - first == 0:
        raise DataValidationError(str(path), 2, names[0], "", "at least one data row after the header",
                                  "no data rows, found")
    frame = frame.iloc[first:].reset_index(drop=True)
    frame["_line"] = lines[first:]
    if not header:
        _check_headerless(path, frame, names)
    return frame


def read_header(path: str | Path, sep: str, quote: bool = True, encoding: str = "utf-8") -> list[str]:
    """The fields of the first non-blank line (BOM removed, RFC 4180 quotes undone when ``quote``)."""
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(1 << 16).removeprefix(_BOM)
    text = head.decode(encoding, errors="replace")
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    if not line:
        return []
    if len(sep) > 1 or not quote:
        return [h.strip() for h in line.split(sep)]
    return [h.strip() for h in next(csv.reader([line], delimiter=sep))]


def read_sequences(path: str | Path, encoding: str = "utf-8") -> pd.DataFrame:
    """Read a sequence file: one user per line, ``user item item ...`` separated by blanks (spaces or tabs).

    Returns:
        A frame with string columns ``user_id`` and ``item_id``, the 0-based ``position`` of the item in
        its line (int64) and the line number ``_line``, one row per (user, item) in file order; shape
        (n_items_in_all_lines, 4). A line with a user and no item, and a user on two lines, raise.
    """
    path = Path(path)
    raw = _read_bytes(path, "user_id")
    lines = _nonblank_lines(raw)
    read = pcsv.ReadOptions(column_names=["line"], encoding=encoding)
    parse = pcsv.ParseOptions(delimiter="\x1f", quote_char=False, ignore_empty_lines=True)
    convert = pcsv.ConvertOptions(column_types={"line": pa.large_string()}, strings_can_be_null=False)
    try:
        table = pcsv.read_csv(pa.BufferReader(raw), read_options=read, parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid as err:
        _decode_error(path, raw, "utf-8", " ", ["user_id", "item_id"])
        raise DataValidationError(str(path), None, None, str(err), "one user per line", "unreadable file:") from None
    tokens = pc.utf8_split_whitespace(table.column("line"))
    count = pc.list_value_length(tokens).to_numpy(zero_copy_only=False)
    short = count < 2
    if short.any():
        i = int(np.flatnonzero(short)[0])
        raise DataValidationError(str(path), int(lines[i]), "item_id", table.column("line")[i].as_py(),
                                  "a user followed by at least one item (`user item item ...`)",
                                  "line without items:")
    flat = pc.list_flatten(tokens)
    parent = pc.list_parent_indices(tokens).to_numpy()
    starts = np.r_[0, np.cumsum(count)[:-1]]
    is_user = np.zeros(len(flat), dtype=bool)
    is_user[starts] = True
    users = pd.Series(flat.take(pa.array(starts)).to_pandas(), name="user_id")
    dup = users.duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise DataValidationError(str(path), int(lines[i]), "user_id", users.iloc[i],
                                  "each user on one line only", "user listed again:")
    item_rows = np.flatnonzero(~is_user)
    owner = parent[item_rows]
    return pd.DataFrame({
        "user_id": pd.Series(flat.take(pa.array(starts[owner])).to_pandas()),
        "item_id": pd.Series(flat.take(pa.array(item_rows)).to_pandas()),
        "position": item_rows - starts[owner] - 1,
        "_line": lines[owner],
    })


def _check_headerless(path: Path, frame: pd.DataFrame, names: list[str]) -> None:
    """A headerless file whose first row repeats the column names has a header it should not have."""
    first = [str(v).strip().lower() for v in frame.iloc[0, : len(names)]]
    if first == [n.lower() for n in names]:
        raise DataValidationError(str(path), int(frame["_line"].iloc[0]), names[0], frame.iloc[0, 0],
                                  "a data row (this file format has no header)", "header line")


def _wrong_separator(path: Path, row: int, line: str, sep: str, width: int, names: list[str],
                     fields: int) -> None:
    guess = [s for s in _CANDIDATE_SEPARATORS if s != sep and line.count(s) + 1 == width]
    hint = f" (the line splits into {width} fields on {guess[0]!r}: wrong delimiter?)" if guess else ""
    if guess:  # the whole row sits in the first field
        column = names[0]
    elif fields < width:  # the first field that is absent
        column = names[fields]
    else:  # the row has extra fields after the last column
        column = names[-1]
    raise DataValidationError(str(path), row, column, line,
                              f"{width} fields separated by {sep!r}{hint}",
                              f"row has {fields} field(s):")
