"""Recipes: which models a notebook fits, with which settings and which :class:`~recnb.profile.Profile` fields.

``recnb.models`` holds models only; the choices of the study (the GRU's step in the fusion notebook, the
patience of each fusion, which pairs of encoders are fused) live here, once:

==========================  =====================  =================================================
recipe                      notebooks              profile fields
==========================  =====================  =================================================
:func:`fit_baselines`       02-07 (through         ``bpr_epochs``, ``ease_items``
                            :func:`~recnb.experiment.baseline_evaluations`)
:func:`fit_encoders`        06, 07                 ``fusion_epochs`` (06), ``shop_epochs`` (07)
:func:`fusion_variants`     06                     ``fusion_epochs``
==========================  =====================  =================================================

The case study's next-purchase line-up is :func:`recnb.analysis.shop.next_purchase_models` (it uses
:func:`fit_encoders`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from tqdm.auto import tqdm

from .data.split import Split
from .env import show_progress
from .models.autoencoder import MultVAE
from .models.base import Fitted, Recommender
from .models.baselines import BPRMF, EASE, ItemKNN, MostPopular
from .models.fusion import CascadeFusion, GatedFusion, LateFusion, ScoreEnsemble
from .models.graph import GraphRecommender
from .models.sequence import SequenceRecommender
from .modelcache import cached_fit
from .profile import Profile

ENCODERS = ("ae", "seq", "graph")
"""The three encoders of the fusion study: autoencoder (latent interest), sequence (temporal), graph (relation)."""


def fit_baselines(split: Split, cfg: Profile, seed: int = 0, progress: bool = True) -> dict[str, Fitted]:
    """The four baselines with their default grids, fitted on ``split``: ``{"pop", "itemknn", "ease", "bpr"}``
    (EASE capped at ``cfg.ease_items`` items, BPR-MF at ``cfg.bpr_epochs`` epochs)."""
    models: dict[str, Fitted] = {"pop": MostPopular(), "itemknn": ItemKNN(), "ease": EASE(max_items=cfg.ease_items),
                                 "bpr": BPRMF(seed=seed, max_epochs=cfg.bpr_epochs, progress=progress)}
    for name, m in tqdm(list(models.items()), desc="baselines", leave=False, disable=not show_progress(progress)):
        models[name] = cached_fit(m, split)
    return models


def fit_encoders(split: Split, epochs: int, seed: int = 0, max_len: int = 50, dim: int = 64,
                 progress: bool = True, which: tuple[str, ...] = ENCODERS) -> dict[str, Recommender]:
    """The encoders named in ``which``, each trained alone on ``split`` with the settings of notebooks 03-05:
    ``{"ae": Mult-VAE, "seq": GRU, "graph": LightGCN (2 layers, softmax loss)}``; ``epochs`` caps each,
    patience 10. The GRU's step is 1e-2 (notebook 04 uses 3e-3): it stops sooner at a similar accuracy."""
    makers = {
        "ae": lambda: MultVAE(max_epochs=epochs, patience=10, seed=seed, progress=progress),
        "seq": lambda: SequenceRecommender("gru", dim=dim, max_len=max_len, lr=1e-2, max_epochs=epochs, patience=10,
                                           seed=seed, progress=progress),
        "graph": lambda: GraphRecommender(dim=dim, layers=2, lr=1e-2, max_epochs=epochs, patience=10, seed=seed,
                                          progress=progress),
    }
    unknown = set(which) - set(makers)
    if unknown:
        raise ValueError(f"fit_encoders: unknown encoder(s) {sorted(unknown)}; expected some of {list(makers)}")
    return {k: cached_fit(makers[k](), split) for k in which}


def fusion_variants(encoders: Mapping[str, Recommender], epochs: int, seed: int = 0, pairs: bool = True,
                    finetune: bool = True, cascade: bool = True, max_len: int = 30, cascade_batch: int = 64,
                    progress: bool = True) -> dict[str, Fitted]:
    """Unfitted fusion models over fitted ``encoders``: ``ensemble``, ``gated``, ``late`` (frozen),
    ``late-ft`` (fine-tuned; patience 5) and ``cascade`` over all three (its RNN reads the last ``max_len``
    events, ``cascade_batch`` users a step), and with ``pairs`` the ensemble and the gate over every pair, named
    like ``gated(ae+seq)`` (the two fusions that reuse the encoders' scores as they are; a late fusion per pair
    would train three more decoders per seed). ``epochs`` caps each trained fusion."""
    out: dict[str, Fitted] = {"ensemble": ScoreEnsemble(encoders), "gated": GatedFusion(encoders, seed=seed),
                              "late": LateFusion(encoders, max_epochs=epochs, seed=seed, progress=progress)}
    if finetune:
        out["late-ft"] = LateFusion(encoders, finetune=True, max_epochs=epochs, patience=5, seed=seed,
                                    progress=progress)
    if cascade:
        ae = encoders["ae"]
        if not isinstance(ae, MultVAE):
            raise TypeError(f"fusion_variants: the cascade starts from a fitted MultVAE, got {type(ae).__name__}")
        out["cascade"] = CascadeFusion(ae, max_len=max_len, user_batch=cascade_batch, max_epochs=epochs,
                                       patience=10, seed=seed, progress=progress)
    for keys in itertools.combinations(encoders, 2) if pairs else []:
        sub = {k: encoders[k] for k in keys}
        out[f"ensemble({'+'.join(keys)})"] = ScoreEnsemble(sub)
        out[f"gated({'+'.join(keys)})"] = GatedFusion(sub, seed=seed)
    return out


__all__ = ["ENCODERS", "fit_baselines", "fit_encoders", "fusion_variants"]
