"""The command line checks first (issue 32): a bad argument is one line on stderr and exit code 2 before
anything runs; a malformed log is one line ``file:row:column: problem; expected ...`` and exit code 1, with no
chained cache exception (the traceback only with ``--debug``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from recnb.__main__ import main
from recnb.data import load_dataset
from recnb.data.schema import DataValidationError
from tests.crashlogs import write_crash_log

ROOT = Path(__file__).resolve().parents[2]
BAD = "user_id,item_id,event,value,timestamp\nu1,i1,view,1,2024-01-01\nu2,i2,bogus,1,2024-01-01\n"


def test_an_unknown_dataset_is_one_line_and_exit_2_without_a_traceback():
    run = subprocess.run([sys.executable, "-m", "recnb", "report", "--profile", "smoke", "--dataset", "nope"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 2, run.stderr
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr, run.stderr
    assert "unknown dataset" in run.stderr and "'nope'" in run.stderr and "ml-100k" in run.stderr


@pytest.mark.parametrize("args, says", [
    (["--only", "99"], "--only '99': 99 names no notebook"),
    (["--only", "1,x"], "x names no notebook"),
    (["--jobs", "0"], "--jobs 0: expected a whole number"),
    (["--dataset", "canonical"], "give --data-path naming the file"),
    (["--dataset", "canonical", "--data-path", "/no/such/log.csv"], "no such file"),
    (["--profile", "fast"], "invalid choice: 'fast'"),
])
def test_a_bad_argument_is_one_line_and_exit_2_before_anything_runs(capsys, args, says):
    rc = _main(["report", "--profile", "smoke", *args] if args[0] != "--profile" else ["report", *args])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and says in err, err


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA: --device cuda is valid here")
def test_cuda_without_cuda_is_one_line_and_exit_2(capsys):
    assert main(["report", "--profile", "smoke", "--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "sees no CUDA device" in err, err


def test_a_malformed_log_is_one_line_file_row_column_and_exit_1(tmp_path):
    log = tmp_path / "mylog.csv"
    log.write_text(BAD)
    cmd = [sys.executable, "-m", "recnb", "report", "--profile", "smoke", "--dataset", "canonical",
           "--data-path", str(log), "--out", str(tmp_path / "rep")]
    run = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 1, run.stderr
    assert run.stderr.strip() == (f"recnb report: {log}:3:event: unknown event type 'bogus'; expected one of view, "
                                  "cart, fav, purchase, rating, play"), run.stderr
    assert "Traceback" not in run.stderr and "FileNotFoundError" not in run.stderr
    with pytest.raises(DataValidationError) as err:  # --debug: the exception itself, not chained to the cache miss
        main(["--debug", *cmd[3:]])
    assert err.value.__context__ is None and err.value.row == 3 and err.value.column == "event"


def test_a_parse_error_is_not_chained_to_the_cache_miss(tmp_path):
    log = tmp_path / "mylog.csv"
    log.write_text(BAD)
    with pytest.raises(DataValidationError) as err:
        load_dataset("canonical", data_path=str(log))
    assert err.value.__context__ is None and err.value.__cause__ is None
    assert err.value.one_line() == (f"{log}:3:event: unknown event type 'bogus'; expected one of view, cart, fav, "
                                    "purchase, rating, play")


def test_a_log_too_small_for_the_study_is_refused_in_one_line_and_exit_1(tmp_path, capsys):
    log = write_crash_log("three_users", tmp_path)
    assert main(["report", "--profile", "smoke", "--dataset", "canonical", "--data-path", str(log),
                 "--out", str(tmp_path / "rep")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Refused before any notebook starts" in err and "0 of 3 users" in err, err


def _main(argv: list[str]) -> int:
    """``main(argv)``'s exit code, argparse's own exits included."""
    try:
        return main(argv)
    except SystemExit as done:
        return int(done.code)
