"""Last.fm hetrec2011-lastfm-2k: artist play counts of 1,892 users and their friendships.

``user_artists.dat`` (header ``userID artistID weight``, CRLF) gives ``play`` events whose value is the
listening count; there are no timestamps. ``user_friends.dat`` has **no header** (CRLF) and lists each
friendship in both directions. ``artists.dat`` gives artist names.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..fetch import verify
from ..readers import read_delimited
from ..schema import Dataset, parse_ids, validate_events

FOLDER = "lastfm-hetrec2011"
FILES = {
    "artists.dat": "c173881362c6b28551368fecb3c0be5a6a30a6cd859e1f5775413dfe46d48648",
    "user_artists.dat": "650cd69d5a68db24b439042557aa539aec47e473273e12cdfdca2cd944b3773a",
    "user_friends.dat": "6803aeb1df327cedd660eff82a6ea51bcf434f05f67cfc91ceb2457382ac0d54",
}
LICENCE = ("Non-commercial use (hetrec2011 readme); cite Last.fm (http://www.lastfm.com) and "
           "Cantador et al., HetRec 2011.")


def parse(folder: Path) -> Dataset:
    """Parse the three files; events have no time (``NaT``)."""
    files = {f: verify(folder / f, sha) for f, sha in FILES.items()}
    ua_path = folder / "user_artists.dat"
    ua = read_delimited(ua_path, "\t", ["user_id", "item_id", "value"], header=True,
                        header_names=["userID", "artistID", "weight"])
    ua["event"], ua["timestamp"] = "play", ""
    events = validate_events(ua, str(ua_path), ua["_line"].to_numpy())
    a_path = folder / "artists.dat"
    art = read_delimited(a_path, "\t", ["item_id", "title", "url", "picture"], header=True,
                         header_names=["id", "name", "url", "pictureURL"])
    items = pd.DataFrame({"item_id": parse_ids(art["item_id"], "item_id", str(a_path), art["_line"].to_numpy()),
                          "title": art["title"].astype("string")})
    f_path = folder / "user_friends.dat"
    fr = read_delimited(f_path, "\t", ["user_id", "other_id"], header=False)
    edges = pd.DataFrame({"user_id": parse_ids(fr["user_id"], "user_id", str(f_path), fr["_line"].to_numpy()),
                          "other_id": parse_ids(fr["other_id"], "other_id", str(f_path), fr["_line"].to_numpy()),
                          "kind": pd.Series("friend", index=fr.index, dtype="string")})
    return Dataset(name="lastfm", events=events, items=items, edges=edges,
                   source=f"../shared/data/{FOLDER} (GroupLens hetrec2011-lastfm-2k)", licence=LICENCE,
                   files=files, notes=["No timestamps: order-dependent models are skipped on this dataset.",
                                       "Friendships are listed in both directions."], validate=False)
