"""Notebook 12's pieces (issue 34): which notebooks a run selects, the bounded fitting sample of the fusions,
the mixture grid on a subset of users, and the published-number verdict in its three outcomes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recnb.analysis import benchmark as bm
from recnb.evaluate import Evaluation, evaluate
from recnb.evaluate.names import HR10, NDCG10
from recnb.evaluate.ranking import mixture_ndcg
from recnb.experiment import SeedRuns, prepare_dataset
from recnb.models.baselines import MostPopular
from recnb.models.fusion.common import FixedScores, fit_users, stacked_scores
from recnb.reference import reference
from recnb.report import SEPARATE, selected


def _folder(tmp_path: Path) -> Path:
    for n in ("01_a", "11_b", "12_benchmark"):
        (tmp_path / f"{n}.ipynb").write_text("{}")
    return tmp_path


def test_the_benchmark_runs_only_in_its_profile_or_when_asked(tmp_path):
    folder = _folder(tmp_path)
    names = lambda ps: [p.name[:2] for p in ps]  # noqa: E731
    assert SEPARATE["12"] == "benchmark"
    assert names(selected(folder, "full", None)) == ["01", "11"]
    assert names(selected(folder, "quick", None)) == ["01", "11"]
    assert names(selected(folder, "benchmark", None)) == ["12"]
    assert names(selected(folder, "quick", ["12"])) == ["12"]
    assert names(selected(folder, "benchmark", ["01", "12"])) == ["01", "12"]


def test_fit_users_is_everyone_on_a_small_log_and_a_seeded_sorted_sample_on_a_large_one():
    users = np.arange(100, 200)
    assert np.array_equal(fit_users(users, None), np.arange(100))
    assert np.array_equal(fit_users(users, 100), np.arange(100))
    a, b = fit_users(users, 30, seed=1), fit_users(users, 30, seed=1)
    assert len(a) == 30 and np.array_equal(a, b) and np.all(np.diff(a) > 0)
    assert not np.array_equal(a, fit_users(users, 30, seed=2))


def test_mixture_ndcg_on_a_subset_of_users_is_evaluate_on_that_subset(ml100k):
    split = prepare_dataset(ml100k)
    pop = MostPopular().fit(split)
    users, _ = split.target("valid")
    sub = users[fit_users(users, 200, seed=0)]
    stacked = stacked_scores({"pop": pop}, sub, "valid")
    got = mixture_ndcg(stacked, np.array([[1.0]]), split, "valid", users=sub)[0]
    want = evaluate(FixedScores(sub, stacked[0], split.n_users), split, stage="valid", users=sub)
    assert got == pytest.approx(want.per_user[NDCG10].mean(), abs=1e-9)


def _runs(values: np.ndarray, log: str = "amazon-toys") -> SeedRuns:
    per_user = pd.DataFrame({NDCG10: values, HR10: (values > 0).astype(float)})
    ev = Evaluation("m", np.arange(len(values)), per_user, np.zeros((len(values), 10), int), {})
    return SeedRuns(test={"m": ev}, valid={"m": float(values.mean())})


@pytest.mark.parametrize("level, word", [(0.9, "above"), (0.01, "below"), (None, "not distinguishable from")])
def test_published_verdict_reads_the_whole_ci_against_the_strongest_published_number(level, word):
    top = reference(dataset="amazon-toys", metric=NDCG10, source="published")["value"].max()
    rng = np.random.default_rng(0)
    if level is None:  # a noisy mean right at the published number
        values = np.where(rng.random(400) < top, 1.0, 0.0)
    else:
        values = np.full(400, level) + rng.normal(0, 1e-3, 400)
    text = bm.published_verdict("amazon-toys", _runs(values), "m", n_boot=300)
    assert f"**{word}**" in text and f"{top:.4f}" in text


def test_a_file_without_published_rows_is_said_so():
    text = bm.published_verdict("Garden", _runs(np.full(50, 0.1)), "m", n_boot=100)
    assert "No published full-ranking row exists for `Garden`" in text
