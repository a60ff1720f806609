"""Notebook 06's computations: encoders and fusions over seeds, the choice of the best fusion on validation, the
family of paired tests of the chosen one, and the shop section.

The encoders and fusions are the recipes of :mod:`recnb.recipes` (:func:`~recnb.recipes.fit_encoders`,
:func:`~recnb.recipes.fusion_variants`). Every model is evaluated on the validation and on the test targets; the
best single encoder and the best fusion are chosen on validation NDCG@10 and only then reported on test.
The score ensemble and the gate are fitted on validation targets, so their validation numbers are in-sample (an
optimistic reading that favours them in the choice); the test number of the chosen model is not affected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..evaluate.names import NDCG10, VALID_NDCG10
from .. import experiment
from ..experiment import SeedRuns
from ..data.split import Split
from ..evaluate import Evaluation, compare, evaluate, results_table
from ..modelcache import cached_fit
from ..models.base import Fitted, Recommender
from ..models.ease import restriction_note
from ..profile import Profile
from ..prose import best_by, listing, num
from ..recipes import SHOP_FUSIONS, fit_encoders, fusion_variants

SINGLES: dict[str, str] = {"ae": "ae (Mult-VAE)", "seq": "seq (GRU)", "graph": "graph (LightGCN)"}
"""Display names of the three single encoders."""
ALL_THREE: tuple[str, ...] = ("ensemble", "gated", "late", "late-ft", "cascade")
"""The fusions over all three encoders (the candidates of the choice)."""


def kind(name: str) -> str:
    """``single encoder``, ``pair`` (a fusion of two encoders, named like ``gated(ae+seq)``) or ``all three``."""
    return "single encoder" if name in SINGLES.values() else "pair" if "(" in name and "+" in name else "all three"


@dataclass(kw_only=True)
class FusionRuns(SeedRuns):
    """Results of :func:`fit_fusions` (:class:`~recnb.experiment.SeedRuns`: ``test``, ``valid``, ``valid_users``,
    ``per_seed`` with model, seed, valid and test NDCG@10, the first seed's ``models``), with ``timing`` (seconds
    per fit) and the first seed's ``encoders``."""

    timing: pd.DataFrame = field(default_factory=pd.DataFrame)
    encoders: dict[str, Recommender] = field(default_factory=dict)


def valid_ndcg(runs: SeedRuns, names: list[str] | tuple[str, ...] | None = None) -> pd.Series:
    """Validation NDCG@10 (mean over users and seeds) of ``names`` (default: every model)."""
    return pd.Series({n: runs.valid[n] for n in (names or list(runs.valid))})


def fit_fusions(split: Split, cfg: Profile, seeds: int, seed: int = 0, epochs: int = 50,
                encoder_epochs: int | None = None, progress: bool = True, shop: bool = False,
                **variant_kw: object) -> FusionRuns:
    """Fit the three encoders and every fusion of :func:`fusion_variants` for ``seeds`` seeds from ``seed``; evaluate
    each on the validation and the test targets. The encoders are :func:`~recnb.recipes.fit_encoders`'s (served by
    the model cache when notebooks 03-05 trained them on the same split; ``encoder_epochs`` caps them, ``None``:
    the profile's caps); ``epochs`` caps each trained fusion. ``variant_kw`` goes to :func:`fusion_variants` (``pairs``,
    ``finetune``, ``max_len``, ``cascade_batch``); the encoders read the same ``max_len`` when given. With ``shop``
    the encoders are the shop encoders (:func:`~recnb.recipes.shop_encoder`), whatever ``max_len``."""
    runs, per_seed, timing = FusionRuns(), [], []
    test_runs: dict[str, list[Evaluation]] = {}
    valid_runs: dict[str, list[Evaluation]] = {}
    enc_kw = {"max_len": variant_kw["max_len"]} if "max_len" in variant_kw and not shop else {}
    for s in range(seed, seed + seeds):
        encoders = fit_encoders(split, cfg, s, encoder_epochs, progress=progress, shop=shop, **enc_kw)
        timing.append({"seed": s, "model": "the three encoders",
                       "seconds": sum(m.fit_seconds_ for m in encoders.values())})
        fitted: dict[str, Fitted] = {SINGLES[k]: m for k, m in encoders.items()}
        for name, model in fusion_variants(encoders, epochs=epochs, seed=s, progress=progress, **variant_kw).items():
            fitted[name] = cached_fit(model, split)
            timing.append({"seed": s, "model": name, "seconds": fitted[name].fit_seconds_})
        for name, model in fitted.items():
            test_runs.setdefault(name, []).append(test := evaluate(model, split, name=name))
            valid_runs.setdefault(name, []).append(valid := evaluate(model, split, stage="valid", name=name))
            per_seed.append({"model": name, "seed": s, VALID_NDCG10: valid.per_user[NDCG10].mean(),
                             NDCG10: test.per_user[NDCG10].mean()})
        if s == seed:
            runs.models, runs.encoders = fitted, dict(encoders)
    runs.test = {n: experiment.mean_evaluation(r, n) for n, r in test_runs.items()}
    runs.valid_users = {n: experiment.mean_evaluation(r, n) for n, r in valid_runs.items()}
    runs.valid = {n: e.per_user[NDCG10].mean() for n, e in runs.valid_users.items()}
    runs.per_seed, runs.timing = pd.DataFrame(per_seed), pd.DataFrame(timing)
    return runs


