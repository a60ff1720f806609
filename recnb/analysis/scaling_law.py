"""Power laws for the article's "large model" claim: does quality keep improving with parameters and data?

The parameter count of the scaling papers, the saturating law L(C) = E + A · C^(−α) of loss against training
compute (Kaplan et al. 2020, Hoffmann et al. 2022; the plain log-log fit is :func:`recnb.evaluate.power_law`),
and the SASRec grid over depth x width x share of training users it is fitted to (:func:`scaling_grid`).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import torch
from torch.nn import functional as F
from tqdm.auto import tqdm

from ..evaluate.names import NDCG10, VALID_NDCG10
from ..bench.flops import model_flops
from ..data.split import Split
from ..env import show_progress
from ..evaluate.ranking import Scorer, evaluate
from ..prose import count, estimate, num


def non_embedding_parameters(module: torch.nn.Module) -> int:
    """Trainable parameters outside embedding tables and output biases (the usual scaling-law count)."""
    skip = {id(p) for m in module.modules() if isinstance(m, torch.nn.Embedding) for p in m.parameters()}
    return sum(p.numel() for n, p in module.named_parameters() if id(p) not in skip and not n.endswith("out_bias"))


ALPHAS = np.round(np.arange(-3.0, 3.0001, 0.01), 2)
"""The exponents α the saturating law is profiled over (a fine grid: for a fixed α the law is linear in E and A)."""


def _profile_fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares (E, A, α) of y = E + A · exp(−α x), E >= 0 and A >= 0, for a batch of point sets,
    profiled over :data:`ALPHAS`.

    ``x``, ``y``: (batch, n). For each α the best E and A are closed-form (ordinary least squares on the
    regressor z = exp(−α x); through the origin when the intercept would be negative; the constant when the
    slope would be); the α of least squared error is kept. Returns (batch, 3); vectorised over the batch and the α grid."""
    z = np.exp(-ALPHAS[None, :, None] * x[:, None, :])  # (batch, n_alpha, n)
    yy = np.broadcast_to(y[:, None, :], z.shape)
    zc, yc = z - z.mean(-1, keepdims=True), yy - yy.mean(-1, keepdims=True)
    var = (zc * zc).sum(-1)
    a = np.where(var > 1e-12, (zc * yc).sum(-1) / np.maximum(var, 1e-300), 0.0)
    e = yy.mean(-1) - a * z.mean(-1)
    neg = e < 0
    a = np.where(neg, (z * yy).sum(-1) / (z * z).sum(-1), a)
    e = np.where(neg, 0.0, e)
    flat = a < 0  # a reducible loss is never negative: the best law with A >= 0 is then the constant
    a = np.where(flat, 0.0, a)
    e = np.where(flat, yy.mean(-1), e)
    sse = ((yy - e[..., None] - a[..., None] * z) ** 2).sum(-1)
    best = sse.argmin(-1)
    rows = np.arange(len(x))
    return np.stack([e[rows, best], a[rows, best], ALPHAS[best]], 1)


