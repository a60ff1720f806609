"""Holm-Bonferroni and compare(): the adjustment matches its definition; a family's verdict says how many
comparisons it corrected for, what the reference was chosen on, and finds a planted difference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recnb.evaluate import Evaluation, compare, holm, paired_verdict


def test_holm_matches_the_step_down_definition():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5])
    # sorted: .005*5=.025, .01*4=.04, .03*3=.09, .04*2=.08 -> .09 (monotone), .5*1=.5
    np.testing.assert_allclose(holm(p), [0.04, 0.09, 0.09, 0.025, 0.5])
    assert holm([0.3]).tolist() == [0.3] and holm([0.6, 0.7]).tolist() == [1.0, 1.0]
    rng = np.random.default_rng(0)
    q = rng.uniform(size=50)
    adj = holm(q)
    assert (adj >= q).all() and (adj <= 1).all()
    order = np.argsort(q)
    assert (np.diff(adj[order]) >= 0).all()  # the order of the p-values is kept
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        holm([0.1, 1.5])


def _eval(name: str, values: np.ndarray) -> Evaluation:
    return Evaluation(name, np.arange(len(values)), pd.DataFrame({"ndcg@10": values}), np.zeros((len(values), 1)), {})


def test_compare_finds_the_planted_difference_and_says_what_it_corrected_for():
    rng = np.random.default_rng(1)
    base = rng.uniform(size=400)
    evals = {"ref": _eval("ref", base + 0.2), "worse": _eval("worse", base),
             "same": _eval("same", base + 0.2 + rng.normal(0, 0.05, 400)), "also-same": _eval("also-same", base + 0.2)}
    table, verdict = compare(evals, "ref", n_boot=200, chosen_on="validation NDCG@10")
    assert list(table["b"]) == ["worse", "same", "also-same"]
    assert (table["p_holm"] >= table["p_wilcoxon"]).all()
    assert table.set_index("b")["significant"].to_dict() == {"worse": True, "same": False, "also-same": False}
    assert "Holm-adjusted for 3 comparisons" in verdict and "chosen on validation NDCG@10" in verdict
    assert "Significantly better than worse" in verdict and "Within noise of same" in verdict
    assert "Holm-adjusted p" in paired_verdict(table.iloc[0])
    one, v1 = compare(evals, "ref", others=["worse"], n_boot=200)
    assert len(one) == 1 and "for 1 comparison " in v1
    with pytest.raises(KeyError, match="nope"):
        compare(evals, "ref", others=["nope"])
