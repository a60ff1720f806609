"""The study on the reader's own log (issue 15 item 7): notebook 01 runs through the report runner on a canonical
CSV with string ids, profiles that log alone, and skips the sections the log cannot feed with one sentence."""

from __future__ import annotations

import pytest

from tests.notebooks.ownlog import run_own_log, string_id_log
from tests.notebooks.test_notebooks import metric_problems


@pytest.mark.slow
def test_notebook_01_profiles_a_readers_own_log(tmp_path):
    log, events = string_id_log(tmp_path, n_users=150, n_items=120, n_categories=6, n_clusters=3, mean_views=12, seed=3)
    metrics, manifest, html = run_own_log(tmp_path, "01", log)
    assert metrics["mylog/events"] == len(events) and metrics["mylog/users"] == events["user_id"].nunique()
    assert not metric_problems(metrics), metric_problems(metrics)
    assert set(manifest["data_sha256"]) == {"mylog"}  # the reader's log alone, no other dataset loaded
    assert "which no dataset here has" in html  # the relations section is skipped with one sentence
