"""A content-keyed cache of fitted models, shared by every notebook of a run (and by later runs).

Notebooks 03-07 train the same encoders on the same splits (the Mult-VAE of 03, the GRU of 04 and the
LightGCN of 05 are the encoders that 06 fuses; the baselines are evaluated everywhere). :func:`cached_fit`
fits a model once per *content*: the key (:func:`model_key`) hashes the unfitted model's settings
(:func:`digest`), the split's contents, the source of the modules the model is built from and of
:data:`CACHE_SOURCES` (:func:`source_digest`: an edit refits), torch's version, the device and
:func:`recnb.env.bf16_matmul`.

A hit returns the pickled fitted model reading the caller's split object (the split is not stored), with
the seconds of the fit that made it. Entries are written atomically under ``data/processed/models/``; an
unreadable entry is refitted with a warning; models larger than :data:`MAX_ENTRY_BYTES` are not stored;
``RECNB_MODEL_CACHE=0`` (:data:`recnb.env.MODEL_CACHE`) turns the cache off. :func:`result_key` keys other
results on a split (the baselines of :func:`recnb.experiment.baseline_evaluations`) and
:func:`cached_embeddings` keeps the text encoder's item embeddings.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import io
import json
import os
import pickle
import time
import warnings
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from .data.fetch import processed_dir
from .data.split import Split
from .env import FIT_LOG, bf16_matmul, device, model_cache_enabled
from .filelock import exclusive, write_atomic
from .models.base import Fitted
from .models.text import EMBEDDING_DIM, embed_items, embedding_key

F = TypeVar("F", bound=Fitted)

MAX_ENTRY_BYTES = 512 * 2**20
"""A fitted model larger than this (EASE's item-item matrix on a large catalogue) is not stored."""

CACHE_SOURCES = ("recnb.models.base", "recnb.train", "recnb.evaluate.ranking", "recnb.data.split")
"""Modules whose source is part of every key (beside the modules of the model's own class hierarchy, or the
modules a cached result names, :func:`result_key`)."""

SKIP_ATTRIBUTES = frozenset({"progress", "training"})
"""Attributes that do not change what a model learns (a progress bar; train/eval mode). Torch's hook
tables (attributes ending in ``hooks``) are skipped too."""


def digest(obj: Any, h: Any = None) -> str:
    """SHA-256 (hex) of a value's content: numbers, strings, None, tuples/lists/dicts (recursively),
    NumPy arrays, torch tensors, SciPy sparse matrices, a :class:`~recnb.data.split.Split` (by its
    events), and objects (their class and their attributes, recursively; ``nn.Module`` included). A fitted
    model inside the value (a fusion's encoders) counts by the key it was fitted or served under
    (``cache_key_``, set by :func:`cached_fit`): the same settings, data and code make the same model, and
    its learned state need not be read. Raises ``TypeError`` for what it cannot read (a function, say): such
    a model is fitted, not cached."""
    top = h is None
    h = h or hashlib.sha256()
    if not top and isinstance(obj, Fitted) and isinstance(getattr(obj, "cache_key_", None), str):
        h.update(f"fitted {type(obj).__module__}.{type(obj).__qualname__} {obj.cache_key_}".encode())
    elif obj is None or isinstance(obj, (bool, int, float, str)):
        h.update(repr((type(obj).__name__, obj)).encode())
    elif isinstance(obj, (tuple, list)):
        h.update(f"{type(obj).__name__}[{len(obj)}]".encode())
        for v in obj:
            digest(v, h)
    elif isinstance(obj, (set, frozenset)):
        digest(sorted(obj, key=repr), h)
    elif isinstance(obj, dict):
        h.update(f"dict[{len(obj)}]".encode())
        for k in sorted(obj, key=repr):
            digest(k, h)
            digest(obj[k], h)
    elif isinstance(obj, np.ndarray):
        h.update(f"ndarray{obj.shape}{obj.dtype}".encode())
        h.update(np.ascontiguousarray(obj).tobytes() if obj.dtype != object else repr(obj.tolist()).encode())
    elif isinstance(obj, torch.Tensor):
        digest(obj.detach().cpu().numpy(), h)
    elif sp.issparse(obj):
        m = sp.csr_matrix(obj)
        for part in (np.asarray(m.shape), m.indptr, m.indices, m.data):
            digest(part, h)
    elif isinstance(obj, Split):
        h.update(split_fingerprint(obj).encode())
    elif isinstance(obj, (np.generic, torch.dtype, torch.device)):
        h.update(repr(obj).encode())
    elif hasattr(obj, "__dict__") and not callable(obj) or isinstance(obj, nn.Module):
        h.update(f"{type(obj).__module__}.{type(obj).__qualname__}".encode())
        digest({k: v for k, v in vars(obj).items() if k not in SKIP_ATTRIBUTES and not k.endswith("hooks")}, h)
    else:
        raise TypeError(f"digest: cannot read a {type(obj).__qualname__} value")
    return h.hexdigest() if top else ""


def split_fingerprint(split: Split) -> str:
    """SHA-256 (hex, 20 digits) of a split's name, sizes and events (user, item, event, role per row) and its
    ranking candidates when it has any."""
    h = hashlib.sha256(f"{split.name}|{split.n_users}|{split.n_items}".encode())
    for col in ("u", "i", "event"):
        h.update(np.ascontiguousarray(split.events[col].to_numpy()).tobytes())
    h.update(split.events["role"].astype(str).str.cat(sep="|").encode())
    if split.candidates is not None:  # a ranking restricted to candidates validates differently
        h.update(np.packbits(split.candidates).tobytes())
    return h.hexdigest()[:20]


@lru_cache(maxsize=None)
def _module_source(name: str) -> str:
    return hashlib.sha256(inspect.getsource(importlib.import_module(name)).encode()).hexdigest()


def modules_digest(names: Iterable[str]) -> str:
    """SHA-256 (hex) of the source code of the modules ``names`` (any order): editing one changes it."""
    return hashlib.sha256("|".join(f"{n}:{_module_source(n)}" for n in sorted(set(names))).encode()).hexdigest()


@lru_cache(maxsize=None)
def _recnb_imports(name: str) -> frozenset[str]:
    """The ``recnb`` modules that module ``name`` uses through its globals (modules, functions, classes)."""
    found = set()
    for value in vars(importlib.import_module(name)).values():
        mod = value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", None)
        if isinstance(mod, str) and mod.startswith("recnb.") and mod != name:
            found.add(mod)
    return frozenset(found)


def source_digest(cls: type) -> str:
    """SHA-256 (hex) of the source of :data:`CACHE_SOURCES`, of every ``recnb`` module in ``cls``'s class
    hierarchy and of every ``recnb`` module those use, transitively (so an edit of a helper such as
    :mod:`recnb.models.softmax` refits the models whose modules call it)."""
    todo = {c.__module__ for c in cls.__mro__ if c.__module__.startswith("recnb")} | set(CACHE_SOURCES)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        seen.add(name)
        todo |= _recnb_imports(name) - seen
    return modules_digest(seen)


def model_key(model: Fitted, split: Split) -> str:
    """The cache key of fitting the unfitted ``model`` on ``split`` (see the module docstring)."""
    parts = {"model": digest(model), "split": split_fingerprint(split), "source": source_digest(type(model)),
             "torch": torch.__version__, "device": str(device()), "bf16": bf16_matmul()}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]


