"""Notebooks 05 and 06 choose on validation: the fusion, the single encoder and the depth are the best on validation
even where test says otherwise; the summaries name what was chosen."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recnb.analysis import fusions, graphs
from recnb.evaluate import Evaluation, compare
from recnb.experiment import SeedRuns


def _ev(name: str, values: np.ndarray) -> Evaluation:
    users = np.arange(len(values))
    per_user = pd.DataFrame({"ndcg@10": values, "hr@10": (values > 0).astype(float), "mrr@10": values})
    return Evaluation(name, users, per_user, np.zeros((len(values), 10), dtype=np.int64), {})


def _runs(valid: dict[str, float], test: dict[str, float], n: int = 60) -> fusions.FusionRuns:
    rng = np.random.default_rng(0)
    noise = rng.uniform(-0.01, 0.01, n)
    valid_users = {m: _ev(m, np.clip(v + noise, 0, 1)) for m, v in valid.items()}
    return fusions.FusionRuns(test={m: _ev(m, np.clip(v + noise, 0, 1)) for m, v in test.items()},
                              valid={m: e.per_user["ndcg@10"].mean() for m, e in valid_users.items()},
                              valid_users=valid_users)


def test_fusion_and_single_encoder_are_chosen_on_validation_not_test():
    names = [*fusions.SINGLES.values(), *fusions.ALL_THREE]
    valid = {m: 0.1 for m in names} | {"seq (GRU)": 0.3, "gated": 0.4}
    test = {m: 0.2 for m in names} | {"ae (Mult-VAE)": 0.5, "cascade": 0.6}  # test would pick others
    runs = _runs(valid, test)
    assert fusions.choose(runs) == {"single": "seq (GRU)", "fusion": "gated"}
    base = {"pop": _ev("pop", np.full(60, 0.05))}
    table, verdict, chosen = fusions.compare_chosen(runs, base, n_boot=50)
    assert chosen["fusion"] == "gated" and set(table["b"]) == {"seq (GRU)", "pop"}
    assert "chosen on validation NDCG@10" in verdict and "2 comparisons" in verdict
    sel = fusions.fusion_selection_table(runs, n_boot=50)
    assert set(sel.loc[sel["chosen"], "model"]) == {"gated", "seq (GRU)"}
    assert sel["valid ndcg@10"].is_monotonic_decreasing
    assert "**gated**" in fusions.summary_lines(runs, base, table, chosen)


def test_kind_names_singles_pairs_and_all_three():
    assert fusions.kind("seq (GRU)") == "single encoder"
    assert fusions.kind("gated(ae+seq)") == "pair" and fusions.kind("cascade") == "all three"


def test_depth_sentence_reports_the_depth_chosen_on_validation():
    table = pd.DataFrame({"layers": [0, 2, 4], "valid ndcg@10": [0.1, 0.3, 0.2], "test ndcg@10": [0.5, 0.1, 0.4],
                          "user cosine (last layer)": [0.1, 0.3, 0.9], "best epoch": [3, 4, 5]})
    table["chosen"] = np.arange(3) == int(table["valid ndcg@10"].to_numpy().argmax())
    assert graphs.depth_sentence(table).startswith("**L = 2** is chosen on validation")


def test_graph_verdict_is_rendered_from_the_tables():
    evals = {"lightgcn": _ev("lightgcn", np.full(80, 0.3)), "gcn": _ev("gcn", np.linspace(0, 0.2, 80)),
             "bpr": _ev("bpr", np.full(80, 0.3))}
    tests, _ = compare(evals, "lightgcn", n_boot=50)
    runs = SeedRuns(valid={"lightgcn": 0.2, "lightgcn-bpr": 0.1})
    depth = pd.DataFrame({"layers": [0, 2], "valid ndcg@10": [0.1, 0.2], "test ndcg@10": [0.1, 0.2],
                          "user cosine (last layer)": [0.1, 0.2], "chosen": [False, True]})
    text = graphs.graph_verdict(tests, runs, depth, [])
    assert "significantly better than: gcn" in text and "within noise of: bpr" in text
    assert "softmax loss ranks better" in text and "**L = 2**" in text
