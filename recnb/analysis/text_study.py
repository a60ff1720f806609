"""Notebook 09: what a pretrained sentence encoder reading the items buys a recommender.

The models live in :mod:`recnb.models.text`, :mod:`recnb.models.cold` and :mod:`recnb.models.fusion`, the
cold-item protocol in :mod:`recnb.analysis.cold_items`; this module holds the notebook's glue: a look at the
embedding space, the three SASRec variants (:data:`SEQUENCE_VARIANTS`) and the cold-item study.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pandas as pd
import torch

from ..evaluate.names import NDCG10, VALID_NDCG10
from ..data.schema import Dataset
from ..data.split import Split
from ..evaluate import Evaluation, bootstrap_ci, evaluate, results_table
from ..experiment import SeedRuns, mean_evaluation
from ..models.baselines import EASE
from ..models.sequence import SequenceRecommender
from ..models.text import NO_TEXT, TextSequenceRecommender, TextZeroShot, dataset_texts
from ..profile import Profile
from ..models.cold import PopularityByGenre, RandomRanker, genre_matrix
from ..models.fusion import Hybrid
from .cold_items import ColdItems, cold_items, target_is_cold

ZEROSHOT_DECAYS = (0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.97, 1.0)
"""Recency decays the zero-shot model chooses from on validation (down to "the last item alone")."""

SEQUENCE_VARIANTS = ("sasrec", "sasrec+text", "sasrec-textonly")
"""ID-only SASRec, ID + projected text, text only (no per-item parameter)."""

COLD_SEEDS = 1
"""Seeds of the SASRec variants on the cold task (one draw of cold items: the notebook's budget holds one seed)."""


def text_subset(ds: Dataset, max_items: int) -> Dataset:
    """``ds`` restricted to the events of its ``max_items`` items with the most distinct users (ties by
    item id); ``max_items`` <= 0 returns ``ds`` unchanged. The item table is cut the same way."""
    if max_items <= 0:
        return ds
    users = ds.events.groupby("item_id")["user_id"].nunique()
    order = users.reset_index().sort_values(["user_id", "item_id"], ascending=[False, True], kind="stable")
    keep = order["item_id"].head(max_items).to_numpy()
    out = copy.copy(ds)
    out.events = ds.events[ds.events["item_id"].isin(keep)].reset_index(drop=True)
    out.items = ds.items[ds.items["item_id"].isin(keep)].reset_index(drop=True)
    return out


def nearest_titles(emb: np.ndarray, split: Split, texts: pd.Series, anchors: np.ndarray, k: int = 5) -> pd.DataFrame:
    """The ``k`` nearest items by text cosine of each anchor (split item indices): one column per anchor
    (its text as header), one row per rank. ``emb``: (n_items, d) unit-norm, in the split's order."""
    e = torch.as_tensor(emb, dtype=torch.float32)
    sim = e[torch.as_tensor(anchors)] @ e.T
    sim[torch.arange(len(anchors)), torch.as_tensor(anchors)] = -torch.inf
    top = sim.topk(k, dim=1).indices.numpy()
    text = texts.loc[split.item_ids].to_numpy()
    return pd.DataFrame(text[top].T, columns=text[np.asarray(anchors)], index=pd.RangeIndex(1, k + 1, name="rank"))


def text_map(emb: np.ndarray, split: Split, items: pd.DataFrame) -> pd.DataFrame:
    """A 2-D map of the embeddings: the first two principal components (``x``, ``y``), with each item's
    first listed genre (``genre``; ``"(none)"`` without one) and its train users (``users``)."""
    e = torch.as_tensor(emb, dtype=torch.float64)
    e = e - e.mean(0)
    _, _, v = torch.linalg.svd(e, full_matrices=False)
    xy = (e @ v[:2].T).numpy()
    if "genres" in items.columns:
        g = items.set_index("item_id")["genres"].astype("string").reindex(split.item_ids)
        genre = g.str.split("|").str[0].fillna("(none)").to_numpy(dtype=object)
    else:
        genre = np.full(split.n_items, "(none)", dtype=object)
    return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "genre": genre, "users": split.item_popularity()})


def overlap_summary(overlap: pd.DataFrame, n_boot: int = 1000, seed: int = 0) -> dict[str, float]:
    """Mean of :func:`~recnb.models.text.neighbour_overlap`'s ``overlap`` with its 95% bootstrap CI over
    items, the chance level and the number of items (``mean``, ``ci_low``, ``ci_high``, ``chance``, ``items``)."""
    lo, hi = bootstrap_ci(overlap["overlap"].to_numpy(), n_boot, seed)
    return {"mean": float(overlap["overlap"].mean()), "ci_low": lo, "ci_high": hi,
            "chance": float(overlap["chance"].iloc[0]), "items": len(overlap)}


