"""Notebook 12: the article's encoders on the standard sequential benchmarks, beside the published tables.

The S3-Rec Amazon files (Zhou et al., CIKM 2020; Sports and Toys) are the logs of a long line of papers: each
user's last item is the test target, the one before it the validation target, and every item of the catalogue
is ranked. This module fits one line-up (:func:`line_up`) on such a file, the same recipe on every file, over
the profile's seeds (:func:`fit_benchmark`), chooses on validation NDCG@10 only (:func:`choose`) and sets this
run beside the published rows of :mod:`recnb.reference`, with the sentences the notebook closes with.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import experiment
from ..contract import FILE_SOURCES
from ..data.split import Split
from ..evaluate import compare, evaluate
from ..evaluate.names import HR10, NDCG10, VALID_NDCG10
from ..experiment import SeedRuns
from ..modelcache import cached_fit
from ..models.base import Fitted
from ..models.autoencoder import MultVAE
from ..models.baselines import EASE, MostPopular
from ..models.fusion import ScoreEnsemble
from ..models.graph import GraphRecommender
from ..models.sequence import SequenceRecommender
from ..profile import Profile
from ..prose import best_by, count, listing, num
from ..recipes import SHOP, fusion_variants
from ..reference import reference
from .generative_study import user_sample
from .text_study import fits_table

ENCODERS: dict[str, str] = {"ae": "multvae", "seq": "gru", "graph": "lightgcn"}
"""The article's three encoders (:data:`recnb.recipes.ENCODERS`) by their name in this notebook."""
SINGLES = ("ease", "sasrec", "gru", "multvae", "lightgcn")
"""The single models that compete for "best recnb model" besides the fusions and the ensemble of all."""
ALL = "ensemble-all"
"""The name of the score ensemble over every single model of :data:`SINGLES`."""
ENSEMBLE_STEP = 0.2
"""Simplex-grid step of the ensemble of all (five weights: 126 mixtures tried on validation)."""
LAMBDAS = (100.0, 300.0, 1000.0)
"""EASE's λ grid here (chosen on validation): each λ is one Cholesky inverse of the item-item Gram matrix, about a
minute on 18,357 items on two cores, so the grid is three points a factor of three apart, and the notebook says
when the choice lands on an edge."""
FIT_USERS = 8000
"""Validation users the score ensembles and the gate are fitted on (a seeded sample on a larger log; every user
on ML-100K and on the shop logs of notebook 06, so their fusions are the same models)."""


def benchmark_logs(cfg: Profile, dataset: str, data_path: str = "", seed: int = 0
                   ) -> tuple[dict[str, Split], list[str]]:
    """The logs of the benchmark and the sentences a reader needs about them.

    A reader's own file (``dataset`` in :data:`~recnb.contract.FILE_SOURCES`) is the only log. Otherwise the
    profile's ``bench_datasets`` found on the data path; one that is missing is named with the loader's reason,
    and when none is found the notebook's own ``dataset`` stands in (said so). Each log is prepared by
    :func:`recnb.experiment.prepare_dataset` after :func:`~recnb.analysis.generative_study.user_sample` to
    ``cfg.bench_users`` users (0: every user); a sampled log is said so, with its consequence."""
    from ..data import load_dataset

    names = (dataset,) if dataset in FILE_SOURCES else cfg.bench_datasets
    notes, found = [], {}
    for name in names:
        try:
            ds = load_dataset(name, data_path=data_path or None, fetch=name == "ml-100k")
            found[ds.name] = ds  # a reader's file records under its own name (its split's), as in every notebook
        except FileNotFoundError as err:
            notes.append(f"`{name}` is not on the data path, so it is left out: {err}")
    if not found:
        ds = load_dataset(dataset, data_path=data_path or None, fetch=dataset == "ml-100k")
        found[ds.name] = ds
        notes.append(f"None of the benchmark files was found: the notebook runs on its own log `{dataset}`, "
                     f"for which no published row exists.")
    logs = {}
    for name, ds in found.items():
        users = int(ds.events["user_id"].nunique())
        logs[name] = experiment.prepare_dataset(user_sample(ds, cfg.bench_users, seed))
        if 0 < cfg.bench_users < users:
            notes.append(f"`{name}`: this run keeps a seeded sample of {count(cfg.bench_users, 'user')} of "
                         f"{users:,} (profile `{cfg.name}`); the catalogue shrinks with it and every number is "
                         f"easier or harder than on the whole file, so it is **not comparable** with the published "
                         f"rows. `make benchmark` runs every user.")
    return logs, notes


