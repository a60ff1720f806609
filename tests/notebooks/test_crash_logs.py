"""The valid logs of issue 32 that crashed notebooks on c34f2fb now run them: a single event through notebook 01
(seaborn died on an empty set of gaps) and 300 users rating 200 items uniformly through notebook 02 (a bare
``assert chance < pop`` stopped it) and, in the long sweep, 03 and 04 (a nan correlation, an empty bar chart).
The logs that the cleaning empties are refused before any notebook starts: ``tests/unit/test_contract.py``."""

from __future__ import annotations

import pytest

from tests.crashlogs import write_crash_log
from tests.fuzz.logs import FUZZ
from tests.notebooks.ownlog import run_own_log


@pytest.mark.slow
def test_a_single_event_is_profiled_by_notebook_01(tmp_path):
    metrics, manifest, html = run_own_log(tmp_path, "01", write_crash_log("single_event", tmp_path))
    assert metrics["single_event/events"] == 1 and metrics["single_event/users"] == 1
    assert "no user has two timed events" in html


@pytest.mark.slow
@pytest.mark.parametrize("notebook", ["02", "03", "04"])
def test_uniform_ratings_run_notebooks_02_to_04_and_02_says_popularity_is_not_above_chance(tmp_path, notebook):
    if notebook != "02" and not FUZZ:
        pytest.skip("part of the long sweep (make fuzz): 03 and 04 on the uniform log take a minute each")
    metrics, manifest, html = run_own_log(tmp_path, notebook, write_crash_log("uniform_ratings", tmp_path))
    assert metrics, "no number recorded"
    if notebook == "02":
        assert "Random scores: test NDCG@10" in html and "above chance on this log" in html
    if notebook == "04":
        assert "too few to form" in html
