"""Next-purchase ranking on a shop log (the article's section 4.3): every model of notebooks 02-06 on one
split, and whether multi-behaviour input beats purchases alone.

Protocol: :func:`recnb.experiment.prepare` with ``target="purchase"``: each user's last new purchase is the
test target, the one before it the validation target, and every earlier event of any type (view, fav, cart,
purchase) is history. Purchased items are masked at ranking time; viewed or carted items stay rankable
(buying what one looked at is the commonest purchase). :func:`~recnb.data.split.restrict_inputs` gives the
same split with purchases as the only history, so both inputs are scored on identical test users.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..evaluate.names import NDCG10
from ..data.split import Split
from ..evaluate import Evaluation, paired_test
from ..models.base import Fitted
from ..modelcache import cached_fit
from ..models.baselines import SeenItems
from ..models.fusion import ScoreEnsemble
from ..profile import Profile
from ..recipes import ENCODERS, SHOP_FUSIONS, fit_baselines, fit_encoders, fusion_variants
from ..train import validation_score

ENCODER_NAMES = {"ae": "mult-vae", "seq": "gru", "graph": "lightgcn"}
FUSION_CANDIDATES = ("ensemble", "late", "cascade", "ensemble+seen")
"""The fusions the case study fits, in the order they are tried: the score ensemble of the encoders, the late
fusion (frozen encoders, an MLP head over the catalogue), the article's cascade (autoencoder latent → RNN →
graph, trained end to end; these three need two or more encoders, the cascade Mult-VAE among them) and the score
ensemble of the encoders with the re-find rule. None is preferred in advance: :func:`choose` picks one on
validation."""


def next_purchase_models(split: Split, cfg: Profile, seed: int = 0, encoders: tuple[str, ...] = ENCODERS,
                         trained_fusions: bool = True, progress: bool = False) -> dict[str, Fitted]:
    """The case study's recipe, fitted on ``split`` through the model cache: the baselines of notebook 02
    (:func:`~recnb.recipes.fit_baselines`: ``pop``, ``itemknn``, ``ease``, ``bpr``) and ``seen``, the shop
    ``encoders`` (:func:`~recnb.recipes.shop_encoder`, named ``mult-vae``, ``gru``, ``lightgcn``) and the fusions of
    :data:`FUSION_CANDIDATES`: the score ``ensemble``, the ``late`` fusion and the ``cascade`` as notebook 06 fits
    them on a shop (:data:`~recnb.recipes.SHOP_FUSIONS`, capped at ``cfg.shop_epochs`` epochs; on the same split
    notebook 06's models are served, not trained again), and ``ensemble+seen``, the encoders mixed with the re-find
    baseline (weight step 0.2); ``trained_fusions=False`` leaves out the two fusions trained by gradient steps (the
    late fusion and the cascade). Weights, epochs and hyper-parameters are chosen on the validation targets."""
    base = fit_baselines(split, cfg, seed, progress=progress)
    models: dict[str, Fitted] = {"pop": base["pop"], "seen": SeenItems().fit(split),
                                 **{k: m for k, m in base.items() if k != "pop"}}
    enc = fit_encoders(split, cfg, seed, which=encoders, progress=progress, shop=True)
    models.update({ENCODER_NAMES[k]: m for k, m in enc.items()})
    if len(enc) > 1:
        variants = fusion_variants(enc, epochs=cfg.shop_epochs, seed=seed, progress=progress,
                                   **{**SHOP_FUSIONS, "cascade": "ae" in enc})  # type: ignore[arg-type]
        for name in FUSION_CANDIDATES if trained_fusions else ("ensemble",):
            if name in variants:
                models[name] = cached_fit(variants[name], split)
    models["ensemble+seen"] = ScoreEnsemble({**enc, "seen": models["seen"]}, step=0.2).fit(split)
    return models


def best_by_validation(models: dict[str, Fitted], split: Split, names: list[str]) -> str:
    """The name among ``names`` with the highest validation NDCG@10 (never the test targets)."""
    if not names:
        raise ValueError(f"best_by_validation: no candidate among the models {list(models)}")
    return max(names, key=lambda n: validation_score(models[n], split))


def validation_scores(models: dict[str, Fitted], split: Split) -> dict[str, float]:
    """Validation NDCG@10 of every model (the only numbers any choice of the case study reads)."""
    return {n: validation_score(m, split) for n, m in models.items()}


def choose(valid: dict[str, float]) -> dict[str, str]:
    """The best encoder (of :data:`ENCODER_NAMES`) and the best fusion (of :data:`FUSION_CANDIDATES`) by their
    validation NDCG@10 ``valid`` (:func:`validation_scores`): ``{"encoder": name, "fusion": name}``."""
    out = {}
    for role, names in (("encoder", ENCODER_NAMES.values()), ("fusion", FUSION_CANDIDATES)):
        cands = {n: v for n, v in valid.items() if n in names}
        if not cands:
            raise ValueError(f"choose: no {role} among the models {list(valid)}")
        out[role] = max(cands, key=cands.__getitem__)
    return out


def input_effect(multi: dict[str, Evaluation], purchases: dict[str, Evaluation], n_boot: int = 1000,
                 seed: int = 0) -> pd.DataFrame:
    """Per model: NDCG@10 with all behaviours as input, with purchases only, and the paired difference
    (all - purchases) with its 95% CI and p-value."""
    rows = []
    for name in multi:
        if name not in purchases:
            continue
        t = paired_test(multi[name], purchases[name], n_boot=n_boot, seed=seed)
        rows.append({"model": name, "all behaviours": multi[name].per_user[NDCG10].mean(),
                     "purchases only": purchases[name].per_user[NDCG10].mean(), "difference": t["diff"],
                     "CI low": t["ci_low"], "CI high": t["ci_high"], "p": t["p_wilcoxon"]})
    return pd.DataFrame(rows)


def beyond_table(evals: dict[str, Evaluation], k: int = 10) -> pd.DataFrame:
    """The business-facing figures of each model's top-``k``: catalogue coverage, novelty, long-tail share,
    category diversity (where categories exist) and average recommended popularity."""
    cols = [f"coverage@{k}", f"novelty@{k}", f"tail@{k}", f"diversity@{k}", f"arp@{k}"]
    frame = pd.DataFrame({n: {c: e.beyond.get(c, np.nan) for c in cols} for n, e in evals.items()}).T
    return frame.dropna(axis=1, how="all")


__all__ = ["ENCODER_NAMES", "FUSION_CANDIDATES", "next_purchase_models", "best_by_validation", "validation_scores", "choose", "input_effect",
           "beyond_table"]
