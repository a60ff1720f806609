"""Shared experiment steps of the notebooks: prepared splits, cached baseline results, runs over seeds.

Settings come from a :class:`~recnb.profile.Profile`; which models are fitted is a recipe
(:mod:`recnb.recipes`). The baselines' per-user results are cached on disk (:func:`baseline_evaluations`).
"""

from __future__ import annotations

import copy
import pickle
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .evaluate.names import NDCG10
from .data import Dataset, load_dataset
from .data.fetch import processed_dir
from .data.preprocess import clean
from .data.split import Split, leave_last_out, random_holdout
from .evaluate import Evaluation, evaluate, evaluate_all
from .filelock import exclusive, write_atomic
from .modelcache import cached_fit, result_key
from .models.base import Fitted
from .models.graph import relation_matrix
from .profile import Profile
from .recipes import fit_baselines

NEW_ITEM_TARGETS: dict[str, str] = {
    "retailrocket": "the providers (SSLRec) held out one purchase per user of an item the user never touched "
                    "before, so validation targets are chosen the same way (a purchase of an item new to the "
                    "user) and the whole history is masked",
}
"""Datasets whose test targets are, by the provider's construction, items new to the user; their split
uses ``leave_last_out(..., new_items=True)`` so that the validation stage is like the test stage."""


def prepare(dataset: str, data_path: str | None = None, target: str | None = None,
            user_k: int = 5, item_k: int = 0) -> Split:
    """Load, clean (duplicates, missing values, rating range, ``user_k``-core) and split a dataset.

    ``target`` defaults to ``purchase`` on shop logs and to all events elsewhere (there the user core is 1:
    every user with a target counts). ``item_k`` > 0 also keeps only items with that many distinct users
    (a denser catalogue, for the softmax models on shop logs; the ledger counts what it removes).
    """
    ds = load_dataset(dataset, data_path=data_path or None, fetch=dataset == "ml-100k")
    return prepare_dataset(ds, target, user_k, item_k)


def prepare_dataset(ds: Dataset, target: str | None = None, user_k: int = 5, item_k: int = 0) -> Split:
    """:func:`prepare` for a :class:`~recnb.data.Dataset` already in memory (for example a simulated shop)."""
    if target is None and (ds.events["event"] == "purchase").any():
        target = "purchase"
    events, ledger = clean(ds.events, user_k=user_k if target is None else 1, item_k=item_k,
                           ranges={"rating": (1, 5)})
    ds = copy.copy(ds)  # the caller's dataset keeps its events
    ds.events = events
    split = leave_last_out(ds, target=target, new_items=ds.name in NEW_ITEM_TARGETS)
    info = {**split.info, "cleaning removed": int(ledger["removed"].sum())}
    if ds.name in NEW_ITEM_TARGETS:
        info["validation stage"] = NEW_ITEM_TARGETS[ds.name]
    return split.derive(info=info)


def prepare_social(dataset: str, data_path: str | None = None, seed: int = 0,
                   k: int = 5) -> tuple[Split, sp.csr_matrix, dict[str, int]]:
    """Load a dataset with user-user relations (Last.fm friends, Ciao trust), clean it (duplicates,
    missing values, rating range, ``k``-core of users and items), split it by a seeded random hold-out
    per user (there are no timestamps) and map its relations onto the split's users.

    Returns ``(split, relation (n_users, n_users) symmetric binary CSR, counts of kept/left-out edges)``.
    """
    ds = load_dataset(dataset, data_path=data_path or None)
    events, ledger = clean(ds.events, user_k=k, item_k=k, ranges={"rating": (1, 5)})
    ds.events = events
    split = random_holdout(ds, seed)
    split = split.derive(info={**split.info, "cleaning removed": int(ledger["removed"].sum())})
    relation, info = relation_matrix(split, ds.edges)
    return split, relation, info


