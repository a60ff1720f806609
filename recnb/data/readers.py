"""Strict readers for raw delimited files: every problem is reported with file, row and column.

:func:`read_delimited` checks, before pandas parses anything, that the file is not empty, that it is
valid text in its encoding, that it uses the expected delimiter, that each row has the expected number
of fields and that a header line is not repeated inside the data. Row numbers in errors are 1-based line
numbers of the file, so ``sed -n 'Np'`` shows the offending line.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from .schema import DataValidationError

_CANDIDATE_SEPARATORS = ("\t", ",", ";", "|", "::", " ")


def _decode(path: Path, raw: bytes, encoding: str, sep: str, names: list[str]) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as err:
        line_start = raw.rfind(b"\n", 0, err.start) + 1
        row = raw.count(b"\n", 0, err.start) + 1
        before = raw[line_start:err.start]
        col_index = before.count(sep.encode())
        column = names[col_index] if col_index < len(names) else f"field {col_index + 1}"
        raise DataValidationError(str(path), row, column, raw[err.start:err.end + 3],
                                  f"{encoding} text (the file holds bytes that are not {encoding})",
                                  "undecodable bytes") from None


def read_delimited(path: str | Path, sep: str, names: list[str], header: bool,
                   encoding: str = "utf-8", header_names: list[str] | None = None) -> pd.DataFrame:
    """Read a delimited text file as strings, strictly.

    Args:
        path: the file.
        sep: the field separator (``"\\t"``, ``","``, ``"|"`` ...).
        names: column names to give the fields, in order (len = fields per row).
        header: whether the first line is a header (it is then checked against ``header_names``).
        encoding: the text encoding the provider documents.
        header_names: expected header fields when ``header`` (default: ``names``); compared
            case-insensitively and ignoring any ``:type`` suffix (RecBole atomic files).

    Returns:
        A frame of string columns ``names`` and a column ``_line`` with each row's 1-based line number.
        CR characters at line ends (Windows files) are removed.
    """
    path = Path(path)
    raw = path.read_bytes()
    if not raw.strip():
        raise DataValidationError(str(path), 1, names[0], raw.decode("latin-1"),
                                  "a first line with data (the file is empty)", "empty file, found")
    text = _decode(path, raw, encoding, sep, names).replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    width = len(names)
    counts = np.fromiter((ln.count(sep) + 1 if ln else 0 for ln in lines), dtype=np.int64, count=len(lines))
    first = 0
    if header:
        expected = [h.lower() for h in (header_names or names)]
        got = [h.split(":")[0].strip().lower() for h in lines[0].split(sep)]
        if counts[0] != width:
            _wrong_separator(path, 1, lines[0], sep, width, names)
        if got != expected:
            bad = next(i for i, (a, b) in enumerate(zip(got, expected)) if a != b)
            raise DataValidationError(str(path), 1, names[bad], lines[0].split(sep)[bad],
                                      f"the header {sep.join(header_names or names)!r}", "unexpected header field")
        first = 1
    data_lines = lines[first:]
    data_counts = counts[first:]
    if len(data_lines) == 0:
        raise DataValidationError(str(path), 2, names[0], "", "at least one data row after the header",
                                  "no data rows, found")
    blank = data_counts == 0
    wrong = (data_counts != width) & ~blank
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        _wrong_separator(path, i + first + 1, data_lines[i], sep, width, names)
    head_line = lines[0] if header else None
    if head_line is not None:
        dup = [i for i, ln in enumerate(data_lines) if ln == head_line]
        if dup:
            raise DataValidationError(str(path), dup[0] + first + 1, names[0], head_line,
                                      "a data row (the header line appears again inside the data)",
                                      "duplicated header")
    keep = ~blank
    line_no = np.arange(first + 1, first + 1 + len(data_lines))[keep]
    body = "\n".join(ln for ln, k in zip(data_lines, keep) if k)
    frame = pd.read_csv(io.StringIO(body), sep=sep if len(sep) == 1 else sep, header=None, names=names,
                        dtype="string", keep_default_na=False, na_filter=False, quoting=3,
                        engine="c" if len(sep) == 1 else "python")
    frame["_line"] = line_no
    if not header:
        _check_headerless(path, frame, names)
    return frame


def _check_headerless(path: Path, frame: pd.DataFrame, names: list[str]) -> None:
    """A headerless file whose first row repeats the column names has a header it should not have."""
    first = [str(v).strip().lower() for v in frame.iloc[0, : len(names)]]
    if first == [n.lower() for n in names]:
        raise DataValidationError(str(path), 1, names[0], frame.iloc[0, 0],
                                  "a data row (this file format has no header)", "header line")


def _wrong_separator(path: Path, row: int, line: str, sep: str, width: int, names: list[str]) -> None:
    fields = line.count(sep) + 1
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
