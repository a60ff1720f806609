"""Semantic IDs: every item becomes a short tuple of codes, the vocabulary of a generative recommender.

Residual k-means (the simple baseline of residual quantisation; TIGER, Rajput et al., NeurIPS 2023, uses an
RQ-VAE, Zeghidour et al. 2021, trained to the same end): level 1 clusters the item embeddings with k-means,
level 2 clusters what level 1 left over (embedding minus its centroid), level 3 the rest. Items that still
share all three codes get a fourth, **disambiguation** code 0, 1, 2 ... (in item order), so that the tuple
names exactly one item (TIGER, section 3.1). Each level is one seeded ``sklearn.cluster.KMeans``.

Which embedding is quantised is stated in the output (:attr:`SemanticIds.source`):

* ``"text"``: the MiniLM text embedding of the item (:mod:`recnb.models.text`); an item never seen in
  training still has codes, so a generative model can name it;
* a **stand-in** where items have no text, chosen by ``stand_in``: ``"svd"`` (the item factors of a
  truncated SVD of the train matrix, rows scaled by the singular values: co-consumption), ``"random"``
  (seeded Gaussian vectors: codes that carry no information, a control). When only some items have
  text, the stand-in vectors of the others are mapped into the text space by a ridge regression fitted on
  the items that have both, and :attr:`SemanticIds.item_source` names the origin of each item's codes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import svds
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score

from ..data.split import Split

STAND_INS = ("svd", "random")


def stand_in_embeddings(split: Split, kind: str = "svd", dim: int = 64, seed: int = 0) -> np.ndarray:
    """Item vectors from the interactions alone, shape (n_items, dim), float32.

    ``"svd"``: V·S of a rank-``dim`` truncated SVD of the binary train matrix (an item with no train
    interaction gets the zero vector); ``"random"``: seeded standard Gaussian vectors.
    """
    if kind == "random":
        return np.random.default_rng(seed).standard_normal((split.n_items, dim)).astype(np.float32)
    if kind != "svd":
        raise ValueError(f"stand_in {kind!r}: expected one of {STAND_INS}")
    x = sp.csr_matrix(split.train, dtype=np.float64)
    x.data[:] = 1.0
    k = min(dim, min(x.shape) - 1)
    _, s, vt = svds(x, k=k, random_state=seed)
    out = np.zeros((split.n_items, dim), dtype=np.float32)
    out[:, :k] = (vt.T * s).astype(np.float32)
    return out


def code_embeddings(split: Split, text: np.ndarray | None = None, has_text: np.ndarray | None = None,
                    stand_in: str = "svd", dim: int = 64, seed: int = 0, ridge: float = 1.0
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The vectors to quantise and where each comes from.

    Args:
        split: the split (its train matrix feeds the stand-in).
        text: text embeddings of the split's items, shape (n_items, d), or ``None`` (no item text).
        has_text: which rows of ``text`` are real, shape (n_items,) bool; default all of them.
        stand_in: the embedding standing in for items without text (:data:`STAND_INS`).

    Returns:
        ``(vectors, source)``: shape (n_items, d) float32 and (n_items,) strings ``"text"`` or
        ``"<stand_in> (mapped to text space)"`` / ``"<stand_in>"``.
    """
    if text is None:
        return stand_in_embeddings(split, stand_in, dim, seed), np.full(split.n_items, stand_in, dtype=object)
    text = np.asarray(text, dtype=np.float32)
    if text.shape[0] != split.n_items:
        raise ValueError(f"code_embeddings: text has {text.shape[0]} rows, the split has {split.n_items} items")
    has = np.ones(split.n_items, bool) if has_text is None else np.asarray(has_text, bool)
    source = np.where(has, "text", f"{stand_in} (mapped to text space)").astype(object)
    if has.all():
        return text, source
    z = stand_in_embeddings(split, stand_in, dim, seed)
    a = z[has]
    w = np.linalg.solve(a.T @ a + ridge * np.eye(a.shape[1], dtype=np.float32), a.T @ text[has])
    out = text.copy()
    out[~has] = z[~has] @ w
    return out, source