def baseline_evaluations(split: Split, cfg: Profile, seed: int = 0, stage: str = "test",
                         models: dict[str, Fitted] | None = None, cache: bool = True) -> dict[str, Evaluation]:
    """Per-user results of the four baselines of :func:`~recnb.recipes.fit_baselines` on ``split`` (cached on
    disk; fitted when missing, or evaluated as given when ``models`` are passed already fitted)."""
    key = result_key(split, {"seed": seed, "bpr": cfg.bpr_epochs, "ease": cfg.ease_items, "stage": stage,
                             "name": split.name},
                     ("recnb.models.baselines", "recnb.models.ease", "recnb.recipes", "recnb.modelcache"))
    path = processed_dir() / "runs" / f"baselines-{split.name}-{key}.pkl"
    if not cache:
        return evaluate_all(models or fit_baselines(split, cfg, seed=seed), split, stage)
    with exclusive(path):  # a parallel notebook needing the same results waits for these
        if models is None and path.exists():
            with open(path, "rb") as f:
                return pickle.load(f)
        evals = evaluate_all(models or fit_baselines(split, cfg, seed=seed), split, stage)
        write_atomic(path, pickle.dumps(evals))
    return evals


@dataclass(kw_only=True)
class SeedRuns:
    """Models fitted over seeds on one split and evaluated: the one result type of every study.

    Attributes:
        test: per-user test results per model (metrics averaged over the seeds, :func:`mean_evaluation`).
        valid: mean over the seeds of each model's validation NDCG@10 (what choices read).
        valid_users: per-user validation results per model (averaged over the seeds), for studies that test
            differences on validation; empty where a study only needs ``valid``.
        per_seed: one row per model and seed (:func:`run_seeds`).
        models, histories: the first seed's fitted model and training history per model.
    A study's container adds the fields it needs (a fusion's encoders, a shop's purchases-only results).
    """

    test: dict[str, Evaluation] = field(default_factory=dict)
    valid: dict[str, float] = field(default_factory=dict)
    valid_users: dict[str, Evaluation] = field(default_factory=dict)
    per_seed: pd.DataFrame = field(default_factory=pd.DataFrame)
    models: dict[str, Fitted] = field(default_factory=dict)
    histories: dict[str, pd.DataFrame] = field(default_factory=dict)


def run_seeds(make: Callable[[int], Fitted], split: Split, seeds: int, name: str, seed0: int = 0,
              ) -> tuple[Evaluation, pd.DataFrame, list[Fitted]]:
    """Fit ``make(seed)`` for ``seeds`` consecutive seeds and evaluate each on the test targets.

    Returns ``(evaluation, per_seed, models)``: ``evaluation`` holds the per-user metrics averaged over the
    seeds (so CIs and paired tests use every run; top-k lists are the first seed's), ``per_seed`` one row
    per seed (seed, metrics, best epoch, seconds to the best validation score).
    """
    evals, rows, models = [], [], []
    for s in range(seed0, seed0 + seeds):
        model = cached_fit(make(s), split)
        e = evaluate(model, split, name=name)
        fit = getattr(model, "fit_", None)
        rows.append({"model": name, "seed": s, **e.per_user.mean().to_dict(),
                     "best epoch": getattr(fit, "best_epoch", np.nan),
                     "seconds to best": getattr(fit, "seconds_to_best", np.nan),
                     "seconds": getattr(fit, "seconds", np.nan)})
        evals.append(e)
        models.append(model)
    return mean_evaluation(evals, name), pd.DataFrame(rows), models


def mean_evaluation(evals: list[Evaluation], name: str | None = None) -> Evaluation:
    """Per-user metrics averaged over runs on the same users (seeds), so CIs and paired tests use every
    run; top-k lists and beyond-accuracy figures are the first run's."""
    first = evals[0]
    for e in evals[1:]:
        if not np.array_equal(e.users, first.users):
            raise ValueError(f"mean_evaluation: {e.model!r} was evaluated on other users than {first.model!r}")
    mean = sum(e.per_user for e in evals) / len(evals)
    return Evaluation(name or first.model, first.users, mean, first.topk, first.beyond)


def seed_spread(per_seed: pd.DataFrame, metric: str = NDCG10) -> pd.DataFrame:
    """Mean and standard deviation over seeds of ``metric`` per model."""
    g = per_seed.groupby("model")[metric]
    return pd.DataFrame({f"{metric} mean over seeds": g.mean(), "std": g.std(ddof=0), "seeds": g.size()})


