"""Notebooks 09 and 10 on the reader's own log: a canonical CSV with string ids and no item text runs to the
end, says that the text sections are skipped and why, and records nothing it could not compute."""

from __future__ import annotations

import pytest

from tests.notebooks.ownlog import run_own_log, string_id_log


@pytest.mark.slow
@pytest.mark.parametrize("notebook", ["09", "10"])
def test_notebooks_09_and_10_run_on_a_canonical_log_without_text(tmp_path, notebook):
    log, _ = string_id_log(tmp_path, name="own.csv", item="i", n_users=150, n_items=40, n_categories=4,
                           n_clusters=2, mean_views=8, seed=2)
    metrics, _, html = run_own_log(tmp_path, notebook, log)
    assert "Skipped on" in html and "titles" in html
    if notebook == "09":
        assert "has no item text" in html  # the shop logs' reasons, from recnb.models.text
    assert not any("text" in name for name in metrics), metrics
