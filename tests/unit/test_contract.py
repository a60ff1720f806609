"""Data contracts (issue 32): each notebook's needs are checked on the prepared log before it starts; a notebook
they rule out is skipped with a reason rendered from the values, and a log too small for every notebook asked for
is refused in one sentence before any notebook starts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

from nb import write  # noqa: E402

from recnb import contract as contracts  # noqa: E402
from recnb.contract import Contract, Facts, Refused, refusal  # noqa: E402
from recnb.report import run_report  # noqa: E402
from tests.crashlogs import write_crash_log  # noqa: E402

PARAMS = 'profile = "quick"\ndataset = "ml-100k"\nseed = 0\ndata_path = ""'


def facts(**kw) -> Facts:
    base = dict(name="mylog", raw_events=463, raw_users=300, raw_items=98, users=0, items=0, events=0, user_k=5,
                target=None, clock=True, order=True, event_types=("view",), titles=False, categories=False,
                relations=False)
    return Facts(**{**base, **kw})


def test_a_reason_is_one_sentence_rendered_from_the_values():
    f = facts()
    reason = contracts.contract("03").reason(f, "canonical")
    assert reason.startswith("needs at least 20 users with 5 distinct items and 20 items after cleaning; this log "
                             "has 0 of 300 users and 0 of 98 items"), reason
    assert contracts.contract("01").reason(f, "canonical") is None  # the profile reads the raw log
    assert contracts.contract("07").reason(facts(users=50, items=40), "canonical").startswith(
        "needs 'purchase' events; this log has only 'view'")
    assert contracts.contract("07").reason(f, "ml-100k") is None  # on a named dataset 07 reads the shop logs
    assert Contract(order=True).reason(facts(order=False, clock=False), "canonical").startswith("needs an order")
    ok = facts(users=25, items=40, events=500)
    assert all(contracts.contract(n).reason(ok, "canonical") is None for n in ("02", "03", "04", "05", "06"))


def test_the_refusal_names_what_cleaning_left_and_the_least_demanding_notebook():
    sentence = refusal(facts(), "canonical", list(contracts.CONTRACTS))
    assert sentence == ("Refused before any notebook starts: `mylog` is too small for every notebook asked for; the "
                        "least demanding, 02, needs at least 20 users with 5 distinct items and 20 items after "
                        "cleaning; this log has 0 of 300 users and 0 of 98 items.")
    assert refusal(facts(), "canonical", ["01"]) is None  # the profile alone runs on any valid log
    assert refusal(facts(users=25, items=40), "canonical", list(contracts.CONTRACTS)) is None
    assert "purchase to predict" in refusal(facts(target="purchase", user_k=1), "canonical", ["03"])


@pytest.mark.parametrize("name, users", [("few_events_each", 300), ("three_users", 3), ("one_item", 50),
                                         ("single_event", 1)])
def test_each_crash_log_of_issue_32_is_refused_before_any_notebook_starts(tmp_path, name, users):
    """On c34f2fb these logs started the notebooks, which crashed (ValueError, RuntimeError, ZeroDivisionError)."""
    log = write_crash_log(name, tmp_path)
    with pytest.raises(Refused) as why:
        run_report("smoke", dataset="canonical", data_path=str(log), out_root=tmp_path / "rep")
    assert str(why.value).startswith("Refused before any notebook starts")
    assert f"this log has 0 of {users:,} users" in str(why.value)
    assert not (tmp_path / "rep" / "smoke" / "manifest.json").exists()  # nothing ran


def test_the_runner_skips_a_notebook_whose_contract_fails_with_the_reason_in_manifest_and_index(tmp_path,
                                                                                               monkeypatch):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    for stem in ("02_model", "03_model"):  # one notebook runs, one is skipped
        write(str(nbs / f"{stem}.ipynb"), [("md", f"# {stem}"), ("params", PARAMS),
                                          ("code", f"from recnb.report import record\nrecord('{stem}/x', 1)")])
    monkeypatch.setitem(contracts.CONTRACTS, "02", Contract(users=1000, items=1))
    monkeypatch.setitem(contracts.CONTRACTS, "03", Contract(users=1, items=1))
    log = write_crash_log("uniform_ratings", tmp_path)
    (tmp_path / "rep" / "smoke").mkdir(parents=True)
    (tmp_path / "rep" / "smoke" / "02_model.html").write_text("a stale page of an earlier run")
    rc = run_report("smoke", dataset="canonical", data_path=str(log), notebooks_dir=nbs, out_root=tmp_path / "rep",
                    jobs=1)
    out = tmp_path / "rep" / "smoke"
    manifest = json.loads((out / "manifest.json").read_text())
    status = {n["notebook"]: (n["status"], n["reason"]) for n in manifest["notebooks"]}
    assert rc == 0  # a skip is not a failure ...
    assert status["03_model"] == ("ok", None)
    assert status["02_model"][0] == "skipped"  # ... nor a pass
    assert status["02_model"][1].startswith("needs at least 1,000 users with 5 distinct items and 1 items after "
                                            "cleaning; this log has 300 of 300 users")
    assert not (out / "02_model.html").exists()
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["02_model"] == {} and metrics["03_model"] == {"03_model/x": 1.0}
    index = (out / "index.html").read_text()
    assert 'class="skipped">skipped: needs at least 1,000 users' in index and "1 notebook(s) skipped" in index