def result_key(split: Split, settings: dict[str, Any], modules: Iterable[str]) -> str:
    """The cache key (hex, 20 digits) of a result computed on ``split``: SHA-256 over ``settings`` (as JSON),
    the split's fingerprint and the source of :data:`CACHE_SOURCES` and ``modules`` (the modules that
    produce the result: editing any of them recomputes it)."""
    h = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    h.update(split_fingerprint(split).encode())
    h.update(modules_digest((*CACHE_SOURCES, *modules)).encode())
    return h.hexdigest()[:20]


def cached_embeddings(texts: Sequence[str], batch_size: int = 64, cache_dir: str | Path | None = None,
                      device: str = "cpu", progress: bool = True) -> np.ndarray:
    """:func:`recnb.models.text.embed_items` of ``texts``, shape (len(texts), 384), kept on disk under
    ``cache_dir`` (default ``data/processed/text-embeddings``) by :func:`~recnb.models.text.embedding_key`;
    a file of another shape or type is recomputed and replaced (written atomically)."""
    texts = [str(t) for t in texts]
    folder = Path(cache_dir) if cache_dir is not None else processed_dir() / "text-embeddings"
    path = folder / f"{embedding_key(texts)[:24]}.npy"
    if path.exists():
        out = np.load(path)
        if out.shape == (len(texts), EMBEDDING_DIM) and out.dtype == np.float32:
            return out
    out = embed_items(texts, batch_size=batch_size, device=device, progress=progress)
    buf = io.BytesIO()
    np.save(buf, out)
    write_atomic(path, buf.getvalue())
    return out


