"""Sequence files: one user per line, ``user item item ...`` (blank-separated, oldest item first), the
format of the S3-Rec benchmarks (Zhou et al., CIKM 2020). The log has order but no clock; the file names
no event type, so each item is recorded as a ``purchase`` of value 1 (or the ``event`` asked for).
"""

from __future__ import annotations

from pathlib import Path

from ..fetch import sha256_file
from ..readers import read_sequences
from ..schema import EVENT_TYPES, ORDER_NOTE, Dataset, validate_events


def parse_file(path: Path, name: str | None = None, event: str = "purchase") -> Dataset:
    """Read and validate a sequence file into an ordered :class:`Dataset` (ids as in
    :func:`~recnb.data.schema.parse_ids`: integers, or strings kept as written)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    if event not in EVENT_TYPES:
        raise ValueError(f"event={event!r}: expected one of {', '.join(EVENT_TYPES)}")
    seq = read_sequences(path)
    frame = seq.assign(event=event, value=1.0).rename(columns={"position": "timestamp"})
    events = validate_events(frame, str(path), seq["_line"].to_numpy(), time="order")
    return Dataset(name=name or path.stem, events=events, source=str(path.resolve()), licence="as supplied",
                   files={path.name: sha256_file(path)},
                   notes=[ORDER_NOTE, f"A sequence file names no event type: each item is recorded as a "
                                      f"{event!r} of value 1."],
                   ordered=True, validate=False)