def floor_check(evals: dict[str, Evaluation], split: Split, models: dict[str, object] | None = None,
                n_boot: int = 1000, seed: int = 0, pop: str = "pop", stage: str = "test") -> tuple[pd.DataFrame, str]:
    """The study's floor rule, "a number at chance is not a finding", checked from values.

    For each model evaluated on ``stage``: its NDCG@10 against a random ranking (the tie-aware expectation,
    :class:`~recnb.models.cold.RandomRanker`) and, for every model but ``pop`` itself, against ``pop`` when it
    was evaluated, with paired tests (:func:`~recnb.evaluate.compare`, Holm within each model's comparisons).
    Against random, "above" reads the paired bootstrap CI of the mean difference alone: the random ranking
    gives every user the same tiny NDCG, so on a sparse log, where most users' lists miss, each miss is a
    small loss and the signed-rank test weighs their number against the hits' size (a question about the
    median, not the mean). The table also says whether each stopped at its epoch cap (``at cap``, read off
    ``models[name].fit_``: its budget, not the model, may be what the number measures). Returns the table (one row per model: ``ndcg@10``, ``above
    random``, ``below pop``, ``at cap``) and one Markdown sentence: which models clear the floor, and for each
    that does not, whether its budget ran out (then the number is not a finding) or not (then it is one)."""
    from .evaluate import compare
    from .models.cold import RandomRanker

    pool = {**evals, "random": evaluate(RandomRanker().fit(split), split, stage, name="random")}
    rows = []
    for name, ev in evals.items():
        others = ["random"] + ([pop] if pop in evals and name != pop else [])
        t = compare(pool, name, others=others, n_boot=n_boot, seed=seed)[0].set_index("b")
        fit = getattr((models or {}).get(name), "fit_", None)
        rows.append({"model": name, NDCG10: float(ev.per_user[NDCG10].mean()),
                     "above random": bool(t.loc["random", "ci_low"] > 0),
                     "below pop": bool(pop in t.index and t.loc[pop, "significant"] and t.loc[pop, "diff"] < 0),
                     "at cap": bool(fit is not None and not fit.stopped_early)})
    out = pd.DataFrame(rows)
    ok = out["above random"] & ~out["below pop"]
    clear = out[ok]["model"].tolist()
    bar = "a random ranking" + (f" and not significantly below {pop}" if pop in evals else "")
    parts = [f"{len(clear)} of {len(out)} models are significantly above {bar}"
             + (f" ({', '.join(clear)})." if clear else ".")]
    for _, r in out[~ok].iterrows():
        at_chance = not r["above random"]
        why = "not significantly above a random ranking" if at_chance else f"significantly below {pop}"
        cause = ("it stopped at its epoch cap, so this number measures its budget, not the model: it is not a finding"
                 if r["at cap"] else "it was not cut short by a budget (early-stopped on validation, or not trained "
                 "by epochs), so this is a finding about this log: "
                 + ("its targets are not predictable this way" if at_chance else f"it ranks this log's targets below {pop}"))
        parts.append(f"**{r['model']}** is {why}; {cause}.")
    return out, " ".join(parts)


def above_floor(evals: dict[str, Evaluation], floor: pd.DataFrame) -> tuple[dict[str, Evaluation], str]:
    """The evaluations of the models that :func:`floor_check`'s table ``floor`` finds significantly above a
    random ranking (what a notebook records among the run's results), and one sentence naming those left out
    ("" when none is)."""
    keep = set(floor.loc[floor["above random"], "model"])
    out = [name for name in evals if name not in keep]
    return ({k: e for k, e in evals.items() if k in keep},
            f"Not recorded among this run's results, being at chance: {', '.join(out)}." if out else "")


def available_shops(data_path: str | None = None) -> list[str]:
    """The shop datasets (Taobao, Retailrocket) present on the search path."""
    from .data import locate

    return [s for s in ("taobao", "retailrocket") if locate(s, data_path or None) is not None]


__all__ = ["NEW_ITEM_TARGETS", "SeedRuns", "prepare", "prepare_dataset", "prepare_social", "baseline_evaluations",
           "floor_check", "above_floor", "run_seeds", "mean_evaluation", "seed_spread", "available_shops"]
