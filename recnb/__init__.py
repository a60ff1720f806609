"""recnb: a notebook-first, reproducible study of deep user-behaviour analysis for recommendation.

Subpackages: :mod:`recnb.data` (schema, sources, split), :mod:`recnb.models`, :mod:`recnb.evaluate`,
:mod:`recnb.train`, :mod:`recnb.report`. See README.md and DESIGN.md.
"""

from __future__ import annotations

import warnings

# tqdm.auto asks for ipywidgets inside Jupyter; without them it falls back to text bars, which is fine.
warnings.filterwarnings("ignore", message="IProgress not found")

__version__ = "0.1.0"
