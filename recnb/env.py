"""The environment variables recnb reads or writes, named once.

The report runner talks to the notebooks it runs through environment variables (the notebooks run in
another process). Every such channel is named here and read through the helpers below, never by a literal
elsewhere in the package:

* ``RECNB_RECORD_FILE`` (:data:`RECORD_FILE`): where :func:`recnb.report.record` appends the numbers;
* ``RECNB_DATA_LOG`` (:data:`DATA_LOG`): where :func:`recnb.data.load_dataset` appends the checksums of
  the files it loaded (the manifest's provenance);
* ``RECNB_DATA_PATH`` (:data:`DATA_PATH`): extra folders searched for raw data (``os.pathsep``-separated);
* ``RECNB_ROOT`` (:data:`ROOT`): the checkout root, when the current directory is not inside it;
* ``TQDM_DISABLE`` (:data:`NO_PROGRESS`): set by the runner so that progress bars do not flood the HTML;
* ``RECNB_DEVICE`` (:data:`DEVICE`): where models train, score and evaluate (:func:`device`), set by
  ``--device`` of ``python -m recnb report`` and ``bench``;
* ``RECNB_FIT_LOG`` (:data:`FIT_LOG`): where :func:`recnb.modelcache.cached_fit` appends one line per model;
* ``RECNB_MODEL_CACHE`` (:data:`MODEL_CACHE`): ``0`` turns off the cache of fitted models
  (:func:`model_cache_enabled`);
* ``RECNB_JOBS`` (:data:`JOBS`): notebooks the report runner executes at once (:func:`report_jobs`);
* ``OMP_NUM_THREADS`` (:data:`THREADS`): the threads of each notebook's torch (:func:`notebook_threads`);
* ``RECNB_BF16`` (:data:`BF16`): ``auto``, ``1`` or ``0`` (:func:`bf16_matmul`);
* ``RECNB_MALLOC`` (:data:`MALLOC`): ``reuse`` or ``system`` (:func:`tune_allocator`).
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys

import torch

RECORD_FILE = "RECNB_RECORD_FILE"
DATA_LOG = "RECNB_DATA_LOG"
DATA_PATH = "RECNB_DATA_PATH"
ROOT = "RECNB_ROOT"
NO_PROGRESS = "TQDM_DISABLE"
DEVICE = "RECNB_DEVICE"
DEVICE_CHOICES = ("auto", "cpu", "cuda")
MODEL_CACHE = "RECNB_MODEL_CACHE"
FIT_LOG = "RECNB_FIT_LOG"
JOBS = "RECNB_JOBS"
THREADS = "OMP_NUM_THREADS"
BF16 = "RECNB_BF16"
MALLOC = "RECNB_MALLOC"

_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # glibc's mallopt parameters (malloc.h)
_KEEP_BYTES = 1 << 30


@functools.cache
def tune_allocator() -> bool:
    """Let glibc's ``malloc`` keep freed memory for reuse instead of returning it to the kernel: every block
    comes from the heap (``M_MMAP_MAX`` = 0, no ``mmap`` per large block) and up to 1 GiB of free heap top
    is kept (``M_TRIM_THRESHOLD``). Torch's CPU tensors are ``malloc``ed; by default each block over 32 MiB
    (a (2,048 x 10,685) float32 score block is 87 MiB) is ``mmap``ed and unmapped on free, so every new one
    page-faults its way into memory again (``docs/performance.md`` has what that cost). Values and their order of
    computation do not change. Once per process (called when :mod:`recnb` is imported); a no-op (False) off
    glibc or with ``RECNB_MALLOC=system``. Returns whether it applied."""
    if os.environ.get(MALLOC, "reuse").strip().lower() == "system" or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, _KEEP_BYTES))


def bf16_matmul() -> bool:
    """Whether the fused softmax loss (:mod:`recnb.models.softmax`) may multiply in bfloat16 on a large
    catalogue: ``RECNB_BF16`` = ``1`` or ``0`` says so; ``auto`` (the default) is yes on a CUDA device that
    supports bfloat16 and on a CPU with bfloat16 instructions (``avx512_bf16`` or ``amx_bf16`` in
    ``/proc/cpuinfo``), where such a product runs about twice as fast as in float32; elsewhere it would be
    emulated, and slower."""
    choice = os.environ.get(BF16, "auto").strip().lower()
    if choice in ("0", "1"):
        return choice == "1"
    if device().type == "cuda":
        return torch.cuda.is_bf16_supported()
    return _cpu_has_bf16()


@functools.cache
def _cpu_has_bf16() -> bool:
    """Whether ``/proc/cpuinfo`` lists bfloat16 instructions (read once per process)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = next((line for line in f if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def show_progress(progress: bool = True) -> bool:
    """Whether to draw a progress bar: the caller's ``progress`` unless ``TQDM_DISABLE`` is set."""
    return progress and not os.environ.get(NO_PROGRESS)


def model_cache_enabled() -> bool:
    """Whether :func:`recnb.modelcache.cached_fit` may serve and store fitted models (``RECNB_MODEL_CACHE``
    is not ``0``)."""
    return os.environ.get(MODEL_CACHE, "1").strip() != "0"


def report_jobs(jobs: int | None = None) -> int:
    """Notebooks run at once by the report runner: ``jobs`` when given, else ``RECNB_JOBS``, else 2 when the
    machine has at least two cores (notebooks spend much of their time in Python, pandas and small tensor
    operations that one core runs as fast as two, so two notebooks with one core each finish sooner than
    one after the other with two), else 1. ``ValueError`` for a value below 1."""
    value = jobs if jobs is not None else os.environ.get(JOBS)
    if value is None or str(value).strip() == "":
        return min(2, os.cpu_count() or 1)
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"{JOBS}={value!r}: expected a whole number of notebooks run at once, at least 1")
    return n


def notebook_threads(jobs: int) -> int | None:
    """Torch threads of each notebook when ``jobs`` run at once: an equal share of the cores (at least
    one), or None (torch's default, all cores) when they run one at a time."""
    return max(1, (os.cpu_count() or 1) // jobs) if jobs > 1 else None


def parse_device(name: str | None) -> torch.device:
    """The torch device of a ``RECNB_DEVICE`` value: ``auto``/empty/None -> ``cuda`` when available, else
    ``cpu``; ``cpu``; ``cuda`` or ``cuda:N`` (``RuntimeError`` when CUDA is not available). Anything else
    is a ``ValueError`` naming the variable, the value and the choices."""
    value = (name or "auto").strip().lower()
    if value == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if value == "cpu":
        return torch.device("cpu")
    if value == "cuda" or value.startswith("cuda:"):
        try:
            dev = torch.device(value)
        except RuntimeError:
            dev = None
        if dev is not None and dev.type == "cuda":
            if not torch.cuda.is_available():
                raise RuntimeError(f"{DEVICE}={name!r} but torch {torch.__version__} sees no CUDA device; "
                                   "use cpu or auto")
            return dev
    raise ValueError(f"{DEVICE}={name!r}: expected one of {', '.join(DEVICE_CHOICES)} (or cuda:N)")


def device() -> torch.device:
    """The device every model, training loop and evaluation of this process uses (``RECNB_DEVICE``, see
    :func:`parse_device`; unset means ``auto``)."""
    return parse_device(os.environ.get(DEVICE))


def set_device(name: str) -> torch.device:
    """Check ``name`` (:func:`parse_device`) and put it in ``RECNB_DEVICE``, so this process and the notebook
    kernels it starts use it; returns the device."""
    dev = parse_device(name)
    os.environ[DEVICE] = name
    return dev


__all__ = ["RECORD_FILE", "DATA_LOG", "DATA_PATH", "ROOT", "NO_PROGRESS", "DEVICE", "DEVICE_CHOICES",
           "MODEL_CACHE", "FIT_LOG", "BF16", "MALLOC", "model_cache_enabled", "bf16_matmul", "tune_allocator",
           "show_progress", "parse_device", "device", "set_device"]
