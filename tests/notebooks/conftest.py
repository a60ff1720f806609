"""Notebook runs use the cache of fitted models, as reports do: the smoke runs of different notebooks share the
baselines and encoders they fit on the same split (the unit tests turn it off, see ``tests/conftest.py``)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def model_cache_on(monkeypatch):
    monkeypatch.setenv("RECNB_MODEL_CACHE", "1")
