"""Semantic IDs: codes decode to items (a bijection thanks to the disambiguation code), codes follow planted
categories, stand-in embeddings are named."""

from __future__ import annotations

import numpy as np
import pytest

from recnb.data.simulate import simulate
from recnb.data.split import leave_last_out
from recnb.models.semantic_ids import code_embeddings, residual_kmeans, stand_in_embeddings


def _planted(n_cat: int = 6, per: int = 40, dim: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    cat = np.repeat(np.arange(n_cat), per)
    centres = 5 * rng.standard_normal((n_cat, dim))
    return centres[cat] + rng.standard_normal((len(cat), dim)), cat


def test_codes_decode_to_items_even_with_duplicates():
    x, _ = _planted()
    x[10:15] = x[10]  # five identical vectors: one quantisation tuple, told apart by the fourth code
    ids = residual_kmeans(x, codebook=(4, 4, 4), seed=0)
    assert ids.codes.shape == (len(x), 4)
    assert len(np.unique(ids.codes, axis=0)) == len(x)  # a bijection
    assert np.array_equal(ids.decode(ids.codes), np.arange(len(x)))
    assert ids.collisions()["largest group"] >= 5 and ids.sizes[-1] >= 5
    bad = ids.codes[:1].copy()
    bad[0, -1] = ids.sizes[-1]  # a disambiguation code no item has
    assert ids.decode(bad).tolist() == [-1]
    again = residual_kmeans(x, codebook=(4, 4, 4), seed=0)
    assert np.array_equal(again.codes, ids.codes)  # seeded
    usage = ids.usage()
    assert usage["used"].iloc[:3].tolist() == [4, 4, 4] and (usage["perplexity"] <= usage["codebook"] + 1e-9).all()


def test_first_code_follows_planted_categories():
    x, cat = _planted()
    ids = residual_kmeans(x, codebook=6, seed=0)
    nmi = ids.category_agreement(cat)
    assert nmi["nmi"].iloc[0] > 0.9
    noise = residual_kmeans(np.random.default_rng(1).standard_normal(x.shape), codebook=6, seed=0)
    assert noise.category_agreement(cat)["nmi"].iloc[0] < 0.2


def test_stand_in_is_named_and_maps_into_text_space():
    split = leave_last_out(simulate(n_users=150, n_items=60, n_categories=4, n_clusters=2, mean_views=10, seed=2))
    v, src = code_embeddings(split, None, stand_in="svd", dim=8)
    assert v.shape == (60, 8) and set(src) == {"svd"}
    text = np.random.default_rng(0).standard_normal((60, 12)).astype(np.float32)
    has = np.arange(60) % 3 != 0
    v, src = code_embeddings(split, text, has, stand_in="svd", dim=8)
    assert v.shape == (60, 12) and np.array_equal(v[has], text[has])
    assert set(src[~has]) == {"svd (mapped to text space)"} and set(src[has]) == {"text"}
    with pytest.raises(ValueError, match="stand_in"):
        stand_in_embeddings(split, "ease")