@dataclass
class SemanticIds:
    """Codes of every item, shape (n_items, levels + 1): ``levels`` quantisation codes and one
    disambiguation code (0 for an item alone on its tuple).

    Attributes:
        codes: int64 (n_items, levels + 1).
        sizes: number of possible values of each column (the codebook sizes, then the largest
            disambiguation code + 1).
        source: a sentence naming the embedding that was quantised.
        item_source: the origin of each item's vector, shape (n_items,).
    """

    codes: np.ndarray
    sizes: tuple[int, ...]
    source: str
    item_source: np.ndarray

    @property
    def n_items(self) -> int:
        return int(self.codes.shape[0])

    def decode(self, tuples: np.ndarray) -> np.ndarray:
        """Item index of each code tuple (rows of shape (levels + 1,)); -1 for a tuple naming no item."""
        tuples = np.atleast_2d(np.asarray(tuples, dtype=np.int64))
        radix = np.cumprod((1,) + self.sizes[:0:-1])[::-1]  # mixed-radix key of a tuple
        keys = self.codes @ radix
        order = np.argsort(keys)
        q = tuples @ radix
        pos = np.minimum(np.searchsorted(keys[order], q), len(keys) - 1)
        found = keys[order][pos] == q
        return np.where(found, order[pos], -1)

    def usage(self) -> pd.DataFrame:
        """One row per level: codebook size, codes used, the largest share of items on one code, the
        perplexity of the code distribution (exp of its entropy; equals the size when usage is uniform)."""
        rows = []
        for lvl, size in enumerate(self.sizes):
            counts = np.bincount(self.codes[:, lvl], minlength=size)
            p = counts[counts > 0] / counts.sum()
            rows.append({"level": lvl + 1 if lvl < len(self.sizes) - 1 else "disambiguation",
                         "codebook": size, "used": int((counts > 0).sum()),
                         "largest share": float(p.max()), "perplexity": float(np.exp(-(p * np.log(p)).sum()))})
        return pd.DataFrame(rows)

    def collisions(self) -> dict[str, float | int]:
        """Items that share their quantisation tuple with another item (before disambiguation), the
        number of such shared tuples and the largest group."""
        _, inv, counts = np.unique(self.codes[:, :-1], axis=0, return_inverse=True, return_counts=True)
        per_item = counts[inv.ravel()]
        return {"items": self.n_items, "distinct tuples": int(len(counts)),
                "items in a collision": int((per_item > 1).sum()),
                "share in a collision": float((per_item > 1).mean()),
                "largest group": int(counts.max())}

    def category_agreement(self, category: np.ndarray) -> pd.DataFrame:
        """Normalised mutual information between the category (-1 = unknown, left out) and the code
        prefixes of length 1, 2, 3 (1 = codes determine the category, 0 = independent)."""
        category = np.asarray(category)
        known = category >= 0
        rows = []
        for n in range(1, len(self.sizes)):
            _, prefix = np.unique(self.codes[known, :n], axis=0, return_inverse=True)
            rows.append({"prefix length": n,
                         "nmi": float(normalized_mutual_info_score(category[known], prefix.ravel()))})
        return pd.DataFrame(rows)


def residual_kmeans(vectors: np.ndarray, codebook: int | tuple[int, ...] = 32, levels: int = 3, seed: int = 0,
                    source: str = "embedding", item_source: np.ndarray | None = None) -> SemanticIds:
    """Residual k-means codes of ``vectors`` (n_items, d), see the module docstring.

    ``codebook``: clusters per level (one size for all levels, or one per level); a level never has more
    clusters than distinct residuals. Deterministic for a seed.
    """
    x = np.asarray(vectors, dtype=np.float64)
    sizes = (codebook,) * levels if isinstance(codebook, int) else tuple(codebook)
    if len(sizes) != levels:
        raise ValueError(f"residual_kmeans: {len(sizes)} codebook sizes for {levels} levels")
    residual = x - x.mean(0)
    codes = np.zeros((len(x), levels + 1), dtype=np.int64)
    used = []
    for lvl, k in enumerate(sizes):
        k = int(min(k, len(np.unique(residual.round(8), axis=0))))
        km = KMeans(n_clusters=k, n_init=1, random_state=seed + lvl).fit(residual)
        codes[:, lvl] = km.labels_
        residual = residual - km.cluster_centers_[km.labels_]
        used.append(k)
    _, inv = np.unique(codes[:, :levels], axis=0, return_inverse=True)
    inv = inv.ravel()
    order = np.argsort(inv, kind="stable")
    first = np.searchsorted(inv[order], inv[order], side="left")
    codes[order, levels] = np.arange(len(x)) - first
    sizes_out = tuple(used) + (int(codes[:, levels].max()) + 1,)
    return SemanticIds(codes, sizes_out, source,
                       np.full(len(x), source, dtype=object) if item_source is None else np.asarray(item_source))


__all__ = ["STAND_INS", "SemanticIds", "code_embeddings", "residual_kmeans", "stand_in_embeddings"]
