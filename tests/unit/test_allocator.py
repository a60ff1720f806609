"""recnb.env.tune_allocator: after ``import recnb`` a loop that allocates and frees large tensors reuses the
memory it freed (no new page faults once warm), unless RECNB_MALLOC=system; off glibc the test skips."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = """
import resource, torch
import recnb
from recnb import env
torch.set_num_threads(1)
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
u, v = torch.randn(1024, 16), torch.randn(16, 10000)
for i in range(30):  # an evaluation loop's pattern: a 41 MB score block, a masked copy, its top-K, freed
    if i == 20:
        before = faults()
    s = (u @ v).clone()
    s.topk(10, dim=1)
    del s
print(env.tune_allocator(), faults() - before)
"""


def _probe(malloc: str | None) -> tuple[bool, int]:
    environ = {k: v for k, v in os.environ.items() if k != "RECNB_MALLOC"}
    if malloc is not None:
        environ["RECNB_MALLOC"] = malloc
    out = subprocess.run([sys.executable, "-c", PROBE], env=environ, capture_output=True, text=True, check=True)
    applied, faults = out.stdout.split()
    return applied == "True", int(faults)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt tuning is for glibc on Linux")
def test_freed_tensor_memory_is_reused_without_page_faults():
    applied, faults = _probe(None)
    if not applied:
        pytest.skip("this C library has no glibc mallopt")
    pages = 10 * 2 * 1024 * 10000 * 4 // os.sysconf("SC_PAGE_SIZE")  # 10 rounds of two blocks
    assert faults < pages // 20, f"{faults} page faults in 10 warm rounds ({pages} pages allocated): not reused"
    applied, faults = _probe("system")
    assert not applied and faults > pages // 2, f"RECNB_MALLOC=system: {faults} faults for {pages} pages"
