"""The experiments of notebook 03 (autoencoders), as functions that return tidy tables.

Two families: the article's feature autoencoder over per-user behaviour features
(:class:`recnb.models.autoencoder.FeatureAutoencoder`), whose reconstruction error is an anomaly score, and
the multinomial autoencoders over interaction vectors (Mult-DAE and Mult-VAE, Liang et al., WWW 2018), which
rank items. Every choice (the latent size of the sweep, the strongest baseline) is made on validation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..evaluate.names import NDCG10, VALID_NDCG10
from ..data.features import numeric_matrix, user_features
from ..data.split import Split
from ..evaluate import Evaluation, evaluate, results_table
from ..experiment import baseline_evaluations, prepare, run_seeds
from ..modelcache import cached_fit
from ..models.autoencoder import FeatureAutoencoder, MultDAE, MultVAE
from ..profile import Profile
from ..prose import listing, num
from ..recipes import PATIENCE, SHOP, shop_encoder

SHOP_SETTINGS: dict[str, Any] = SHOP["ae"]
"""Mult-VAE/Mult-DAE on a shop catalogue (:data:`recnb.recipes.SHOP`): narrower than the paper's 600 hidden
units, for CPU time; notebooks 06 and 07 train the same Mult-VAE on shop logs."""


@dataclass
class FeatureProfile:
    """The feature autoencoder fitted on train events: the user ``features`` (one row per user), the numeric
    matrix ``X`` it read, the ``model``, the latent profiles ``h`` (n_users, latent) and the per-user
    reconstruction ``error`` (the anomaly score)."""

    features: pd.DataFrame
    X: pd.DataFrame
    model: FeatureAutoencoder
    h: np.ndarray
    error: pd.Series


def fit_feature_autoencoder(split: Split, items: pd.DataFrame | None, latent: int, max_epochs: int,
                            seed: int = 0) -> FeatureProfile:
    """Behaviour features of the train events (:func:`recnb.data.features.user_features`), the feature
    autoencoder fitted on them, its latent profiles and reconstruction errors."""
    feats = user_features(split.raw_events("train"), items)
    X = numeric_matrix(feats)
    model = FeatureAutoencoder(latent=latent, seed=seed, max_epochs=max_epochs).fit(X)
    error = pd.Series(model.reconstruction_error(X), index=X.index, name="reconstruction error")
    return FeatureProfile(feats, X, model, model.transform(X), error)


def unusual_features(fp: FeatureProfile, share: float = 0.05) -> tuple[pd.DataFrame, str]:
    """What sets the worst-reconstructed users apart: for each input feature, the mean absolute z-score among
    the ``share`` of users with the highest reconstruction error and among the others. Returns
    ``(table sorted by the ratio, Markdown sentence naming the features that differ most)``."""
    X = fp.X
    z = ((X - X.mean()) / X.std(ddof=0).replace(0, 1)).abs()
    worst = fp.error >= fp.error.quantile(1 - share)
    table = pd.DataFrame({"mean |z|, worst users": z[worst.to_numpy()].mean(),
                          "mean |z|, other users": z[~worst.to_numpy()].mean()})
    table["ratio"] = table.iloc[:, 0] / table.iloc[:, 1].replace(0, np.nan)
    table = table.sort_values("ratio", ascending=False)
    top = table.head(3)
    sentence = (f"The {int(worst.sum()):,} worst-reconstructed users (top {num(share * 100, 0)} per cent of the "
                f"error) lie furthest from the average user in {listing(top.index)} (mean |z| "
                f"{listing(num(v, 2) for v in top.iloc[:, 0])} against {listing(num(v, 2) for v in top.iloc[:, 1])} "
                f"for the other users): the reconstruction error flags unusual behaviour.")
    return table, sentence


def best_baseline(split: Split, cfg: Profile, seed: int = 0, metric: str = NDCG10) -> tuple[str, pd.Series]:
    """The baseline with the best validation ``metric`` and every baseline's validation value."""
    valid = baseline_evaluations(split, cfg, seed, stage="valid")
    scores = pd.Series({m: e.per_user[metric].mean() for m, e in valid.items()}, name=f"valid {metric}")
    return str(scores.idxmax()), scores


def latent_sweep(split: Split, sizes: tuple[int, ...], max_epochs: int, seed: int = 0,
                 patience: int = PATIENCE["ae"]) -> pd.DataFrame:
    """Mult-VAE at each latent size, everything else fixed. Columns: ``latent``, ``valid ndcg@10``,
    ``ndcg@10`` (test), ``best epoch``; the size to keep is the row with the best validation value."""
    rows = []
    for d in sizes:
        m = cached_fit(MultVAE(latent=d, seed=seed, max_epochs=max_epochs, patience=patience), split)
        rows.append({"latent": d, VALID_NDCG10: evaluate(m, split, stage="valid").per_user[NDCG10].mean(),
                     NDCG10: evaluate(m, split).per_user[NDCG10].mean(), "best epoch": m.fit_.best_epoch})
    return pd.DataFrame(rows)


def shop_autoencoders(shop: str, data_path: str | None, cfg: Profile, seed: int = 0
                      ) -> tuple[pd.DataFrame, dict[str, Evaluation], Split]:
    """Next purchase on a shop log: the baselines, Mult-VAE and Mult-DAE (:data:`SHOP_SETTINGS`) on one split.
    Returns ``(results table, the two autoencoders' evaluations, the split)``."""
    split = prepare(shop, data_path, target="purchase")
    base = baseline_evaluations(split, cfg, seed)
    vae, _, _ = run_seeds(lambda s: shop_encoder("ae", cfg, s), split, 1, "multvae", seed)
    dae, _, _ = run_seeds(lambda s: MultDAE(seed=s, **SHOP_SETTINGS), split, 1, "multdae", seed)
    table = results_table([*base.values(), vae, dae], n_boot=cfg.n_boot, seed=seed)
    return table, {"multvae": vae, "multdae": dae}, split


__all__ = ["FeatureProfile", "SHOP_SETTINGS", "best_baseline", "fit_feature_autoencoder", "latent_sweep",
           "shop_autoencoders", "unusual_features"]
