"""Memory budget of CSV ingest (issue 15): the 10-million-event measurement (peak RSS, time) is in
``python -m recnb bench --data``; this test checks the same quantity on a 500k-event file, scaled per event.

Budget: the growth of peak RSS over the process's RSS after imports stays below 400 bytes per event at
500k events. The per-event cost falls with size (fixed costs spread out), so this bounds a 10M-event
file well below the 4 GB it would scale to; the hand-written reader this replaced needed about 485
bytes per event here. No wall-clock limit.
"""

from __future__ import annotations

import sys

import pytest

from recnb.bench.ingest import measure_load, write_simulated_csv

BYTES_PER_EVENT = 400


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak RSS is read from /proc/self/status (Linux)")
def test_csv_ingest_memory_per_event(tmp_path):
    n = 500_000
    path = write_simulated_csv(tmp_path / "events.csv", n)
    r = measure_load(path)
    assert r["events"] == n
    growth = (r["peak_rss_mb"] - r["rss_after_imports_mb"]) * 2**20
    assert growth / n < BYTES_PER_EVENT, f"{growth / n:.0f} bytes per event (peak {r['peak_rss_mb']:.0f} MiB)"