def fit_saturating_law(compute: np.ndarray, loss: np.ndarray, n_boot: int = 1000, seed: int = 0) -> dict:
    """Fit L(C) = E + A · C^(−α) (E >= 0) to points (compute C > 0, loss L) by least squares on L, with C in
    units of its geometric mean (so A is the reducible loss there), profiled over a fine grid of α
    (:data:`ALPHAS`); the 95% CI of α from refits on ``n_boot`` bootstrap resamples of the points (resamples
    with fewer than three distinct C are skipped).

    Returns ``alpha``, ``alpha_low``, ``alpha_high``, ``E``, ``A``, ``points``, ``decades`` (log10 of the
    compute range), ``boot_ok`` (share of resamples used), and ``grid``/``fit``/``low``/``high`` (50 compute
    values, the fitted curve and its 95% bootstrap band); ``alpha`` is NaN with fewer than three distinct
    compute values.
    """
    c, y = np.asarray(compute, float), np.asarray(loss, float)
    ref = float(np.exp(np.log(c).mean())) if len(c) else 1.0
    x = np.log(c / ref) if len(c) else c
    grid = np.geomspace(c.min(), c.max(), 50) if len(c) else np.array([])
    nan = np.full(len(grid), np.nan)
    out: dict = {"alpha": float("nan"), "alpha_low": float("nan"), "alpha_high": float("nan"), "E": float("nan"),
                 "A": float("nan"), "points": len(c), "decades": float(np.log10(c.max() / c.min())) if len(c) else 0.0,
                 "boot_ok": 0.0, "grid": grid, "fit": nan, "low": nan, "high": nan}
    if len(np.unique(x)) < 3:
        return out
    e, a, alpha = _profile_fit(x[None], y[None])[0]
    gx = np.log(grid / ref)
    idx = np.random.default_rng(seed).integers(0, len(x), (n_boot, len(x)))
    idx = idx[[len(np.unique(x[i])) >= 3 for i in idx]]
    out.update(alpha=float(alpha), E=float(e), A=float(a), fit=e + a * np.exp(-alpha * gx),
               boot_ok=len(idx) / max(n_boot, 1))
    if len(idx):
        boots = np.concatenate([_profile_fit(x[b], y[b]) for b in np.array_split(idx, max(1, len(idx) // 250))])
        curves = boots[:, :1] + boots[:, 1:2] * np.exp(-boots[:, 2:3] * gx[None, :])
        out.update(alpha_low=float(np.quantile(boots[:, 2], 0.025)), alpha_high=float(np.quantile(boots[:, 2], 0.975)),
                   low=np.quantile(curves, 0.025, 0), high=np.quantile(curves, 0.975, 0))
    return out


def scaling_law(grid: pd.DataFrame, n_boot: int = 1000, seed: int = 0) -> dict:
    """The saturating law (:func:`fit_saturating_law`) of validation loss against training compute over the
    **uncapped** points of a :func:`scaling_grid` (points that stopped at their epoch cap are not converged:
    they are counted in ``capped`` and left out), and what it supports.

    Returns the fit's fields plus ``points_fitted``, ``capped``, ``compute_decades`` and ``verdict``:
    ``"law"`` (α's 95% CI above 0: loss falls with compute as a power law towards E), ``"no law"`` (the CI
    covers 0, or lies below it: the data do not support a law) or ``"too few points"`` (fewer than three
    distinct compute values, or no fit)."""
    ok = grid[~grid["capped"]] if "capped" in grid.columns else grid
    law = fit_saturating_law(ok["train flops"].to_numpy(float), ok["valid loss"].to_numpy(float), n_boot, seed)
    if np.isnan(law["alpha"]) or np.isnan(law["alpha_low"]):
        verdict = "too few points"
    else:
        verdict = "law" if law["alpha_low"] > 0 else "no law"
    return {**law, "points_fitted": len(ok), "capped": len(grid) - len(ok), "compute_decades": law["decades"],
            "verdict": verdict}


def law_sentences(laws: dict[str, dict]) -> str:
    """One Markdown bullet per log of :func:`scaling_law` results (``{log name: law}``): the points fitted and
    left out, the compute range, the fitted law with α's 95% CI, and the verdict in words."""
    lines = []
    for name, law in laws.items():
        head = (f"**{name}**: {count(law['points_fitted'], 'uncapped point')} fitted "
                f"({count(law['capped'], 'point')} at the epoch cap left out), spanning "
                f"{num(law['compute_decades'], 2)} decades of training compute")
        if law["verdict"] == "too few points":
            lines.append(f"- {head}: too few distinct points for a law.")
            continue
        fit = (f"L = {num(law['E'], 3)} + {num(law['A'], 3)}·(C/C̄)^(−α) with α = "
               f"{estimate(law['alpha'], law['alpha_low'], law['alpha_high'], 3)}")
        word = ("the CI of α lies above 0: validation loss falls with compute as a saturating power law"
                if law["verdict"] == "law" else
                "the CI of α does not lie above 0: these points do not support a scaling law")
        lines.append(f"- {head}; {fit}: {word}.")
    return "\n".join(lines)


def law_record(law: dict) -> dict[str, float]:
    """The finite fields of a :func:`scaling_law` result worth recording in a report's metrics
    (``points_fitted``, ``exponent`` with its CI, ``compute_decades``); NaN (no law) is left out."""
    values = {"points_fitted": law["points_fitted"], "exponent": law["alpha"], "exponent_low": law["alpha_low"],
              "exponent_high": law["alpha_high"], "compute_decades": law["compute_decades"]}
    return {k: float(v) for k, v in values.items() if np.isfinite(v)}


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
                 epochs: int, patience: int | None = None, seed: int = 0, max_len: int = 50, heads: int = 2,
                 progress: bool = True) -> pd.DataFrame:
    """Train a SASRec (:class:`~recnb.models.sequence.SequenceRecommender`, full softmax) at every
    depth x width x share of training users, early-stopped on validation NDCG@10 with ``patience`` (default
    the sequence models' :data:`recnb.recipes.PATIENCE`), through the model cache.

    Returns one row per point: ``depth``, ``width``, ``fraction``, ``train users``, ``params`` (non-embedding),
    ``params total``, ``flops per epoch``, ``best epoch``, ``train flops`` (per epoch x epochs up to the best
    one: the compute that produced the kept weights), ``valid loss`` (:func:`target_loss`), ``valid ndcg@10``,
    ``test ndcg@10`` (mean over users), ``seconds`` and ``capped`` (True when the run reached ``epochs``
    without its patience running out: not converged). Widths below 16 use one head (as notebook 04's width sweep).
    """
    from ..modelcache import cached_fit
    from ..models.sequence import SequenceRecommender
    from ..recipes import PATIENCE

    patience = PATIENCE["seq"] if patience is None else patience
    rows = []
    grid = list(itertools.product(depths, widths, fractions))
    for depth, width, frac in tqdm(grid, desc="scaling grid", disable=not show_progress(progress)):
        m = cached_fit(SequenceRecommender("sasrec", dim=width, layers=depth, heads=heads if width >= 16 else 1,
                                           max_len=max_len, max_epochs=epochs, patience=patience, seed=seed,
                                           progress=False, user_fraction=frac), split)
        per_epoch = model_flops(m, split)
        rows.append({"depth": depth, "width": width, "fraction": frac, "train users": len(m.train_users_),
                     "params": non_embedding_parameters(m.encoder),
                     "params total": sum(p.numel() for p in m.parameters()),
                     "flops per epoch": float(per_epoch), "best epoch": m.fit_.best_epoch,
                     "train flops": float(per_epoch) * m.fit_.best_epoch,
                     "valid loss": target_loss(m, split, "valid"), VALID_NDCG10: m.fit_.best_score,
                     f"test {NDCG10}": float(evaluate(m, split, "test", ks=(10,)).per_user[NDCG10].mean()),
                     "seconds": m.fit_.seconds, "capped": not m.fit_.stopped_early})
    return pd.DataFrame(rows)
