"""The cache lock serialises processes; atomic writes leave no partial files."""

import multiprocessing as mp
import time

import pytest

from recnb import filelock


def _take(entry, started, out):
    started.set()
    with filelock.exclusive(entry):
        out.write_text("in")


@pytest.mark.skipif(filelock.fcntl is None, reason="no fcntl on this platform: the lock is a no-op")
def test_a_second_process_waits_for_the_lock(tmp_path):
    entry, out = tmp_path / "models" / "m.pkl", tmp_path / "child"
    ctx = mp.get_context("spawn")
    started = ctx.Event()
    with filelock.exclusive(entry):
        child = ctx.Process(target=_take, args=(entry, started, out))
        child.start()
        assert started.wait(120)
        time.sleep(1.0)  # the child is now at (or past) the lock: it must not have entered
        assert not out.exists()
    child.join(120)
    assert child.exitcode == 0 and out.read_text() == "in"


def test_write_atomic_replaces_whole_files(tmp_path):
    path = tmp_path / "a" / "b.bin"
    filelock.write_atomic(path, b"one")
    filelock.write_atomic(path, b"two")
    assert path.read_bytes() == b"two" and [p.name for p in path.parent.iterdir()] == ["b.bin"]
