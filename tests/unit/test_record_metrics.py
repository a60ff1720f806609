"""record_metrics: one call records each model's mean metrics, from evaluations or from a results table."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from recnb import env
from recnb.evaluate import Evaluation, results_table
from recnb.report import record_metrics


def _eval(name: str, ndcg: list[float]) -> Evaluation:
    per_user = pd.DataFrame({"ndcg@10": ndcg, "hr@10": [1.0] * len(ndcg), "mrr@10": [0.5] * len(ndcg)})
    return Evaluation(name, np.arange(len(ndcg)), per_user, np.zeros((len(ndcg), 10), dtype=int), {})


def test_record_metrics_from_evaluations_and_from_a_table(tmp_path, monkeypatch):
    out = tmp_path / "records.jsonl"
    monkeypatch.setenv(env.RECORD_FILE, str(out))
    evals = {"pop": _eval("pop", [0.0, 0.2]), "ease": _eval("ease", [0.4, 0.6])}
    got = record_metrics("ds", evals)
    assert got == {"ds/pop/ndcg@10": pytest.approx(0.1), "ds/pop/hr@10": 1.0, "ds/pop/mrr@10": 0.5,
                   "ds/ease/ndcg@10": pytest.approx(0.5), "ds/ease/hr@10": 1.0, "ds/ease/mrr@10": 0.5}
    table = results_table(list(evals.values()), n_boot=10)
    assert record_metrics("t", table, metrics=("ndcg@10",)) == {"t/ease/ndcg@10": pytest.approx(0.5),
                                                                "t/pop/ndcg@10": pytest.approx(0.1)}
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["name"] for x in lines][:2] == ["ds/pop/ndcg@10", "ds/pop/hr@10"] and len(lines) == 8
    with pytest.raises(ValueError, match="not a finite number"):
        record_metrics("bad", {"x": _eval("x", [float("nan")])})