def line_up(split: Split, cfg: Profile, seed: int = 0, progress: bool = True) -> dict[str, Fitted]:
    """Every model of the benchmark on ``split``, fitted (through the model cache): ``pop``; ``ease`` (exact, in
    item space or user space, never restricted; λ of :data:`LAMBDAS`); ``sasrec`` and ``gru`` (full-softmax
    cross-entropy, item table tied to the output, capped at ``cfg.bench_seq_epochs``); ``multvae`` (the
    large-catalogue widths of :data:`~recnb.recipes.SHOP`) and ``lightgcn`` (as :func:`~recnb.recipes.encoder` makes
    it), capped at ``cfg.bench_epochs``; each trained model early-stopped on validation NDCG@10 (patience
    ``cfg.bench_patience``); the fusions of ``cfg.bench_fusions`` over Mult-VAE, GRU
    and LightGCN (:func:`~recnb.recipes.fusion_variants`, notebook 06's models); and :data:`ALL`, the score
    ensemble of every single model, weights chosen on validation."""
    models: dict[str, Fitted] = {"pop": cached_fit(MostPopular(), split),
                                 "ease": cached_fit(EASE(LAMBDAS, max_items=None), split)}
    patience = {"patience": cfg.bench_patience, "seed": seed, "progress": progress}
    models["sasrec"] = cached_fit(SequenceRecommender("sasrec", max_epochs=cfg.bench_seq_epochs, **patience), split)
    unfitted = {"ae": MultVAE(**{**SHOP["ae"], "max_epochs": cfg.bench_epochs, **patience}),
                "seq": SequenceRecommender("gru", max_epochs=cfg.bench_seq_epochs, **patience),
                "graph": GraphRecommender(dim=64, layers=2, lr=1e-2, max_epochs=cfg.bench_epochs, **patience)}
    encoders = {k: cached_fit(m, split) for k, m in unfitted.items()}
    models.update({ENCODERS[k]: m for k, m in encoders.items()})
    variants = fusion_variants(encoders, epochs=cfg.bench_epochs, seed=seed, pairs=False, finetune=False,
                               cascade="cascade" in cfg.bench_fusions, max_len=20, cascade_batch=128,
                               progress=progress, fit_users=FIT_USERS)
    for name in cfg.bench_fusions:
        models[name] = cached_fit(variants[name], split)
    models[ALL] = cached_fit(ScoreEnsemble({k: models[k] for k in SINGLES}, step=ENSEMBLE_STEP,
                                           fit_users=FIT_USERS, seed=seed), split)
    return models


@dataclass(kw_only=True)
class BenchRuns(SeedRuns):
    """:func:`fit_benchmark`'s results (:class:`~recnb.experiment.SeedRuns`) with ``budget``: one row per trained
    model and seed (cap, best epoch, epochs run, stopped early, seconds)."""

    budget: pd.DataFrame = field(default_factory=pd.DataFrame)


def fit_benchmark(split: Split, cfg: Profile, seed: int = 0, progress: bool = True) -> BenchRuns:
    """:func:`line_up` for ``cfg.bench_seeds`` seeds from ``seed``, every model evaluated on the validation and
    the test targets; per-user metrics averaged over the seeds (:func:`~recnb.experiment.mean_evaluation`)."""
    runs, test, valid, per_seed, budget = BenchRuns(), {}, {}, [], []
    for s in range(seed, seed + cfg.bench_seeds):
        models = line_up(split, cfg, s, progress)
        for name, model in models.items():
            test.setdefault(name, []).append(t := evaluate(model, split, name=name))
            valid.setdefault(name, []).append(v := evaluate(model, split, stage="valid", name=name))
            per_seed.append({"model": name, "seed": s, VALID_NDCG10: v.per_user[NDCG10].mean(),
                             NDCG10: t.per_user[NDCG10].mean()})
            fit = getattr(model, "fit_", None)
            if fit is not None and len(fit.history):
                budget.append({"model": name, "seed": s, "cap": getattr(model, "max_epochs", np.nan),
                               "best epoch": fit.best_epoch, "epochs run": len(fit.history),
                               "stopped early": fit.stopped_early, "seconds": round(fit.seconds, 1)})
        if s == seed:
            runs.models = models
    runs.test = {n: experiment.mean_evaluation(r, n) for n, r in test.items()}
    runs.valid_users = {n: experiment.mean_evaluation(r, n) for n, r in valid.items()}
    runs.valid = {n: float(e.per_user[NDCG10].mean()) for n, e in runs.valid_users.items()}
    runs.per_seed, runs.budget = pd.DataFrame(per_seed), pd.DataFrame(budget)
    return runs


