"""The report runner on a fixture of two notebooks, one of which fails (issue 2, point 5)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

from nb import write  # noqa: E402

from recnb import env  # noqa: E402
from recnb.report import record, recorded, run_report  # noqa: E402

PARAMS = 'profile = "quick"\ndataset = "ml-100k"\nseed = 0\ndata_path = ""'


@pytest.mark.parametrize("jobs", [1, 2])  # one after the other, and two at once in worker processes
def test_runner_records_reports_and_survives_a_failure(tmp_path, jobs):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    write(str(nbs / "01_good.ipynb"), [
        ("md", "# good"), ("params", PARAMS),
        ("code", "from recnb.report import record\nimport matplotlib.pyplot as plt\n"
                 "plt.plot([1, 2], [3, 4]); plt.show()\nrecord('x/seed', seed + 41)\nrecord('x/profile_len', len(profile))\n"
                 "import torch\nrecord('x/threads', torch.get_num_threads())"),
    ])
    write(str(nbs / "02_bad.ipynb"), [
        ("md", "# bad"), ("params", PARAMS),
        ("code", "from recnb.report import record\nrecord('y/before', 1.5)"),
        ("code", "raise ValueError('planted failure')"),
        ("code", "record('y/after', 2.0)"),
    ])
    rc = run_report("smoke", notebooks_dir=nbs, out_root=tmp_path / "reports", seed=1, jobs=jobs)
    out = tmp_path / "reports" / "smoke"
    assert rc == 1
    metrics = json.loads((out / "metrics.json").read_text())
    threads = metrics["01_good"].pop("x/threads")
    assert metrics["01_good"] == {"x/seed": 42.0, "x/profile_len": 5.0}
    assert metrics["02_bad"] == {"y/before": 1.5}  # nothing after the failing cell
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"] == {"profile": "smoke", "dataset": "ml-100k", "seed": 1, "data_path": ""}
    assert {"git", "versions", "data_sha256", "notebooks", "wall_s"} <= set(manifest)
    assert manifest["versions"]["torch"].startswith("2.13.0")
    assert manifest["jobs"] == jobs and manifest["threads_per_notebook"] == env.notebook_threads(jobs)
    assert manifest["malloc_reuse"] is env.tune_allocator()
    if jobs > 1:  # each parallel notebook's torch gets its share of the cores
        assert threads == env.notebook_threads(jobs)
    by_nb = {n["notebook"]: n for n in manifest["notebooks"]}
    assert by_nb["01_good"]["ok"] and not by_nb["02_bad"]["ok"]
    assert by_nb["02_bad"]["error"]["ename"] == "ValueError"
    assert all(n["wall_s"] > 0 for n in manifest["notebooks"])
    index = (out / "index.html").read_text()
    assert 'class="fail"' in index and "planted failure" in index and "FAILED at cell In [4]" in index
    assert '<a href="01_good.html">' in index and "x/seed" in index
    good = (out / "01_good.html").read_text()
    assert "data:image/png;base64" in good  # the figure is embedded
    assert (out / "02_bad.html").exists()  # the partial notebook is still readable


def test_only_selects_notebooks(tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    for i in (1, 2):
        write(str(nbs / f"0{i}_n.ipynb"), [("params", PARAMS), ("code", f"from recnb.report import record\nrecord('n', {i})")])
    assert run_report("quick", only=["2"], notebooks_dir=nbs, out_root=tmp_path / "r") == 0
    assert json.loads((tmp_path / "r" / "quick" / "metrics.json").read_text()) == {"02_n": {"n": 2.0}}


def test_record_in_process():
    assert record("z/value", 3) == 3.0 and recorded()["z/value"] == 3.0


def test_jobs_setting(monkeypatch):
    monkeypatch.setenv(env.JOBS, "3")
    assert env.report_jobs() == 3 and env.report_jobs(1) == 1
    monkeypatch.setenv(env.JOBS, "zero")
    with pytest.raises(ValueError, match="RECNB_JOBS='zero'"):
        env.report_jobs()
    monkeypatch.delenv(env.JOBS)
    assert env.report_jobs() == (2 if (os.cpu_count() or 1) >= 2 else 1)
    assert env.notebook_threads(1) is None and env.notebook_threads(64) == 1


def test_start_order_is_longest_first_and_unknown_first_by_descending_number():
    from recnb.report import start_order
    names = ["01_a", "02_b", "03_c", "04_d"]
    assert start_order(names, {}) == [3, 2, 1, 0]
    assert start_order(names, {"01_a": 5.0, "02_b": 50.0, "03_c": 20.0}) == [3, 1, 2, 0]


def test_a_chapter_whose_fits_later_ones_reuse_starts_before_them():
    from recnb.report import SERVES, start_order
    assert SERVES["04"] == ("09", "10")
    names = ["03_c", "04_seq", "09_text", "10_scale", "11_priv"]
    fresh = [names[i] for i in start_order(names, {})]  # by descending number, then 04 before 10
    assert fresh == ["11_priv", "04_seq", "10_scale", "09_text", "03_c"]
    timed = [names[i] for i in start_order(names, {"03_c": 47, "04_seq": 87, "09_text": 158, "10_scale": 142,
                                                   "11_priv": 222})]
    assert timed == ["11_priv", "04_seq", "09_text", "10_scale", "03_c"]  # LPT, with 04 moved before 09
    partly = [names[i] for i in start_order(names, {"04_seq": 300, "09_text": 10})]  # unknown times start first
    assert partly == ["11_priv", "04_seq", "10_scale", "03_c", "09_text"]


def test_previous_times_reads_the_last_manifest_and_tolerates_none(tmp_path):
    import json
    from recnb.report import previous_times
    assert previous_times(tmp_path) == {}
    (tmp_path / "manifest.json").write_text(json.dumps({"notebooks": [{"notebook": "01_a", "wall_s": 3.5},
                                                                      {"notebook": "02_b", "wall_s": None}]}))
    assert previous_times(tmp_path) == {"01_a": 3.5}
