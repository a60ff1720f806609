"""Power laws for the article's "large model" claim: does quality keep improving with parameters?

:func:`fit_power_law` fits y = a · x^b by least squares on log-log axes and gives a 95% band from a
bootstrap over the measured points (few points: the band is wide, as it should be). :func:`scaling_grid`
trains SASRec over depth x width x share of training users and returns one tidy row per point, with the
training compute from :mod:`recnb.analysis.flops`.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import torch
from torch.nn import functional as F
from tqdm.auto import tqdm

from ..data.split import Split
from ..env import show_progress
from ..evaluate.ranking import Scorer, evaluate
from .flops import model_flops


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


def target_loss(model: Scorer, split: Split, stage: str = "valid", batch_size: int = 1024) -> float:
    """Mean full-softmax cross-entropy (nats) of the ``stage`` targets under ``model.score`` as logits,
    computed in batches of users (the whole score matrix of a large catalogue does not fit in memory)."""
    users, items = split.target(stage)
    total = 0.0
    with torch.no_grad():
        for b in range(0, len(users), batch_size):
            logits = model.score(users[b:b + batch_size], stage)
            total += float(F.cross_entropy(logits, torch.from_numpy(items[b:b + batch_size]), reduction="sum"))
    return total / max(len(users), 1)


def scaling_grid(split: Split, depths: tuple[int, ...], widths: tuple[int, ...], fractions: tuple[float, ...],
                 epochs: int, patience: int = 5, seed: int = 0, max_len: int = 50, heads: int = 2,
                 progress: bool = True) -> pd.DataFrame:
    """Train a SASRec (:class:`~recnb.models.sequence.SequenceRecommender`, full softmax) at every
    depth x width x share of training users, early-stopped on validation NDCG@10.

    Returns one row per point: ``depth``, ``width``, ``fraction``, ``train users``, ``params`` (non-embedding),
    ``params total``, ``flops per epoch``, ``best epoch``, ``train flops`` (per epoch x epochs up to the best
    one: the compute that produced the kept weights), ``valid loss`` (:func:`target_loss`), ``valid ndcg@10``,
    ``test ndcg@10`` (mean over users) and ``seconds``. Widths below ``heads`` use one head.
    """
    from ..models.sequence import SequenceRecommender

    rows = []
    grid = list(itertools.product(depths, widths, fractions))
    for depth, width, frac in tqdm(grid, desc="scaling grid", disable=not show_progress(progress)):
        m = SequenceRecommender("sasrec", dim=width, layers=depth, heads=heads if width % heads == 0 else 1,
                                max_len=max_len, max_epochs=epochs, patience=patience, seed=seed,
                                progress=False, user_fraction=frac).fit(split)
        per_epoch = model_flops(m, split)
        rows.append({"depth": depth, "width": width, "fraction": frac, "train users": len(m.train_users_),
                     "params": non_embedding_parameters(m.encoder),
                     "params total": sum(p.numel() for p in m.parameters()),
                     "flops per epoch": float(per_epoch), "best epoch": m.fit_.best_epoch,
                     "train flops": float(per_epoch) * m.fit_.best_epoch,
                     "valid loss": target_loss(m, split, "valid"), "valid ndcg@10": m.fit_.best_score,
                     "test ndcg@10": float(evaluate(m, split, "test", ks=(10,)).per_user["ndcg@10"].mean()),
                     "seconds": m.fit_.seconds})
    return pd.DataFrame(rows)