def choose(runs: SeedRuns, fusions: tuple[str, ...]) -> dict[str, str]:
    """By validation NDCG@10 only: ``best`` (every model but popularity), ``single`` (the best of
    :data:`SINGLES`) and ``fusion`` (the best of ``fusions``)."""
    valid = pd.Series(runs.valid)
    return {"best": best_by(valid.drop("pop")), "single": best_by(valid[list(SINGLES)]),
            "fusion": best_by(valid[[f for f in fusions if f in valid]])}


def published_table(log: str, runs: SeedRuns, chosen: dict[str, str], n_boot: int, seed: int = 0,
                    profile: str = "benchmark") -> pd.DataFrame:
    """The best recnb model (chosen on validation), SASRec and the chosen fusion with their test NDCG@10 and HR@10
    and 95% CIs, beside every published row of :mod:`recnb.reference` for ``log``, each labelled (``this run
    (<profile> profile)`` or ``published: ...``) with its protocol."""
    rows = []
    for role, model in (("best recnb model", chosen["best"]), ("SASRec", "sasrec"), ("fusion", chosen["fusion"])):
        s = runs.test[model].summary(n_boot, seed).set_index("metric")
        rows.append({"model": f"{model} ({role})", "label": f"this run ({profile} profile)",
                     **{m: s.loc[m, "mean"] for m in (NDCG10, HR10)},
                     f"{NDCG10} CI": f"[{s.loc[NDCG10, 'ci_low']:.4f}, {s.loc[NDCG10, 'ci_high']:.4f}]",
                     "protocol": "leave-one-out, full ranking over the catalogue, seen items masked"})
    ref = reference(dataset=log, source="published")
    ref = ref[ref["metric"].isin((NDCG10, HR10))]
    if len(ref):
        wide = ref.pivot_table(index=["model", "label", "protocol"], columns="metric", values="value",
                               aggfunc="first").reset_index()
        rows += wide.assign(**{f"{NDCG10} CI": "published point"}).to_dict("records")
    return pd.DataFrame(rows).drop_duplicates("model", ignore_index=True)


def published_verdict(log: str, runs: SeedRuns, best: str, n_boot: int, seed: int = 0) -> str:
    """One sentence: the best recnb model's test NDCG@10 (95% CI) against the strongest published NDCG@10 on
    ``log``: above it (the whole CI above), below it (the whole CI below) or not distinguishable."""
    ref = reference(dataset=log, metric=NDCG10, source="published")
    if ref.empty:
        return f"No published full-ranking row exists for `{log}` in `recnb.reference`, so there is nothing to beat."
    top = ref.loc[ref["value"].idxmax()]
    s = runs.test[best].summary(n_boot, seed).set_index("metric").loc[NDCG10]
    where = ("above" if s["ci_low"] > top["value"] else "below" if s["ci_high"] < top["value"]
             else "not distinguishable from")
    return (f"On `{log}` the best recnb model on validation, **{best}**, reaches test NDCG@10 {num(s['mean'], 4)} "
            f"[{num(s['ci_low'], 4)}, {num(s['ci_high'], 4)}]: **{where}** the strongest published number in the "
            f"table, {top['model']}'s {num(top['value'], 4)} ({top['label']}).")


def fusion_verdict(log: str, runs: SeedRuns, chosen: dict[str, str], n_boot: int, seed: int = 0) -> str:
    """Whether the article's fusion earns its complexity on ``log``: the fusion chosen on validation against
    the best single model chosen on validation, one paired test on test NDCG@10 (:func:`~recnb.evaluate.compare`)."""
    _, verdict = compare(runs.test, chosen["fusion"], others=[chosen["single"]], n_boot=n_boot, seed=seed,
                         chosen_on="validation NDCG@10 among the fusions")
    return f"**{log}**: {verdict}"


def holm_table(runs: SeedRuns, best: str, n_boot: int, seed: int = 0) -> tuple[pd.DataFrame, str]:
    """Paired tests of the best recnb model against every other model, one family, Holm-adjusted."""
    return compare(runs.test, best, n_boot=n_boot, seed=seed, chosen_on="validation NDCG@10 among every model "
                   f"but popularity ({listing(m for m in runs.test if m != 'pop')})")


def seed_note(cfg: Profile) -> str:
    """What the seeds of this profile are, in words."""
    return (f"Every trained model is fitted with {count(cfg.bench_seeds, 'seed')} (profile `{cfg.name}`)"
            + ("; three seeds per model run in profile `gpu` (`--device cuda`), where the budget allows them."
               if cfg.bench_seeds < 3 else "."))


__all__ = ["ALL", "BenchRuns", "ENCODERS", "ENSEMBLE_STEP", "FIT_USERS", "LAMBDAS", "SINGLES", "benchmark_logs", "choose",
           "fit_benchmark", "fusion_verdict", "holm_table", "line_up", "published_table", "published_verdict",
           "fits_table", "seed_note"]
