"""The experiments of notebook 04 (sequence models), as functions that return tidy tables.

Every choice here reads validation: the best cell, the best input set of the ablation and the best size of
the scaling sweep are chosen on validation NDCG@10 (:func:`recnb.evaluate.evaluate` with ``stage="valid"``);
test numbers are reported for what was chosen. The models are :class:`recnb.models.sequence.SequenceRecommender`
(vanilla RNN, GRU4Rec of Hidasi et al. ICLR 2016, LSTM, SASRec of Kang and McAuley ICDM 2018).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..evaluate.names import HR10, NDCG10, VALID_NDCG10
from ..data.split import Split
from ..evaluate import Evaluation, evaluate, power_law, results_table
from ..experiment import SeedRuns, baseline_evaluations, mean_evaluation, prepare, run_seeds
from ..modelcache import cached_fit
from ..models.sequence import SequenceRecommender
from ..profile import Profile
from ..prose import count, num
from ..recipes import SHOP, shop_encoder
from ..reference import reference
from .scaling_law import non_embedding_parameters

CELLS = ("rnn", "gru", "lstm", "sasrec")
"""The four cells of notebook 04, in the order the notebook introduces them."""

SHOP_BUDGET: dict[str, Any] = SHOP["seq"]
"""Settings and training budget of the GRU on a shop catalogue (:data:`recnb.recipes.SHOP`; a full softmax at every
position is costly there); notebooks 06 and 07 train the same GRU on shop logs."""

ABLATIONS: dict[str, dict[str, bool]] = {"item + event + gap": {}, "item + event": {"use_gap": False},
                                         "item only": {"use_gap": False, "use_event": False}}
"""Input sets of the ablation: keyword arguments of :class:`SequenceRecommender` that switch inputs off."""


def fit_cells(split: Split, seeds: int, seed: int = 0, cells: tuple[str, ...] = CELLS,
              **model_kw: Any) -> SeedRuns:
    """Fit every cell for ``seeds`` seeds (``model_kw``: dim, max_len, max_epochs, patience) and evaluate each
    on the test and validation targets (``test``, ``valid_users``, ``valid``). ``per_seed`` adds
    ``valid ndcg@10`` and ``seconds per epoch``."""
    test, valid, rows, hist, first = {}, {}, [], {}, {}
    for cell in cells:
        ev, ps, models = run_seeds(lambda s, c=cell: SequenceRecommender(c, seed=s, **model_kw), split, seeds, cell, seed)
        vals = [evaluate(m, split, stage="valid", name=cell) for m in models]
        test[cell], valid[cell] = ev, mean_evaluation(vals, cell)
        epochs = np.array([m.fit_.history["epoch"].max() for m in models], dtype=float)
        rows.append(ps.assign(**{VALID_NDCG10: [v.per_user[NDCG10].mean() for v in vals],
                                 "seconds per epoch": ps["seconds"].to_numpy() / np.maximum(epochs, 1)}))
        hist[cell], first[cell] = models[0].fit_.history, models[0]
    return SeedRuns(test=test, valid={c: float(e.per_user[NDCG10].mean()) for c, e in valid.items()},
                    valid_users=valid, per_seed=pd.concat(rows, ignore_index=True), histories=hist, models=first)


def cell_selection_table(valid: dict[str, Evaluation], test: dict[str, Evaluation], metric: str = NDCG10,
                         n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """One row per model: ``valid <metric>`` (the selection criterion) next to the test ``metric`` and its 95%
    CI, sorted by validation (the first row is the one chosen). Input of :func:`recnb.prose.winner_sentence`."""
    table = results_table([test[m] for m in valid], metrics=(metric, HR10), n_boot=n_boot, seed=seed)
    table.insert(1, f"valid {metric}", table["model"].map({m: e.per_user[metric].mean() for m, e in valid.items()}))
    return table.sort_values(f"valid {metric}", ascending=False, kind="stable").reset_index(drop=True)


def input_ablation(split: Split, seed: int = 0, cell: str = "gru", **model_kw: Any) -> pd.DataFrame:
    """The ``cell`` trained with each input set of :data:`ABLATIONS`. Columns: ``inputs``, ``valid ndcg@10``,
    ``ndcg@10``, ``hr@10`` (test), ``best epoch``."""
    rows = []
    for label, kw in ABLATIONS.items():
        m = cached_fit(SequenceRecommender(cell, seed=seed, **model_kw, **kw), split)
        v, t = evaluate(m, split, stage="valid", name=label), evaluate(m, split, name=label)
        rows.append({"inputs": label, VALID_NDCG10: v.per_user[NDCG10].mean(),
                     NDCG10: t.per_user[NDCG10].mean(), HR10: t.per_user[HR10].mean(),
                     "best epoch": m.fit_.best_epoch})
    return pd.DataFrame(rows)


def by_history_length(split: Split, evals: dict[str, Evaluation], metric: str = NDCG10,
                      groups: int = 4) -> pd.DataFrame:
    """Mean test ``metric`` of each model in ``evals`` by quantile group of the test users' history length
    (index: the length interval; one column per model, plus ``users``). All evaluations must share users."""
    first = next(iter(evals.values()))
    length = np.diff(split.history("test").indptr)[first.users]
    frame = pd.DataFrame({name: e.per_user[metric].to_numpy() for name, e in evals.items()})
    frame["history length"] = pd.qcut(length, groups, duplicates="drop")
    g = frame.groupby("history length", observed=True)
    return g.mean().assign(users=g.size())


def median_test_user(split: Split) -> int:
    """The user (index) with the median history length at the test stage."""
    lengths = np.diff(split.history("test").indptr)
    return int(np.argsort(lengths, kind="stable")[len(lengths) // 2])


def prefix_top_items(model: SequenceRecommender, split: Split, user: int, lengths: list[int],
                     titles: pd.Series | None = None, k: int = 5) -> pd.DataFrame:
    """The ``k`` items ``model`` ranks highest after the first ``n`` events of ``user``'s history, one column
    per ``n`` in ``lengths`` (cut at the history's length); items shown by ``titles`` (indexed by item id)
    when given, else by their original ids."""
    n_hist = int(np.diff(split.history("test").indptr)[user])
    lengths = sorted({min(n, n_hist) for n in lengths if n >= 1})
    top = model.prefix_scores(user, lengths).topk(k, dim=1).indices.numpy()
    names = titles if titles is not None else pd.Series(dtype=str)
    return pd.DataFrame({f"after {n} events": [str(names.get(split.item_ids[i], split.item_ids[i])) for i in row]
                         for n, row in zip(lengths, top)})


def scaling_sweep(split: Split, cells: tuple[str, ...], widths: tuple[int, ...], seed: int = 0,
                  **model_kw: Any) -> pd.DataFrame:
    """Each cell trained at each state size. Columns: ``cell``, ``dim``, ``parameters`` (non-embedding),
    ``valid loss`` (cross-entropy of the validation targets) and ``valid ndcg@10``."""
    rows = []
    for cell in cells:
        for w in widths:
            m = cached_fit(SequenceRecommender(cell, dim=w, heads=2 if w >= 16 else 1, seed=seed, **model_kw), split)
            rows.append({"cell": cell, "dim": w, "parameters": non_embedding_parameters(m),
                         "valid loss": m.target_loss(split, "valid"),
                         VALID_NDCG10: evaluate(m, split, stage="valid").per_user[NDCG10].mean()})
    return pd.DataFrame(rows)


def size_verdict(sweep: pd.DataFrame, metric: str = VALID_NDCG10, n_boot: int = 1000,
                 seed: int = 0) -> tuple[pd.DataFrame, str]:
    """Does size pay? Per cell: the power-law exponent ``b`` of ``metric`` against non-embedding parameters
    (``metric`` ∝ N^b, :func:`recnb.evaluate.power_law`) with a 95% bootstrap interval over the
    sizes, the size with the best ``metric`` and the verdict on the article's claim that bigger does better:
    ``supported`` (the largest size is best and the interval of ``b`` lies above 0), ``not supported`` (a
    smaller size is at least as good), ``undecided`` otherwise (with fewer than three sizes there is no
    interval, so the claim is never ``supported``). Returns ``(table, Markdown sentences)``."""
    rows, parts = [], []
    for cell, d in sweep.groupby("cell", sort=False):
        d = d.sort_values("parameters")
        x, y = d["parameters"].to_numpy(float), d[metric].to_numpy(float)
        # a bootstrap over two points only ever redraws the same line: no interval below three sizes
        law = power_law(x, y, n_boot=n_boot if len(d) >= 3 else 0, seed=seed) if len(d) >= 2 else {}
        b = law.get("b", float("nan"))
        low, high = (law["b_low"], law["b_high"]) if len(d) >= 3 else (float("nan"), float("nan"))
        best = d.loc[d[metric].idxmax()]
        largest_best = best["parameters"] == x.max()
        verdict = ("supported" if largest_best and low > 0 else
                   "not supported" if not largest_best else "undecided")
        rows.append({"cell": cell, "sizes": len(d), "exponent b": b, "b low": low, "b high": high,
                     "best dim": int(best["dim"]), "best parameters": int(best["parameters"]),
                     f"best {metric}": best[metric], "verdict": verdict})
        why = ("the largest size is best and the interval of b lies above 0" if verdict == "supported" else
               f"a smaller size (dim {int(best['dim'])}, {count(best['parameters'], 'parameter')}) does at least "
               f"as well as the larger ones" if verdict == "not supported" else
               "the largest size is best but the interval of b is missing or includes 0")
        interval = (f"95% bootstrap interval over {count(len(d), 'size')} [{num(low, 3)}, {num(high, 3)}]"
                    if np.isfinite(low) else f"{count(len(d), 'size')}: too few for an interval")
        parts.append(f"**{cell}**: {metric} ∝ N^b with b = {num(b, 3)} ({interval}); bigger-is-better is "
                     f"**{verdict}** on this data: {why}.")
    return pd.DataFrame(rows), " ".join(parts)


def peer_numbers(dataset: str) -> pd.DataFrame:
    """Peer-library numbers for ``dataset`` from :mod:`recnb.reference` (labelled, with their protocol and
    note): context measured elsewhere on another split, never this run's numbers."""
    peers = reference(dataset=dataset, source="peer")
    return peers[["label", "model", "metric", "value", "protocol", "note"]]


def shop_gru(shop: str, data_path: str | None, cfg: Profile, seed: int = 0
             ) -> tuple[pd.DataFrame, Evaluation, Split]:
    """Next purchase on a shop log: the baselines and a GRU (budget :data:`SHOP_BUDGET`) on the same split.
    Returns ``(results table, the GRU's evaluation, the split)``."""
    split = prepare(shop, data_path, target="purchase")
    base = baseline_evaluations(split, cfg, seed)
    gru = evaluate(cached_fit(shop_encoder("seq", cfg, seed), split), split, name="gru")
    return results_table([*base.values(), gru], n_boot=cfg.n_boot, seed=seed), gru, split


__all__ = ["ABLATIONS", "CELLS", "SHOP_BUDGET", "by_history_length", "fit_cells", "input_ablation",
           "peer_numbers", "prefix_top_items", "scaling_sweep", "size_verdict", "cell_selection_table", "shop_gru",
           "median_test_user"]
