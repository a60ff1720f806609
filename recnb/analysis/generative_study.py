"""Notebook 10: generative recommendation over semantic IDs, scaling, and published numbers.

The models live in :mod:`recnb.models.semantic_ids`, :mod:`recnb.models.generative` and
:mod:`recnb.models.sequence`; the scaling grid in :mod:`recnb.analysis.scaling_law`. This module holds the
notebook's glue: the logs and their semantic IDs (a stand-in embedding where the items have no text), the model
family compared on one split, what each model was given and used, and this run beside :mod:`recnb.reference`.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import svds

from ..evaluate.names import HR10, NDCG10
from ..data.schema import Dataset
from ..data.split import Split
from ..models.generative import GenerativeRecommender
from ..models.semantic_ids import SemanticIds, code_embeddings, residual_kmeans
from ..models.sequence import SequenceRecommender
from ..profile import Profile
from ..reference import reference
from .text_study import Fits, validation_ndcg

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


def load_log(name: str, n_users: int = 0, seed: int = 0) -> tuple[Split, pd.DataFrame] | str:
    """The study's split of log ``name`` (:func:`recnb.experiment.prepare_dataset`) on a seeded sample of
    ``n_users`` users (:func:`user_sample`; 0 = all) and its item table, or the reason it is not on the data
    path (the loader's message), so that a notebook says so and skips it."""
    from ..data import load_dataset
    from ..experiment import prepare_dataset

    try:
        ds = load_dataset(name)
    except FileNotFoundError as err:
        return str(err)
    return prepare_dataset(user_sample(ds, n_users, seed)), ds.items


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
    given; else the item attributes (:func:`attribute_embeddings`) beside the co-consumption vector when
    ``items`` has an ``attributes`` column; else the co-consumption stand-in (SVD of the train matrix). The result's ``source`` says which."""
    if text is not None:
        vectors, where = code_embeddings(split, text)
        return residual_kmeans(vectors, codebook, seed=seed, item_source=where,
                               source="the MiniLM text embedding of each item's title, year and genres")
    if items is not None and "attributes" in items.columns:
        unit = lambda v: v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)  # noqa: E731
        attrs, (co, _) = attribute_embeddings(split, items, seed=seed), code_embeddings(split, None, seed=seed)
        return residual_kmeans(np.hstack([unit(attrs), unit(co)]), codebook, seed=seed,
                               source="a stand-in: the item's brand and category attributes (TF-IDF, truncated SVD "
                                      "to 64 dimensions) beside its co-consumption vector (truncated SVD of the train "
                                      "matrix, 64 dimensions), each scaled to unit length, since the S3-Rec files hold "
                                      "no item text; attributes alone leave most items sharing a tuple")
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


def item_category(split: Split, items: pd.DataFrame) -> tuple[np.ndarray, str]:
    """Each split item's category as an integer (-1 unknown) and the column it came from: ``category``
    (Amazon) or the first of ``genres`` (MovieLens); all -1 and ``"(none)"`` when the table has neither."""
    table = items.set_index("item_id")
    if "category" in table.columns:
        column, values = "category", table["category"].astype("string")
    elif "genres" in table.columns:
        column, values = "first genre", table["genres"].astype("string").str.split("|").str[0]
    else:
        return np.full(split.n_items, -1), "(none)"
    values = values.reindex(split.item_ids)
    codes, _ = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int64), column


def model_family(split: Split, ids: SemanticIds, cfg: Profile, seed: int = 0, text: np.ndarray | None = None,
                 fits: Fits | None = None, progress: bool = True) -> Fits:
    """The comparison of part 2 on one split, one seed: the generative model (``generative``, capped at
    ``cfg.gen_epochs``), SASRec (``sasrec``) and, with ``text``, SASRec + text (``sasrec+text``), both
    capped at ``cfg.gen_seq_epochs``, EASE (``ease``, ``cfg.ease_items``) and popularity (``pop``, the floor). Models already in ``fits``
    (for example part 1's, trained on the same split) are kept, not refitted."""
    from ..models.baselines import EASE, MostPopular
    from ..models.text import TextSequenceRecommender

    fits = fits or Fits()
    makers = {"sasrec": lambda: fit_sasrec(split, cfg.gen_seq_epochs, seed, progress),
              "ease": lambda: EASE(max_items=cfg.ease_items).fit(split), "pop": lambda: MostPopular().fit(split),
              "generative": lambda: fit_generative(split, ids, cfg.gen_epochs, cfg.gen_beam, seed, progress)}
    if text is not None:
        makers["sasrec+text"] = lambda: TextSequenceRecommender(text, id_embedding=True, max_epochs=cfg.gen_seq_epochs,
                                                                patience=5, seed=seed, progress=progress).fit(split)
    for name, make in makers.items():
        if name not in fits.test:
            model = make()
            fits.add(name, [model], split, [validation_ndcg(model, split)])
    return fits


def reuse(fits: Fits, names: tuple[str, ...], into: Fits | None = None) -> Fits:
    """``names`` of ``fits`` (those it has) added to ``into`` (a new :class:`~recnb.analysis.text_study.Fits`
    by default), which is returned."""
    out = into if into is not None else Fits()
    for name in names:
        if name in fits.test:
            out.test[name], out.valid[name], out.models[name] = fits.test[name], fits.valid[name], fits.models[name]
    return out


