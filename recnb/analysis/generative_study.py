"""Notebook 09, part 2: generative recommendation over semantic IDs, scaling, and published numbers.

The models live in :mod:`recnb.models.semantic_ids`, :mod:`recnb.models.generative` and
:mod:`recnb.models.sequence`; the scaling grid in :mod:`recnb.analysis.scaling`. This module holds the
notebook's glue that is more than glue:

* :func:`user_sample`: a log cut to a seeded sample of its users (the quick profile's Amazon budget);
* :func:`attribute_embeddings`: the stand-in embedding of items without text (Amazon: brand and category
  attributes, TF-IDF weighted, reduced by a truncated SVD);
* :func:`semantic_ids`: the codes of a split's items with a sentence saying what was quantised;
* :func:`fit_sasrec`, :func:`fit_generative`: the two next-item models of the comparison, early-stopped on
  validation NDCG@10 (:func:`recnb.train.fit_loop`);
* :func:`model_family`: generative, SASRec (ID), SASRec + text (where there is text) and EASE on one split;
* :func:`scaling_verdict`: where, along the fitted power law, more compute stops paying;
* :func:`published_table`: this run's numbers beside the published ones of :mod:`recnb.reference`.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import svds

from ..data.schema import Dataset
from ..data.split import Split
from ..models.generative import GenerativeRecommender
from ..models.semantic_ids import SemanticIds, code_embeddings, residual_kmeans
from ..models.sequence import SequenceRecommender
from ..profile import Profile
from ..reference import reference

AMAZON = ("amazon-sports", "amazon-toys")
"""The S3-Rec Amazon logs of part 2 (no item text: their semantic IDs come from a stand-in)."""


def user_sample(ds: Dataset, n_users: int, seed: int = 0) -> Dataset:
    """``ds`` restricted to the events of a seeded sample of ``n_users`` users (``n_users`` <= 0 or at
    least the number of users: ``ds`` unchanged). Items keep their whole item table."""
    users = ds.events["user_id"].unique()
    if n_users <= 0 or n_users >= len(users):
        return ds
    keep = np.random.default_rng(seed).choice(np.sort(users), n_users, replace=False)
    out = copy.copy(ds)
    out.events = ds.events[ds.events["user_id"].isin(keep)].reset_index(drop=True)
    return out


def attribute_embeddings(split: Split, items: pd.DataFrame, dim: int = 64, column: str = "attributes",
                         seed: int = 0) -> np.ndarray:
    """Item vectors from the item table's ``column`` (``"|"``-separated attribute ids, e.g. Amazon's brand
    and categories), shape (n_items, dim) float32: a TF-IDF weighted item x attribute matrix (rows scaled to
    unit length) reduced by a rank-``dim`` truncated SVD (rows V·S). An item without attributes gets the
    zero vector. It needs no interaction, so a cold item has one too."""
    table = items.set_index("item_id")[column].astype("string").reindex(split.item_ids).fillna("")
    tokens = table.str.split("|").explode()
    tokens = tokens[tokens.str.len() > 0]
    rows = pd.Index(split.item_ids).get_indexer(tokens.index)
    vocab, cols = np.unique(tokens.to_numpy(dtype=str), return_inverse=True)
    x = sp.csr_matrix((np.ones(len(rows)), (rows, cols.ravel())), shape=(split.n_items, len(vocab)))
    x.sum_duplicates()
    x.data[:] = 1.0
    idf = np.log((1 + split.n_items) / (1 + np.asarray((x > 0).sum(0)).ravel())) + 1
    x = sp.csr_matrix(x.multiply(idf[None, :]))
    norms = np.sqrt(np.asarray(x.multiply(x).sum(1)).ravel())
    x = sp.diags(1 / np.maximum(norms, 1e-12)) @ x
    k = min(dim, min(x.shape) - 1)
    _, s, vt = svds(x, k=k, random_state=seed)
    u = x @ vt.T
    out = np.zeros((split.n_items, dim), dtype=np.float32)
    out[:, :k] = u
    return out


def semantic_ids(split: Split, codebook: int, text: np.ndarray | None = None, items: pd.DataFrame | None = None,
                 seed: int = 0) -> SemanticIds:
    """Residual k-means codes (:func:`~recnb.models.semantic_ids.residual_kmeans`, 3 levels of ``codebook``
    clusters and a disambiguation code) of the split's items. Quantised: the text embedding ``text`` when
    given; else the item attributes (:func:`attribute_embeddings`) when ``items`` has an ``attributes``
    column; else the co-consumption stand-in (SVD of the train matrix). The result's ``source`` says which."""
    if text is not None:
        vectors, where = code_embeddings(split, text)
        return residual_kmeans(vectors, codebook, seed=seed, item_source=where,
                               source="the MiniLM text embedding of each item's title, year and genres")
    if items is not None and "attributes" in items.columns:
        return residual_kmeans(attribute_embeddings(split, items, seed=seed), codebook, seed=seed,
                               source="a stand-in: the item's brand and category attributes (TF-IDF, truncated "
                                      "SVD to 64 dimensions), since the S3-Rec files hold no item text")
    vectors, where = code_embeddings(split, None, stand_in="svd", seed=seed)
    return residual_kmeans(vectors, codebook, seed=seed, item_source=where,
                           source="a stand-in: the item's co-consumption vector (truncated SVD of the train "
                                  "matrix), since the log holds no item text or attributes")


def fit_sasrec(split: Split, epochs: int, seed: int = 0, progress: bool = True, **kwargs: object
               ) -> SequenceRecommender:
    """SASRec (Kang & McAuley, ICDM 2018) with full-softmax cross-entropy, as notebook 04 configures it,
    capped at ``epochs`` and early-stopped on validation NDCG@10 (patience 5)."""
    kwargs = {"patience": 5, **kwargs}
    return SequenceRecommender("sasrec", max_epochs=epochs, seed=seed, progress=progress, **kwargs).fit(split)


def fit_generative(split: Split, ids: SemanticIds, epochs: int, beam: int, seed: int = 0, progress: bool = True,
                   **kwargs: object) -> GenerativeRecommender:
    """The TIGER-style generative recommender (:class:`~recnb.models.generative.GenerativeRecommender`) on
    ``ids``, capped at ``epochs`` and early-stopped on validation NDCG@10 of its generated lists
    (patience 5); its list has ``beam`` items."""
    kwargs = {"patience": 5, **kwargs}
    return GenerativeRecommender(ids, beam=beam, max_epochs=epochs, seed=seed, progress=progress, **kwargs).fit(split)
