"""The valid logs of issue 32 that loaded and then crashed notebooks 01-06 (each a canonical CSV written with
:func:`recnb.data.sources.canonical.write_file`): every one must now end, per notebook, ``ok`` or ``skipped``
with a reason, or be refused in one sentence before any notebook starts."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from recnb.data.sources.canonical import write_file

T0 = pd.Timestamp("2024-01-01", tz="UTC")


def _log(users: np.ndarray, items: np.ndarray, event: str = "view", value: np.ndarray | None = None) -> pd.DataFrame:
    n = len(users)
    return pd.DataFrame({"user_id": [f"u{u}" for u in users], "item_id": [f"i{i}" for i in items],
                         "event": event, "value": np.ones(n) if value is None else value,
                         "timestamp": T0 + pd.to_timedelta(np.arange(n) * 600, unit="s")})


def few_events_each(rng: np.random.Generator) -> pd.DataFrame:
    """300 users with 1-2 events each: every user falls to the 5-event filter."""
    per = rng.integers(1, 3, 300)
    users = np.repeat(np.arange(300), per)
    return _log(users, rng.integers(0, 100, len(users)))


def three_users(rng: np.random.Generator) -> pd.DataFrame:
    """3 users with 2-4 events."""
    per = np.array([2, 3, 4])
    users = np.repeat(np.arange(3), per)
    return _log(users, rng.permutation(20)[: len(users)])


def one_item(rng: np.random.Generator) -> pd.DataFrame:
    """50 users and a one-item catalogue (10 events each)."""
    users = np.repeat(np.arange(50), 10)
    return _log(users, np.zeros(len(users), int))


def single_event(rng: np.random.Generator) -> pd.DataFrame:
    """A single event."""
    return _log(np.array([0]), np.array([0]))


def uniform_ratings(rng: np.random.Generator) -> pd.DataFrame:
    """300 users rating 200 items drawn uniformly (no popularity signal), 20 ratings each."""
    users = np.repeat(np.arange(300), 20)
    items = np.concatenate([rng.permutation(200)[:20] for _ in range(300)])
    return _log(users, items, "rating", rng.integers(1, 6, len(users)).astype(float))


CRASH_LOGS: dict[str, Callable[[np.random.Generator], pd.DataFrame]] = {
    "few_events_each": few_events_each, "three_users": three_users, "one_item": one_item,
    "single_event": single_event, "uniform_ratings": uniform_ratings}


def write_crash_log(name: str, folder: Path, seed: int = 0) -> Path:
    """Write the crash log ``name`` of :data:`CRASH_LOGS` to ``folder/<name>.csv``."""
    return write_file(CRASH_LOGS[name](np.random.default_rng(seed)), folder / f"{name}.csv")
