"""The package functions behind notebooks 03 and 04: selection reads validation, the scaling verdict is computed
from the sweep, peer numbers arrive labelled, and the anomaly explanation finds a planted feature."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recnb.analysis.autoencoding import FeatureProfile, unusual_features
from recnb.analysis.cell_study import peer_numbers, size_verdict, cell_selection_table
from recnb.evaluate import Evaluation
from recnb.prose import winner_sentence


def _eval(name: str, ndcg: float, n: int = 50) -> Evaluation:
    per_user = pd.DataFrame({"ndcg@10": np.full(n, ndcg), "hr@10": np.full(n, min(1.0, 2 * ndcg))})
    return Evaluation(name, np.arange(n), per_user, np.zeros((n, 10), dtype=int), {})


def test_cell_selection_table_chooses_on_validation_not_on_test():
    valid = {"gru": _eval("gru", 0.05), "sasrec": _eval("sasrec", 0.03)}
    test = {"gru": _eval("gru", 0.02), "sasrec": _eval("sasrec", 0.09)}  # test would pick sasrec
    table = cell_selection_table(valid, test, n_boot=20)
    assert table.loc[0, "model"] == "gru"
    assert np.isclose(table.loc[0, "ndcg@10"], 0.02) and np.isclose(table.loc[0, "valid ndcg@10"], 0.05)
    assert winner_sentence(table, "ndcg@10").startswith("**gru**")


def _sweep(values: list[float]) -> pd.DataFrame:
    dims = [8, 16, 32, 64][: len(values)]
    return pd.DataFrame({"cell": "sasrec", "dim": dims, "parameters": [d * d * 10 for d in dims],
                         "valid ndcg@10": values})


def test_size_verdict_follows_the_sweep():
    params = np.array([640, 2560, 10240, 40960], float)
    rising = _sweep(list(0.01 * (params / params[0]) ** 0.2 * np.array([1.0, 1.01, 0.99, 1.0])))
    fits, sentence = size_verdict(rising, n_boot=200)
    assert fits.loc[0, "verdict"] == "supported" and fits.loc[0, "b low"] > 0 and "**supported**" in sentence
    peaked = _sweep([0.02, 0.04, 0.03, 0.025])
    fits, sentence = size_verdict(peaked, n_boot=200)
    assert fits.loc[0, "verdict"] == "not supported" and fits.loc[0, "best dim"] == 16
    two = _sweep([0.02, 0.03])
    fits, sentence = size_verdict(two, n_boot=200)
    assert fits.loc[0, "verdict"] == "undecided" and np.isnan(fits.loc[0, "b low"]) and "too few" in sentence


def test_peer_numbers_are_labelled_and_only_for_their_dataset():
    peers = peer_numbers("ml-100k")
    assert len(peers) and peers["label"].str.startswith("peer: ").all()
    assert peer_numbers("no-such-dataset").empty


def test_unusual_features_names_the_planted_feature():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(400, 3)), columns=["a", "b", "c"])
    X.loc[:19, "b"] += 8.0  # twenty users far out on b
    error = pd.Series(np.r_[np.full(20, 5.0), rng.uniform(0, 1, 380)], index=X.index)
    fp = FeatureProfile(X, X, None, np.zeros((400, 2)), error)  # type: ignore[arg-type]
    table, sentence = unusual_features(fp, share=0.05)
    assert table.index[0] == "b" and table.loc["b", "ratio"] > 2
    assert "in b," in sentence
