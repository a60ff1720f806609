"""MovieLens-1M (Harper & Konstan, ACM TiiS 2015): 1-5 star ratings with Unix times, user demographics,
movie titles and genres, from the official GroupLens files.

Two sources read the same format (``::``-separated, no header; ``movies.dat`` is latin-1):

* ``movielens-1m``: the official ``ratings.dat``, ``movies.dat`` and ``users.dat`` in a folder ``ml-1m``,
  downloaded by :func:`fetch` from GroupLens (the zip's MD5 as GroupLens publishes it and its SHA-256
  pinned; ``ratings.dat`` pinned by its Git blob id, ``movies.dat`` and ``users.dat`` by SHA-256);
* ``movielens-1m-head``: the development copy in ``../shared/data/movielens-1m-head``, whose
  ``ratings_head.dat`` holds only the first users' ratings (see its PROVENANCE.md). It is loaded under its
  own name, and its notes and licence say that it is a partial head, not MovieLens-1M.

Users' ``age`` is the bucket code of the README (1: under 18, 18: 18-24, ..., 56: 56+), ``occupation`` the
README's name for the code; ``category`` is a movie's first listed genre (as for ML-100K).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..fetch import download, extract_members, raw_dir, verify
from ..readers import read_delimited
from ..schema import Dataset, DataValidationError, parse_ids, validate_events

URL = "https://files.grouplens.org/datasets/movielens/ml-1m.zip"
ZIP_MD5 = "c4d9eecfca2ab87c1945afe126590906"
"""As published by GroupLens (https://files.grouplens.org/datasets/movielens/ml-1m.zip.md5)."""
ZIP_SHA256 = "a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20"
SIDE_FILES = {
    "movies.dat": "0140fc2356357c1a851d0f52e893a1e4d3696df632c4141cea8d5bc3d621f0b9",
    "users.dat": "1dc3a95300cb19f7c10e027daf29b8cdf1d908dab65b5edfb45950aa389a10a3",
}
RATINGS_GIT_BLOB = "77a7c4b150f588c23bb9e1f068aa996c0b413695"
"""``git hash-object ml-1m/ratings.dat`` of the official file (see the head's PROVENANCE.md)."""
FILES = ("ratings.dat", *SIDE_FILES)
FOLDER = "ml-1m"
HEAD_FOLDER = "movielens-1m-head"
HEAD_FILES = {
    "ratings_head.dat": "115c06219522e7113bb46b9679086098dd271571806f96622ce5e97b591568d4",
    **SIDE_FILES,
}
OCCUPATIONS = ("other or not specified", "academic/educator", "artist", "clerical/admin", "college/grad student",
               "customer service", "doctor/health care", "executive/managerial", "farmer", "homemaker",
               "K-12 student", "lawyer", "programmer", "retired", "sales/marketing", "scientist", "self-employed",
               "technician/engineer", "tradesman/craftsman", "unemployed", "writer")
LICENCE = ("GroupLens research licence: research use only, no redistribution, no commercial use without "
           "permission, cite Harper & Konstan 2015 (ACM TiiS 5(4):19)")
HEAD_LICENCE = (f"{LICENCE}. This partial copy is for the project's internal development and tests only; "
                "in real use download ml-1m.zip from GroupLens (`python -m recnb data fetch movielens-1m`).")


def fetch(dest: Path | None = None) -> Path:
    """Download ml-1m.zip from GroupLens into ``dest`` (default ``data/raw/ml-1m``), check the zip's MD5 and
    SHA-256, extract the three data files (SHA-256 / Git blob checked) and delete the zip."""
    dest = dest or raw_dir() / FOLDER
    archive = download(URL, dest / "ml-1m.zip", sha256=ZIP_SHA256, md5=ZIP_MD5)
    extract_members(archive, {f"ml-1m/{f}": f for f in FILES}, dest, dict(SIDE_FILES))
    verify(dest / "ratings.dat", RATINGS_GIT_BLOB, "git-blob", delete=True)
    archive.unlink()
    return dest


def _items(path: Path) -> pd.DataFrame:
    it = read_delimited(path, "::", ["item_id", "title", "genres"], header=False, encoding="latin-1")
    year = it["title"].str.extract(r"\((\d{4})\)\s*$")[0]
    return pd.DataFrame({
        "item_id": parse_ids(it["item_id"], "item_id", str(path), it["_line"].to_numpy()),
        "title": it["title"].str.replace(r"\s*\(\d{4}\)\s*$", "", regex=True).astype("string"),
        "year": pd.to_numeric(year, errors="coerce").astype("Int64"),
        "genres": it["genres"].astype("string"),
        "category": it["genres"].str.split("|").str[0].astype("string"),
    })


def _users(path: Path) -> pd.DataFrame:
    us = read_delimited(path, "::", ["user_id", "gender", "age", "occupation", "zip_code"], header=False)
    lines = us["_line"].to_numpy()
    code = parse_ids(us["occupation"], "occupation", str(path), lines)
    unknown = ~code.isin(range(len(OCCUPATIONS))).to_numpy()
    if unknown.any():
        i = int(unknown.argmax())
        raise DataValidationError(str(path), int(lines[i]), "occupation", us["occupation"].iloc[i],
                                  f"an occupation code 0-{len(OCCUPATIONS) - 1} (README)", "unknown code")
    names = pd.Series(OCCUPATIONS, dtype="string")
    return pd.DataFrame({
        "user_id": parse_ids(us["user_id"], "user_id", str(path), lines),
        "age": parse_ids(us["age"], "age", str(path), lines),
        "gender": us["gender"].astype("string"),
        "occupation": names.reindex(code.to_numpy()).reset_index(drop=True),
    })


def _parse(folder: Path, ratings: str, files: dict[str, str], name: str, source: str, licence: str) -> Dataset:
    r_path = folder / ratings
    raw = read_delimited(r_path, "::", ["user_id", "item_id", "value", "timestamp"], header=False)
    raw["event"] = "rating"
    events = validate_events(raw, str(r_path), raw["_line"].to_numpy(), value_ranges={"rating": (1.0, 5.0)})
    return Dataset(name=name, events=events, items=_items(folder / "movies.dat"),
                   users=_users(folder / "users.dat"), source=source, licence=licence, files=files,
                   notes=["Ratings 1-5 are explicit feedback; the study treats every rating as an implicit "
                          "interaction. `category` is the first listed genre; `age` is the README's age-bucket "
                          "code."], validate=False)


def parse(folder: Path) -> Dataset:
    """The official MovieLens-1M files (every digest checked)."""
    files = {f: verify(folder / f, sha) for f, sha in SIDE_FILES.items()}
    verify(folder / "ratings.dat", RATINGS_GIT_BLOB, "git-blob")
    files = {"ratings.dat": verify(folder / "ratings.dat", None), **files}
    return _parse(folder, "ratings.dat", files, "movielens-1m", f"{URL} (official GroupLens files)", LICENCE)


def parse_head(folder: Path) -> Dataset:
    """The partial development copy: every digest checked; notes and licence say it is a head."""
    files = {f: verify(folder / f, sha) for f, sha in HEAD_FILES.items()}
    ds = _parse(folder, "ratings_head.dat", files, "movielens-1m-head",
                f"../shared/data/{HEAD_FOLDER} (partial copy of GroupLens ml-1m: see its PROVENANCE.md)", HEAD_LICENCE)
    users = ds.events["user_id"]
    ds.notes.insert(0, f"PARTIAL HEAD OF MOVIELENS-1M, NOT ML-1M: ratings of users {users.min()}-{users.max()} "
                       f"only ({users.nunique():,} of the {len(ds.users):,} users in users.dat). Do not report "
                       "its numbers as MovieLens-1M results or compare them with published ML-1M tables.")
    return ds