def fusion_selection_table(runs: FusionRuns, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """One row per encoder and fusion: ``model``, ``kind``, ``valid ndcg@10`` (what choices read), the test metrics of
    :func:`results_table` with their 95% CIs (``ndcg@10``, ``ndcg@10 CI``, ...) and ``chosen`` (best on validation within its kind: single encoder or all three),
    sorted by validation NDCG@10."""
    test = results_table(list(runs.test.values()), n_boot=n_boot, seed=seed)
    table = test.assign(kind=test["model"].map(kind), **{VALID_NDCG10: test["model"].map(valid_ndcg(runs))})
    chosen = choose(runs)
    table["chosen"] = table["model"].isin(chosen.values())
    cols = ["model", "kind", VALID_NDCG10, *[c for c in test.columns if c != "model"], "chosen"]
    return table[cols].sort_values(VALID_NDCG10, ascending=False, ignore_index=True)


def choose(runs: FusionRuns, candidates: tuple[str, ...] = ALL_THREE) -> dict[str, str]:
    """``{"single": best single encoder, "fusion": best of ``candidates``}``, each by validation NDCG@10."""
    return {"single": best_by(valid_ndcg(runs, [n for n in SINGLES.values() if n in runs.valid])),
            "fusion": best_by(valid_ndcg(runs, [n for n in candidates if n in runs.valid]))}


def compare_chosen(runs: FusionRuns, baselines: dict[str, Evaluation], n_boot: int = 1000, seed: int = 0,
                   candidates: tuple[str, ...] = ALL_THREE) -> tuple[pd.DataFrame, str, dict[str, str]]:
    """The fusion chosen on validation against the single encoder chosen on validation and every baseline, one
    family of paired tests on test NDCG@10, Holm-adjusted (:func:`compare`). Returns ``(table, verdict, chosen)``."""
    chosen = choose(runs, candidates)
    evals = {**baselines, **runs.test}
    table, verdict = compare(evals, chosen["fusion"], others=[chosen["single"], *baselines], n_boot=n_boot, seed=seed,
                             chosen_on=f"validation NDCG@10 among {listing(c for c in candidates if c in runs.valid)}")
    single = (f"The single encoder compared with it, **{chosen['single']}**, is the best of the three on validation "
              f"NDCG@10 ({num(valid_ndcg(runs)[chosen['single']], 4)}).")
    return table, f"{verdict} {single}", chosen


def summary_lines(runs: FusionRuns, baselines: dict[str, Evaluation], tests: pd.DataFrame, chosen: dict[str, str],
                  candidates: tuple[str, ...] = ALL_THREE) -> str:
    """Markdown bullets closing the notebook: the fusions ranked on validation with their test numbers, the chosen
    single encoder and EASE on test, the chosen fusion's tests, and the learned fusions that beat the ensemble on
    validation."""
    valid, test = valid_ndcg(runs), pd.Series({n: e.per_user[NDCG10].mean() for n, e in runs.test.items()})
    ranked = [c for c in sorted(candidates, key=lambda c: -valid.get(c, -np.inf)) if c in runs.valid]
    learned = [c for c in ranked if c != "ensemble" and "ensemble" in valid and valid[c] > valid["ensemble"]]
    lines = ["- Fusions over all three encoders, ranked on validation NDCG@10 (test in brackets): "
             + ", ".join(f"{c} {num(valid[c], 4)} ({num(test[c], 4)})" for c in ranked) + ".",
             f"- Chosen on validation: **{chosen['fusion']}** (test {num(test[chosen['fusion']], 4)}); best single "
             f"encoder on validation: {chosen['single']} (test {num(test[chosen['single']], 4)})"
             + (f"; EASE on test: {num(baselines['ease'].per_user[NDCG10].mean(), 4)}." if "ease" in baselines else "."),
             *[f"- {v}" for v in tests["verdict"]],
             f"- Learned fusions above the simple ensemble on validation: {listing(learned) or 'none'}."]
    return "\n".join(lines)


def shop_fusions(name: str, split: Split, cfg: Profile, seed: int = 0
                 ) -> tuple[pd.DataFrame, pd.DataFrame, str, FusionRuns]:
    """Notebook 06's shop section: one seed of the shop encoders (:func:`~recnb.recipes.shop_encoder`) and the
    fusions over all three (:data:`~recnb.recipes.SHOP_FUSIONS`, each capped at ``cfg.shop_epochs``) on a shop
    split, the models notebook 07 reuses; the fusion is chosen on validation and tested against the single encoder
    chosen on validation and the baselines. Returns ``(results table, paired tests, verdict, runs)``."""
    base = experiment.baseline_evaluations(split, cfg, seed)
    runs = fit_fusions(split, cfg, 1, seed, epochs=cfg.shop_epochs, progress=False, shop=True, **SHOP_FUSIONS)
    candidates = tuple(c for c in ALL_THREE if c in runs.test)
    table = results_table([*base.values(), *runs.test.values()], n_boot=cfg.n_boot, seed=seed)
    table.insert(1, VALID_NDCG10, table["model"].map(valid_ndcg(runs)))
    tests, verdict, _ = compare_chosen(runs, base, cfg.n_boot, seed, candidates)
    note = restriction_note(split, cfg.ease_items)
    verdict += f" ({note})" if note else ""
    return table, tests, verdict, runs


__all__ = ["SINGLES", "ALL_THREE", "kind", "FusionRuns", "valid_ndcg", "fit_fusions", "fusion_selection_table", "choose", "compare_chosen",
           "summary_lines", "shop_fusions"]
