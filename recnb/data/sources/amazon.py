"""Amazon review sequences of S3-Rec (Zhou et al., CIKM 2020): ``Sports_and_Outdoors`` and
``Toys_and_Games``, the standard sequential benchmarks with published full-ranking tables.

``<name>.txt`` holds one user per line, ``user item item ...``, items oldest first (5-core Amazon 2014
reviews, McAuley et al., SIGIR 2015); there are no times and no ratings, so the log has order but no
clock. ``<name>_item2attributes.json`` maps each item to attribute ids: its brand first, then the entries
of its category paths below the top level (attribute names are not published). Each review is recorded
as a ``purchase`` event of value 1.

An item's ``category`` is its first attribute after the brand that not every item carries (every item
carries one shared top attribute); the item table also keeps ``brand`` and all ``attributes``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..fetch import verify
from ..schema import ORDER_NOTE, Dataset, DataValidationError, parse_ids
from . import sequences

FOLDER = "amazon-s3rec"
PREFIX = {"amazon-sports": "Sports_and_Outdoors", "amazon-toys": "Toys_and_Games"}
FILES = {
    "Sports_and_Outdoors.txt": "2a095e0648872beb9982408958290f5d655db5be2911c3756b5446de9f0b8de2",
    "Sports_and_Outdoors_item2attributes.json": "7fb10733ac4f1811384a52144cdefa7fcc7536fa80a7232c5da9bd789155c34b",
    "Toys_and_Games.txt": "176c680c688d497598c4a89a03b402c0fe78d795e5db335c2e78dd5f2d778a3f",
    "Toys_and_Games_item2attributes.json": "d371acd25101eedac04afc727626464b7acec770c4eda708705d51eb76eb1ad0",
}
LICENCE = ("Not verified (Amazon review data 2014; the S3-Rec repository has no licence file): research use "
           "only. Cite Zhou et al., CIKM 2020 (S3-Rec) and McAuley et al., SIGIR 2015.")
SOURCE = "github.com/aHuiWang/CIKM2020-S3Rec data/ (commit e6c774da), copy in ../shared/data/" + FOLDER


def files(name: str) -> tuple[str, str]:
    """The sequence file and the attribute file of ``name`` (``amazon-sports`` or ``amazon-toys``)."""
    return f"{PREFIX[name]}.txt", f"{PREFIX[name]}_item2attributes.json"


def _attributes(path: Path) -> pd.DataFrame:
    """One row per (item, attribute) in list order: ``item_id`` (str), ``attribute`` (int), ``position``."""
    try:
        table = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DataValidationError(str(path), getattr(err, "lineno", None), None, str(err),
                                  'one JSON object {"item id": [attribute id, ...]}', "unreadable JSON:") from None
    if not isinstance(table, dict):
        raise DataValidationError(str(path), None, None, type(table).__name__,
                                  'a JSON object {"item id": [attribute id, ...]}', "found a JSON")
    bad = next((k for k, v in table.items() if not isinstance(v, list) or not v
                or not all(isinstance(a, int) and not isinstance(a, bool) for a in v)), None)
    if bad is not None:
        raise DataValidationError(str(path), None, f"item {bad}", table[bad], "a non-empty list of integer "
                                  "attribute ids", "bad attribute list")
    lengths = np.fromiter((len(v) for v in table.values()), dtype=np.int64, count=len(table))
    return pd.DataFrame({
        "item_id": np.repeat(np.array(list(table), dtype=object), lengths),
        "attribute": np.fromiter((a for v in table.values() for a in v), dtype=np.int64, count=int(lengths.sum())),
        "position": np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths),
    })


def _items(attrs: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The item table: ``item_id``, ``category``, ``brand``, ``attributes`` (see the module docstring)."""
    attrs = attrs.assign(item_id=parse_ids(attrs["item_id"], "item_id", str(path)))
    n_items = attrs["item_id"].nunique()
    carriers = attrs.drop_duplicates(["item_id", "attribute"]).groupby("attribute").size()
    shared = carriers.index[carriers.to_numpy() == n_items]
    brand = attrs[attrs["position"] == 0].set_index("item_id")["attribute"]
    below = attrs[(attrs["position"] > 0) & ~attrs["attribute"].isin(shared)]
    category = below.drop_duplicates("item_id").set_index("item_id")["attribute"]
    unique = attrs.drop_duplicates(["item_id", "attribute"])
    listed = unique.groupby("item_id", sort=False)["attribute"].agg(lambda a: "|".join(map(str, a)))
    ids = brand.index.sort_values()
    return pd.DataFrame({
        "item_id": ids.to_numpy(),
        "category": ("attr " + category.reindex(ids).astype("Int64").astype("string")).to_numpy(),
        "brand": ("attr " + brand.reindex(ids).astype("string")).to_numpy(),
        "attributes": listed.reindex(ids).to_numpy(),
    }).astype({"category": "string", "brand": "string", "attributes": "string"})


def parse(folder: Path, name: str) -> Dataset:
    """Parse ``name``'s two files (digests checked) into an ordered :class:`Dataset`."""
    seq_file, attr_file = files(name)
    checked = {f: verify(folder / f, FILES[f]) for f in (seq_file, attr_file)}
    ds = sequences.parse_file(folder / seq_file, name)
    return Dataset(name=name, events=ds.events, items=_items(_attributes(folder / attr_file), folder / attr_file),
                   source=SOURCE, licence=LICENCE, files=checked,
                   notes=[ORDER_NOTE,
                          "Each event is one product review of the 5-core Amazon 2014 data as preprocessed by "
                          "S3-Rec, recorded as a 'purchase' of value 1; review times and ratings are not in the "
                          "files.",
                          "Item categories are S3-Rec attribute ids (their names are not published): an item's "
                          "first attribute after its brand that not every item carries."],
                   ordered=True, validate=False)
