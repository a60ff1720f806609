"""recnb: a notebook-first, reproducible study of deep user-behaviour analysis for recommendation.

Layers, lowest first (each imports only from those above it in this list): :mod:`recnb.env` (environment
channels), :mod:`recnb.profile` (run settings), :mod:`recnb.data` (schema, sources, split),
:mod:`recnb.evaluate` (ranking, statistics, tables), :mod:`recnb.train` (the training loop),
:mod:`recnb.models` (models only, on the contract of :mod:`recnb.models.base`), :mod:`recnb.recipes` (which
models a notebook fits), :mod:`recnb.experiment` and :mod:`recnb.analysis` (the notebooks' steps),
:mod:`recnb.report` (the runner). See docs/architecture.md.
"""

from __future__ import annotations

import warnings

# tqdm.auto asks for ipywidgets inside Jupyter; without them it falls back to text bars, which is fine.
warnings.filterwarnings("ignore", message="IProgress not found")

from .env import tune_allocator

tune_allocator()  # glibc keeps freed tensor memory for reuse (RECNB_MALLOC=system: off); see its docstring

__version__ = "0.1.0"
