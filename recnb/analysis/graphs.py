"""Notebook 05's computations: graph variants over seeds, the depth sweep, the social-graph comparison, the verdict.

Each function returns tidy tables or evaluations; the notebook only displays them. Models are PyG-based
:class:`~recnb.models.graph.GraphRecommender` instances (the article's GCN layer, Kipf & Welling ICLR 2017; LightGCN,
He et al. SIGIR 2020). Every choice here reads validation: the depth is the one with the best validation NDCG@10,
the loss comparison reads the early-stopping (validation) score; test numbers are only reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..evaluate.names import NDCG10, VALID_NDCG10
from ..data.split import Split
from ..evaluate import Evaluation, activity_groups, by_group, compare, evaluate
from ..modelcache import cached_fit
from ..models.graph import GraphRecommender, mean_cosine
from ..profile import Profile
from ..prose import listing, num
from ..recipes import PATIENCE
from .. import experiment
from ..experiment import SeedRuns


def graph_variants(knn: sp.csr_matrix | None = None) -> dict[str, dict[str, object]]:
    """The section-2 line-up as ``GraphRecommender`` keyword arguments: the article's layer (``gcn``), LightGCN
    with the softmax and with the BPR loss, and (given ``knn``, an (n_users, n_users) relation) LightGCN + k-NN."""
    out: dict[str, dict[str, object]] = {"gcn": dict(conv="gcn", loss="ce"), "lightgcn": dict(conv="lightgcn", loss="ce"),
                                         "lightgcn-bpr": dict(conv="lightgcn", loss="bpr")}
    if knn is not None:
        out["lightgcn + knn"] = dict(conv="lightgcn", loss="ce", social=knn)
    return out


def fit_variants(split: Split, variants: dict[str, dict[str, object]], seeds: int, seed: int = 0, layers: int = 2,
                 dim: int = 64, epochs: int = 100, patience: int = PATIENCE["graph"], lr: float = 1e-2) -> SeedRuns:
    """Fit each variant of ``variants`` (name -> ``GraphRecommender`` kwargs) for ``seeds`` seeds from ``seed`` and
    evaluate on the test targets (:func:`recnb.experiment.run_seeds`). ``per_seed`` adds ``valid ndcg@10`` (the
    early-stopping score) and ``seconds per epoch``; ``valid`` is its mean over seeds."""
    runs, frames = SeedRuns(), []
    for name, kw in variants.items():
        ev, ps, ms = experiment.run_seeds(
            lambda s: GraphRecommender(layers=layers, dim=dim, lr=lr, max_epochs=epochs, patience=patience, seed=s,
                                       **kw), split, seeds, name, seed)
        frames.append(ps.assign(**{VALID_NDCG10: [m.fit_.best_score for m in ms],
                                   "seconds per epoch": ps["seconds"] / ms[0].fit_.history["epoch"].max()}))
        runs.test[name], runs.histories[name], runs.models[name] = ev, ms[0].fit_.history, ms[0]
    runs.per_seed = pd.concat(frames, ignore_index=True)
    runs.valid = runs.per_seed.groupby("model", sort=False)[VALID_NDCG10].mean().to_dict()
    return runs


def depth_sweep(split: Split, depths: tuple[int, ...], seed: int = 0, dim: int = 64, epochs: int = 100,
                patience: int = PATIENCE["graph"], lr: float = 1e-2) -> pd.DataFrame:
    """LightGCN at each number of layers in ``depths``: one row per depth with ``valid ndcg@10`` (early-stopping
    score, what the depth is chosen on), ``test ndcg@10``, ``user cosine (last layer)`` (:func:`mean_cosine`, the
    over-smoothing gauge) and ``best epoch``; ``chosen`` marks the depth with the best validation score."""
    rows = []
    for depth in depths:
        m = cached_fit(GraphRecommender(layers=depth, dim=dim, lr=lr, max_epochs=epochs, patience=patience, seed=seed),
                       split)
        e = evaluate(m, split, name=f"L={depth}")
        rows.append({"layers": depth, VALID_NDCG10: m.fit_.best_score, f"test {NDCG10}": e.per_user[NDCG10].mean(),
                     "user cosine (last layer)": mean_cosine(m.embeddings("test")[0]), "best epoch": m.fit_.best_epoch})
    table = pd.DataFrame(rows)
    table["chosen"] = np.arange(len(table)) == int(table[VALID_NDCG10].to_numpy().argmax())
    return table


def depth_sentence(table: pd.DataFrame) -> str:
    """The depth chosen on validation, its test NDCG@10, and the over-smoothing gauge at both ends of the sweep."""
    best = table[table["chosen"]].iloc[0]
    cos = table["user cosine (last layer)"]
    return (f"**L = {int(best['layers'])}** is chosen on validation NDCG@10 ({num(best[VALID_NDCG10], 4)}); its "
            f"test NDCG@10 is {num(best['test ndcg@10'], 4)}. The mean cosine of user embeddings goes from "
            f"{num(cos.iloc[0], 2)} at L = {int(table['layers'].iloc[0])} to {num(cos.iloc[-1], 2)} at "
            f"L = {int(table['layers'].iloc[-1])}.")


@dataclass
class SocialResult:
    """One social dataset's comparison: ``evals`` (baselines + LightGCN with and without the relation), ``groups``
    (NDCG@10 by user activity), ``tests`` (``all users`` and ``few interactions`` rows of :func:`compare`) and
    ``verdicts`` (the two computed sentences)."""

    name: str
    evals: dict[str, Evaluation]
    groups: pd.DataFrame
    tests: pd.DataFrame
    verdicts: dict[str, str]


def social_comparison(name: str, split: Split, relation: sp.csr_matrix, cfg: Profile, seed: int = 0, layers: int = 2,
                      dim: int = 64, epochs: int = 100, patience: int = PATIENCE["graph"]) -> SocialResult:
    """LightGCN trained with the user-user ``relation`` (beta = 1) and without it (beta = 0) on ``split``, same seeds;
    the relation model is tested against the plain one for all users and for the quarter with the fewest
    interactions (one paired test each, :func:`compare`; the reference was fixed in advance)."""
    evals = dict(experiment.baseline_evaluations(split, cfg, seed))
    for label, weight in [("lightgcn", 0.0), ("lightgcn+social", 1.0)]:
        evals[label], _, _ = experiment.run_seeds(
            lambda s: GraphRecommender(layers=layers, dim=dim, lr=1e-2, social=relation, social_weight=weight,
                                       max_epochs=epochs, patience=patience, seed=s), split, cfg.seeds, label, seed)
    groups = activity_groups(split, evals["lightgcn"].users)
    few = groups.to_numpy() == groups.cat.categories[0]
    fixed = "nothing: the question is fixed in advance"
    rows, verdicts = [], {}
    for who, keep in [("all users", np.ones(len(few), bool)), ("few interactions", few)]:
        sub = {k: evals[k].subset(keep) for k in ("lightgcn", "lightgcn+social")}
        table, verdicts[who] = compare(sub, "lightgcn+social", others=["lightgcn"], n_boot=cfg.n_boot, seed=seed,
                                       chosen_on=fixed)
        rows.append(table.assign(dataset=name, users=who))
    group_table = by_group({k: evals[k] for k in ("pop", "ease", "lightgcn", "lightgcn+social")}, groups)
    return SocialResult(name, evals, group_table, pd.concat(rows, ignore_index=True), verdicts)


def graph_verdict(tests: pd.DataFrame, runs: SeedRuns, depth: pd.DataFrame, social: list[SocialResult]) -> str:
    """Markdown bullets summarising the notebook from its computed tables: LightGCN's paired tests (``tests`` from
    :func:`compare`), the loss with the better validation score, the depth chosen on validation, and for each social
    dataset whether the relation helped."""
    sig = tests[tests["significant"]]
    better = listing(sig[sig["diff"] > 0]["b"]) or "none"
    worse = listing(sig[sig["diff"] < 0]["b"]) or "none"
    noise = listing(tests[~tests["significant"]]["b"]) or "none"
    lines = [f"- LightGCN (fixed in advance) is significantly better than: {better}; significantly worse than: {worse}; "
             f"within noise of: {noise} (Holm-adjusted over {len(tests)} comparisons)."]
    valid = runs.valid
    if {"lightgcn", "lightgcn-bpr"} <= set(valid):
        ce, bpr = valid["lightgcn"], valid["lightgcn-bpr"]
        lines.append(f"- On validation NDCG@10 the softmax loss scores {num(ce, 4)} and BPR {num(bpr, 4)}: the "
                     f"{'softmax' if ce >= bpr else 'BPR'} loss ranks better here.")
    lines.append(f"- {depth_sentence(depth)}")
    for r in social:
        for who, v in r.verdicts.items():
            lines.append(f"- {r.name}, {who}: {v}")
    return "\n".join(lines)


__all__ = ["graph_variants", "fit_variants", "depth_sweep", "depth_sentence", "SocialResult",
           "social_comparison", "graph_verdict"]
