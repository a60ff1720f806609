"""Speed goals live in ``python -m recnb bench``, never in a test: the goal checker works on a given table,
and no test measures wall-clock time."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from recnb.bench.speed import SpeedGoal, check_goals

TESTS = Path(__file__).resolve().parents[1]
CLOCK = re.compile(r"perf_counter|time\.time\(|time\.monotonic|timeit|process_time")
# Files that may still read a clock, each with the reason. Keep this empty: a budget belongs in recnb/bench/speed.py.
CLOCK_ALLOWED: dict[str, str] = {}  # path -> why it may read the clock (none may)


def test_goals_pass_short_and_not_run():
    table = pd.DataFrame({"dataset": ["ml-100k", "ml-100k", "sim-1M"],
                          "task": ["ease fit (default λ grid)", "evaluate all 943 test users (pop)", "simulate (1 events)"],
                          "seconds": [4.0, 1.5, 3.0]})
    goals = (SpeedGoal("ml-100k", "ease fit", 5.0, "a"), SpeedGoal("ml-100k", "evaluate all", 1.0, "b"),
             SpeedGoal("ml-100k", "lightgcn-ce epoch", 1.0, "c"))
    got = check_goals(table, goals)
    assert got["status"].tolist() == ["pass", "short", "not run"]
    assert got["value"].iloc[1] == 1.5 and math.isnan(got["value"].iloc[2])


def test_floor_ratio_goal_reads_its_column():
    table = pd.DataFrame({"dataset": ["ml-100k", "ml-100k"],
                          "task": ["fp32 GEMM (1x1 @ 1x1) on cpu", "sasrec epoch (training only, median of 3)"],
                          "seconds": [0.1, 9.0], "floor_x": [float("nan"), 2.5]})
    got = check_goals(table, (SpeedGoal("ml-100k", "sasrec epoch", 3.0, "a", column="floor_x"),
                              SpeedGoal("ml-100k", "sasrec epoch", 5.0, "b")))
    assert got["status"].tolist() == ["pass", "short"] and got["value"].tolist() == [2.5, 9.0]


def test_no_test_reads_the_wall_clock():
    offenders = {}
    for path in sorted(TESTS.rglob("*.py")):
        rel = path.relative_to(TESTS).as_posix()
        if rel == "unit/test_bench.py" or rel in CLOCK_ALLOWED:
            continue
        hits = [i + 1 for i, line in enumerate(path.read_text().splitlines()) if CLOCK.search(line)]
        if hits:
            offenders[rel] = hits
    assert not offenders, f"tests read the clock (move the budget to recnb/bench/speed.py GOALS): {offenders}"