def amazon_left_out(split: Split, name: str, profile: str, logs: tuple[str, ...] = AMAZON) -> str:
    """Why the S3-Rec Amazon logs are not run in this profile, from values: each log's training cost per SASRec
    epoch relative to ``split``'s (:func:`~recnb.bench.flops.sasrec_flops`: the same model, their own users,
    positions and catalogues), or the loader's reason when a log is not on the data path."""
    from ..bench.flops import sasrec_flops, training_positions

    def cost(s: Split) -> float:
        return float(sasrec_flops(64, 2, 50, s.n_items, *training_positions(s, 50)))

    parts = []
    for log in logs:
        got = load_log(log)
        if isinstance(got, str):
            parts.append(f"`{log}` is not on the data path ({got})")
            continue
        s = got[0]
        parts.append(f"`{log}` ({s.n_users:,} users, {s.n_items:,} items): one SASRec epoch over every user is "
                     f"{cost(s) / cost(split):,.0f} times the training FLOPs of one on `{name}`")
    return (f"*The S3-Rec Amazon logs run in profile `gpu` (`python -m recnb report --profile gpu --device cuda "
            f"--only 10`), not in `{profile}`: " + "; ".join(parts) + ". Trained to early stopping on every user, with "
            "the generative model beside it, that is more than this notebook's budget on a CPU.*")


def first_seed(fits: Fits, names: tuple[str, ...], split: Split) -> Fits:
    """A new :class:`~recnb.analysis.text_study.Fits` with the **first seed's** model of each of ``names``
    (those ``fits`` has) evaluated alone on ``split``: a one-seed comparison with a one-seed model, where
    ``fits`` averaged several seeds."""
    out = Fits()
    for name in names:
        if name in fits.models:
            model = fits.models[name]
            out.add(name, [model], split, [validation_ndcg(model, split)])
    return out


def budget_table(fits: Fits, caps: dict[str, int]) -> pd.DataFrame:
    """What each trained model of ``fits`` was given and used: ``seeds`` (1: the models compared are one seed
    each), ``epoch cap``, ``best epoch`` (chosen on validation), ``epochs run``, ``seconds`` (its fit) and
    ``at cap`` (it ran to its cap without its patience running out: not converged). Models without a training
    loop (EASE) are left out."""
    rows = []
    for name, m in fits.models.items():
        fit = getattr(m, "fit_", None)
        if fit is None or name not in caps:
            continue
        rows.append({"model": name, "seeds": 1, "epoch cap": caps[name], "best epoch": int(fit.best_epoch),
                     "epochs run": len(fit.history), "seconds": round(float(fit.seconds), 1),
                     "at cap": not fit.stopped_early})
    return pd.DataFrame(rows)


def leaf_bias(model: GenerativeRecommender, cold: np.ndarray) -> dict[str, float]:
    """Mean learned bias of the last trie edge (the leaf that names the item) for cold items (never a training
    target) and for warm ones: the quantity that decides whether a never-seen item can win a beam."""
    last = model.edge_bias[-1].detach()
    pre = model.prefixes[1:, -1]
    code = model.codes[1:, -1]
    bias = last[pre, code].numpy()
    return {"cold": float(bias[cold].mean()), "warm": float(bias[~cold].mean())}


def published_table(runs: dict[str, dict[str, object]], profile: str, metrics: tuple[str, ...] = (HR10, NDCG10)
                    ) -> pd.DataFrame:
    """This run's test numbers beside the published ones (:func:`recnb.reference.reference`, source
    ``published``) on the same datasets. ``runs``: ``{dataset: {model: Evaluation}}``. One row per
    (dataset, model, metric) with ``value`` and ``label`` (``"this run (<profile> profile)"`` or the
    reference's ``"published: ..."``), and the reference's ``protocol``."""
    rows = []
    for dataset, evals in runs.items():
        for model, ev in evals.items():
            for metric in metrics:
                rows.append({"dataset": dataset, "model": model, "metric": metric,
                             "value": float(ev.per_user[metric].mean()), "label": f"this run ({profile} profile)",
                             "protocol": "this study: leave-last-out, full ranking, seen items masked"})
        ref = reference(dataset=dataset, source="published")
        ref = ref[ref["metric"].isin(metrics)]
        rows += ref[["dataset", "model", "metric", "value", "label", "protocol"]].to_dict("records")
    return pd.DataFrame(rows)


def published_gap(table: pd.DataFrame, dataset: str, model: str = "SASRec", ours: str = "sasrec",
                  metric: str = NDCG10) -> dict[str, float] | None:
    """This run's ``ours`` against the published ``model`` on ``dataset``: ``ours``, ``published``, ``ratio``
    (None when either is missing)."""
    t = table[(table["dataset"] == dataset) & (table["metric"] == metric)]
    mine = t[(t["model"] == ours) & t["label"].str.startswith("this run")]["value"]
    theirs = t[(t["model"] == model) & t["label"].str.startswith("published")]["value"]
    if mine.empty or theirs.empty:
        return None
    return {"ours": float(mine.iloc[0]), "published": float(theirs.iloc[0]),
            "ratio": float(mine.iloc[0] / theirs.iloc[0])}


__all__ = ["AMAZON", "user_sample", "load_log", "attribute_embeddings", "semantic_ids", "fit_sasrec", "fit_generative",
           "item_category", "model_family", "reuse", "amazon_left_out", "first_seed", "budget_table", "leaf_bias", "published_table",
           "published_gap"]
