"""Power laws for the article's "large model" claim: does quality keep improving with parameters?

:func:`fit_power_law` fits y = a · x^b by least squares on log-log axes and gives a 95% band from a
bootstrap over the measured points (few points: the band is wide, as it should be).
"""

from __future__ import annotations

import numpy as np
import torch


def non_embedding_parameters(module: torch.nn.Module) -> int:
    """Trainable parameters outside embedding tables and output biases (the usual scaling-law count)."""
    skip = {id(p) for m in module.modules() if isinstance(m, torch.nn.Embedding) for p in m.parameters()}
    return sum(p.numel() for n, p in module.named_parameters() if id(p) not in skip and not n.endswith("out_bias"))


def fit_power_law(x: np.ndarray, y: np.ndarray, grid: np.ndarray | None = None, n_boot: int = 1000,
                  seed: int = 0) -> dict[str, np.ndarray | float]:
    """Fit log y = log a + b log x. Returns ``a``, ``b``, ``grid``, ``fit`` (a·grid^b) and ``low``/``high``
    (2.5% / 97.5% of bootstrap refits over the points)."""
    lx, ly = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    b, la = np.polyfit(lx, ly, 1)
    grid = np.geomspace(min(x), max(x), 50) if grid is None else grid
    rng = np.random.default_rng(seed)
    curves = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(lx), len(lx))
        if len(np.unique(lx[idx])) < 2:
            continue
        bb, aa = np.polyfit(lx[idx], ly[idx], 1)
        curves.append(np.exp(aa + bb * np.log(grid)))
    curves = np.array(curves) if curves else np.exp(la + b * np.log(grid))[None]
    return {"a": float(np.exp(la)), "b": float(b), "grid": grid, "fit": np.exp(la + b * np.log(grid)),
            "low": np.quantile(curves, 0.025, 0), "high": np.quantile(curves, 0.975, 0)}