@dataclass(kw_only=True)
class Fits(SeedRuns):
    """Fitted models and their evaluations on one split (:class:`~recnb.experiment.SeedRuns`: ``test``,
    ``valid``, the first seed's ``models``), filled model by model with :meth:`add`."""

    def add(self, name: str, fitted: list, split: Split, valid: list[float]) -> None:
        """Evaluate the seeds' fitted models of ``name`` on the test targets; ``valid``: their validation NDCG@10."""
        self.test[name] = mean_evaluation([evaluate(m, split, name=name) for m in fitted], name)
        self.valid[name] = float(np.mean(valid))
        self.models[name] = fitted[0]


def fits_table(fits: SeedRuns, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """One row per model: ``valid ndcg@10`` (what choices read) and the test metrics with their 95% CIs
    (:func:`~recnb.evaluate.results_table`), sorted by validation."""
    table = results_table(list(fits.test.values()), n_boot=n_boot, seed=seed)
    table.insert(1, VALID_NDCG10, table["model"].map(fits.valid))
    return table.sort_values(VALID_NDCG10, ascending=False).reset_index(drop=True)


def effect(table: pd.DataFrame, other: str) -> str:
    """How :func:`~recnb.evaluate.compare`'s reference stands against ``other``, in words from the row:
    ``significantly above`` / ``significantly below`` / ``within noise of``, with the difference."""
    row = table.set_index("b").loc[other]
    word = ("significantly above" if row["diff"] > 0 else "significantly below") if row["significant"] \
        else "within noise of"
    return f"{word} {other} (Δ {row['diff']:+.4f}, Holm-adjusted p = {row['p_holm']:.3g})"


def validation_ndcg(model: object, split: Split) -> float:
    """Validation NDCG@10 of a fitted model: its early-stopping best when it trained with one, else
    measured on ``split``'s validation targets."""
    fit = getattr(model, "fit_", None)
    if fit is not None:
        return float(fit.best_score)
    return float(evaluate(model, split, stage="valid").per_user[NDCG10].mean())


def sequence_variants(split: Split, emb: np.ndarray, cfg: Profile, seed: int = 0, fits: Fits | None = None,
                      progress: bool = True, seeds: int | None = None, **kwargs: object) -> Fits:
    """Fit the three :data:`SEQUENCE_VARIANTS` on ``split`` for ``seeds`` seeds (default ``cfg.seeds``; from
    ``seed``), each capped at ``cfg.text_seq_epochs`` epochs with early stopping on validation NDCG@10 and the
    sequence models' patience (:data:`recnb.recipes.PATIENCE`); adds them to ``fits`` (a new :class:`Fits` by
    default). ``kwargs`` go to every model (``dim``, ``max_len`` ...). Fits go through the model cache
    (:func:`~recnb.modelcache.cached_fit`): where the profile caps notebook 04's sequence models the same way,
    its ID-only SASRec on the same split is that notebook's fit, served."""
    from ..modelcache import cached_fit
    from ..recipes import PATIENCE

    fits = fits or Fits()
    common = {"max_epochs": cfg.text_seq_epochs, "patience": PATIENCE["seq"], "progress": progress, **kwargs}
    makers = {"sasrec": lambda s: SequenceRecommender("sasrec", seed=s, **common),
              "sasrec+text": lambda s: TextSequenceRecommender(emb, id_embedding=True, seed=s, **common),
              "sasrec-textonly": lambda s: TextSequenceRecommender(emb, id_embedding=False, seed=s, **common)}
    for name, make in makers.items():
        models = [cached_fit(make(s), split) for s in range(seed, seed + (cfg.seeds if seeds is None else seeds))]
        fits.add(name, models, split, [validation_ndcg(m, split) for m in models])
    return fits


def best_epochs(fits: Fits, cap: int) -> str:
    """``sasrec: 6, ...`` best epoch (first seed) of every trained model of ``fits``, and a warning when one
    stopped at the epoch ``cap`` (still improving: its number holds for this budget only)."""
    epochs = {k: int(m.fit_.best_epoch) for k, m in fits.models.items() if getattr(m, "fit_", None) is not None}
    capped = [k for k, e in epochs.items() if e >= cap]
    text = f"Best epochs (cap {cap}): " + ", ".join(f"{k} {e}" for k, e in epochs.items()) + "."
    if capped:
        text += (f" **{', '.join(capped)} reached the cap while still improving on validation**: "
                 "their numbers hold for this training budget only (a larger profile trains longer).")
    return text


@dataclass
class ColdStudy:
    """One draw of cold items: the protocol (``items``), the cold task's fits (``cold``: text zero-shot,
    popularity-by-genre, random, the three SASRec variants) and the mixed catalogue's (``mixed``: EASE,
    text zero-shot, the ID + text hybrid with its weight chosen on validation)."""

    items: ColdItems
    cold: Fits
    mixed: Fits
    hybrid_weights: dict[float, float]


def cold_study(split: Split, emb: np.ndarray, items: pd.DataFrame, cfg: Profile, cold_seed: int = 0,
               seed: int = 0, share: float = 0.2, sequences: bool = True, progress: bool = True) -> ColdStudy:
    """Run the cold-item protocol of :func:`~recnb.analysis.cold_items.cold_items` for one draw
    (``cold_seed``) of ``share`` of the items. Every model is fitted on the split it is evaluated on, every
    choice inside (decay of the zero-shot model and of popularity-by-genre, epochs, the hybrid's weight) is
    made on that split's validation targets, whose histories are built as the test histories are.
    ``sequences=False`` skips the SASRec variants (they run for one seed otherwise: :data:`COLD_SEEDS`)."""
    ci = cold_items(split, share=share, seed=cold_seed)
    cold = Fits()
    genres, _ = genre_matrix(items, ci.cold_split)
    for name, model in (("text-zeroshot", TextZeroShot(emb, ZEROSHOT_DECAYS)), ("pop-genre", PopularityByGenre(genres, ZEROSHOT_DECAYS)),
                        ("random", RandomRanker())):
        model.fit(ci.cold_split)
        cold.add(name, [model], ci.cold_split, [validation_ndcg(model, ci.cold_split)])
    if sequences:
        sequence_variants(ci.cold_split, emb, cfg, seed, fits=cold, progress=progress, seeds=COLD_SEEDS)
    mixed = Fits()
    ease, text = (EASE(max_items=cfg.ease_items).fit(ci.mixed_split),
                  TextZeroShot(emb, ZEROSHOT_DECAYS).fit(ci.mixed_split))
    hybrid = Hybrid(ease, text).fit(ci.mixed_split)
    for name, model in (("ease", ease), ("text-zeroshot", text), ("ease+text", hybrid)):
        mixed.add(name, [model], ci.mixed_split, [validation_ndcg(model, ci.mixed_split)])
    return ColdStudy(ci, cold, mixed, dict(hybrid.scores_))


def split_by_target(evals: dict[str, Evaluation], study: ColdStudy) -> dict[str, dict[str, Evaluation]]:
    """The mixed catalogue's evaluations split by whether the user's test target is a cold item:
    ``{"warm target": {...}, "cold target": {...}}``."""
    is_cold = target_is_cold(study.items.cold, study.items.mixed_split)
    return {"warm target": {k: e.subset(~is_cold) for k, e in evals.items()},
            "cold target": {k: e.subset(is_cold) for k, e in evals.items()}}


def cold_seed_table(studies: list[ColdStudy], metric: str = NDCG10) -> pd.DataFrame:
    """Test ``metric`` of every cold-task model per draw of cold items (rows: models; columns: cold seeds,
    then the mean and the standard deviation over draws)."""
    frame = pd.DataFrame({s.items.seed: {k: e.per_user[metric].mean() for k, e in s.cold.test.items()}
                          for s in studies})
    frame.columns = [f"cold seed {c}" for c in frame.columns]
    return frame.assign(mean=frame.mean(axis=1), std=frame.std(axis=1, ddof=0))


def list_concentration(ev: Evaluation, k: int = 10) -> dict[str, float]:
    """How alike the users' top-``k`` lists of ``ev`` are: ``distinct``, the items over all lists, and ``top
    share``, the share of users whose list holds the most-listed item (1.0: that item is shown to everyone)."""
    items, counts = np.unique(ev.topk[:, :k], return_counts=True)
    return {"distinct": int(len(items)), "top share": float(counts.max() / max(len(ev.topk), 1)) if len(items) else 0.0}


def no_text_reasons() -> list[str]:
    """For every dataset known to have no item text, the error :func:`~recnb.models.text.dataset_texts`
    raises for it (the datasets need not be on disk)."""
    out = []
    for name in NO_TEXT:
        try:
            dataset_texts(SimpleNamespace(name=name))  # type: ignore[arg-type]
        except ValueError as err:
            out.append(str(err))
    return out


__all__ = ["ZEROSHOT_DECAYS", "SEQUENCE_VARIANTS", "COLD_SEEDS", "text_subset", "nearest_titles", "text_map", "overlap_summary", "Fits",
           "fits_table", "effect", "validation_ndcg", "sequence_variants", "best_epochs", "ColdStudy", "cold_study", "split_by_target", "cold_seed_table", "list_concentration", "no_text_reasons"]