def cache_path(model: Fitted, key: str) -> Path:
    """Where the fitted model of ``key`` is kept: ``data/processed/models/<Class>-<key>.pkl``."""
    return processed_dir() / "models" / f"{type(model).__name__}-{key}.pkl"


class _Pickler(pickle.Pickler):
    """Pickles a fitted model without its split: the split object is written as a reference."""

    def __init__(self, file: io.BytesIO, split: Split) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.split = split

    def persistent_id(self, obj: Any) -> str | None:
        return "split" if obj is self.split else None


class _Unpickler(pickle.Unpickler):
    """Loads a model pickled by :class:`_Pickler`, its split reference resolved to the caller's split."""

    def __init__(self, file: io.BufferedReader, split: Split) -> None:
        super().__init__(file)
        self.split = split

    def persistent_load(self, pid: Any) -> Split:
        if pid != "split":
            raise pickle.UnpicklingError(f"unknown reference {pid!r}")
        return self.split


def log_fit(model: Fitted, split: Split, cached: bool) -> None:
    """Append one line about a fit to the file named by ``RECNB_FIT_LOG`` (when set): the model's class,
    the split, the seconds of its fit, its epochs and best epoch (trained models), and ``cached`` (served by
    the cache: no time spent now). The report runner puts these in ``manifest.json``."""
    path = os.environ.get(FIT_LOG)
    if not path:
        return
    fit = getattr(model, "fit_", None)
    history = getattr(fit, "history", None)
    row = {"model": type(model).__name__, "split": split.name, "seconds": round(float(model.fit_seconds_), 3),
           "epochs": int(len(history)) if history is not None else None,
           "best_epoch": int(fit.best_epoch) if fit is not None and hasattr(fit, "best_epoch") else None,
           "cached": cached}
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")


def timed_fit(model: F, split: Split) -> F:
    """``model.fit(split)``, with the wall seconds of the fit kept as ``model.fit_seconds_`` (a cached model
    keeps the seconds of the fit that made it)."""
    t0 = time.perf_counter()
    fitted = model.fit(split)
    fitted.fit_seconds_ = time.perf_counter() - t0
    log_fit(fitted, split, cached=False)
    return fitted


def cached_fit(model: F, split: Split, cache: bool = True) -> F:
    """``model.fit(split)``, or the model that an identical fit left in the cache (see the module
    docstring). ``cache=False`` or ``RECNB_MODEL_CACHE=0`` always fits. A model whose settings cannot be
    read (:func:`digest` raises) is fitted and not cached."""
    if not (cache and model_cache_enabled()):
        return timed_fit(model, split)
    try:
        key = model_key(model, split)
    except TypeError:
        return timed_fit(model, split)
    path = cache_path(model, key)
    with exclusive(path):  # a parallel notebook needing the same fit waits for this one, then loads it
        if path.exists():
            try:
                with open(path, "rb") as f:
                    loaded = _Unpickler(f, split).load()
                if type(loaded) is type(model):
                    loaded.cache_key_ = key
                    log_fit(loaded, split, cached=True)
                    return loaded
                warnings.warn(f"model cache: {path} holds a {type(loaded).__name__}; refitting", stacklevel=2)
            except Exception as exc:  # a truncated or foreign file: refit and overwrite
                warnings.warn(f"model cache: {path} is unreadable ({type(exc).__name__}: {exc}); refitting",
                              stacklevel=2)
        fitted = timed_fit(model, split)
        fitted.cache_key_ = key  # its identity inside other models' keys (digest)
        buf = io.BytesIO()
        _Pickler(buf, split).dump(fitted)
        if buf.tell() <= MAX_ENTRY_BYTES:
            write_atomic(path, buf.getvalue())
        return fitted


__all__ = ["CACHE_SOURCES", "digest", "split_fingerprint", "modules_digest", "source_digest", "model_key",
           "result_key", "cached_embeddings", "cache_path", "log_fit", "timed_fit", "cached_fit"]
