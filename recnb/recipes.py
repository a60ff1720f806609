"""Recipes: which models a notebook fits, with which settings and which :class:`~recnb.profile.Profile` fields.

``recnb.models`` holds models only; the choices of the study (each encoder's settings and patience, the
patience of each fusion, which pairs of encoders are fused) live here, once; each recipe's docstring names the
profile fields it reads (:func:`fusion_variants` is given ``fusion_epochs``, or ``shop_epochs`` on a shop
log). On a shop log every notebook trains the same encoders (:func:`shop_encoder`) and fusions
(:data:`SHOP_FUSIONS`), so the model cache serves notebook 07 what 03, 04 or 06 fitted. The case study's
line-up is :func:`recnb.analysis.shop.next_purchase_models`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from tqdm.auto import tqdm

from .data.split import Split
from .env import show_progress
from .modelcache import cached_fit
from .models.autoencoder import MultVAE
from .models.base import Fitted, Recommender
from .models.baselines import BPRMF, EASE, ItemKNN, MostPopular
from .models.fusion import CascadeFusion, GatedFusion, LateFusion, ScoreEnsemble
from .models.graph import GraphRecommender
from .models.sequence import SequenceRecommender
from .profile import Profile

ENCODERS = ("ae", "seq", "graph")
"""The three encoders of the fusion study: autoencoder (latent interest), sequence (temporal), graph (relation)."""


def fit_baselines(split: Split, cfg: Profile, seed: int = 0, progress: bool = True) -> dict[str, Fitted]:
    """The four baselines with their default grids, fitted on ``split``: ``{"pop", "itemknn", "ease", "bpr"}``
    (EASE with the size limit ``cfg.ease_items``, see :mod:`recnb.models.ease`; BPR-MF at ``cfg.bpr_epochs``
    epochs), each through the model cache."""
    models: dict[str, Fitted] = {"pop": MostPopular(), "itemknn": ItemKNN(), "ease": EASE(max_items=cfg.ease_items),
                                 "bpr": BPRMF(seed=seed, max_epochs=cfg.bpr_epochs, progress=progress)}
    for name, m in tqdm(list(models.items()), desc="baselines", leave=False, disable=not show_progress(progress)):
        models[name] = cached_fit(m, split)
    return models


PATIENCE: dict[str, int] = {"ae": 10, "seq": 8, "graph": 8}
"""Early-stopping patience of each encoder family, in epochs without a better validation NDCG@10 (notebooks 03,
04 and 05 and every fusion use these). Read off ML-100K validation curves trained with a patience of 30: a
longer wait found no better epoch for any encoder; the vanilla RNN (step 3e-3) needs about 8, its validation
score staying flat for a few epochs before it rises."""


def encoder(kind: str, cfg: Profile, seed: int = 0, epochs: int | None = None, dim: int = 64, max_len: int = 50,
            progress: bool = True, **kw: object) -> Recommender:
    """One unfitted encoder of the study, as notebooks 03-05 train it: ``"ae"`` Mult-VAE (latent 200;
    ``cfg.ae_epochs``), ``"seq"`` a sequence model (``cell`` in ``kw``, default the GRU; ``cfg.seq_epochs``),
    ``"graph"`` LightGCN (2 layers, softmax loss, step 1e-2; ``cfg.graph_epochs``), each with the patience of
    :data:`PATIENCE`. ``epochs`` overrides the profile's cap (the shop logs use ``cfg.shop_epochs``); ``kw``
    sets any other setting of the model. The same arguments give the same model, so :func:`recnb.modelcache.cached_fit`
    fits it once for every notebook that asks."""
    if kind == "ae":
        return MultVAE(max_epochs=cfg.ae_epochs if epochs is None else epochs, patience=PATIENCE["ae"], seed=seed,
                       progress=progress, **kw)  # latent, variational ...
    if kind == "seq":
        cell = str(kw.pop("cell", "gru"))
        return SequenceRecommender(cell, dim=dim, max_len=max_len, max_epochs=cfg.seq_epochs if epochs is None else epochs,
                                   patience=PATIENCE["seq"], seed=seed, progress=progress, **kw)
    if kind == "graph":
        return GraphRecommender(dim=dim, layers=2, lr=1e-2, max_epochs=cfg.graph_epochs if epochs is None else epochs,
                                patience=PATIENCE["graph"], seed=seed, progress=progress, **kw)
    raise ValueError(f"encoder: unknown kind {kind!r}; expected one of {list(ENCODERS)}")


SHOP: dict[str, dict[str, object]] = {"ae": {"hidden": 200, "latent": 64, "max_epochs": 40, "patience": 5},
                                      "seq": {"dim": 64, "max_epochs": 8, "patience": 3}}
"""Settings of the softmax encoders on a shop catalogue (tens of thousands of items): Mult-VAE narrower than the
paper's (hidden 200, latent 64), the GRU on a budget of epochs (a full softmax at every position)."""

SHOP_FUSIONS: dict[str, object] = {"pairs": False, "finetune": False, "max_len": 20, "cascade_batch": 128}
""":func:`fusion_variants` on a shop log (notebooks 06 and 07): the fusions over all three encoders only (no pairs,
no fine-tuned late fusion), the cascade's RNN over the last 20 events, 128 users a step."""


def shop_encoder(kind: str, cfg: Profile, seed: int = 0, progress: bool = True) -> Recommender:
    """One unfitted encoder as every notebook trains it on a shop log: ``"ae"`` Mult-VAE and ``"seq"`` the GRU with
    the settings of :data:`SHOP`, ``"graph"`` LightGCN as :func:`encoder` makes it, capped at ``cfg.shop_epochs``."""
    if kind == "ae":
        return MultVAE(seed=seed, progress=progress, **SHOP["ae"])  # type: ignore[arg-type]
    if kind == "seq":
        return SequenceRecommender("gru", seed=seed, progress=progress, **SHOP["seq"])  # type: ignore[arg-type]
    return encoder(kind, cfg, seed, cfg.shop_epochs, progress=progress)


def fit_encoders(split: Split, cfg: Profile, seed: int = 0, epochs: int | None = None, dim: int = 64,
                 max_len: int = 50, progress: bool = True, which: tuple[str, ...] = ENCODERS,
                 shop: bool = False) -> dict[str, Recommender]:
    """The encoders named in ``which`` (:func:`encoder`: ``{"ae": Mult-VAE, "seq": GRU, "graph": LightGCN}``),
    each trained alone on ``split`` through the model cache: on the same split, the models notebooks 03, 04 and
    05 trained are served, not trained again. ``epochs`` caps all three (``None``: the profile's caps). With
    ``shop`` they are the shop encoders of :func:`shop_encoder` (``epochs``, ``dim`` and ``max_len`` unused)."""
    unknown = set(which) - set(ENCODERS)
    if unknown:
        raise ValueError(f"fit_encoders: unknown encoder(s) {sorted(unknown)}; expected some of {list(ENCODERS)}")
    if shop:
        return {k: cached_fit(shop_encoder(k, cfg, seed, progress), split) for k in which}
    return {k: cached_fit(encoder(k, cfg, seed, epochs, dim, max_len, progress), split) for k in which}


def fusion_variants(encoders: Mapping[str, Recommender], epochs: int, seed: int = 0, pairs: bool = True,
                    finetune: bool = True, cascade: bool = True, max_len: int = 30, cascade_batch: int = 64,
                    progress: bool = True, fit_users: int | None = None) -> dict[str, Fitted]:
    """Unfitted fusion models over fitted ``encoders``: ``ensemble``, ``gated``, ``late`` (frozen),
    ``late-ft`` (fine-tuned; patience 5) and ``cascade`` over all three (its RNN reads the last ``max_len``
    events, ``cascade_batch`` users a step), and with ``pairs`` the ensemble and the gate over every pair, named
    like ``gated(ae+seq)`` (the two fusions that reuse the encoders' scores as they are; a late fusion per pair
    would train three more decoders per seed). ``epochs`` caps each trained fusion; ``fit_users`` bounds the
    validation users the ensemble and the gate are fitted on (None: all)."""
    out: dict[str, Fitted] = {"ensemble": ScoreEnsemble(encoders, fit_users=fit_users, seed=seed),
                              "gated": GatedFusion(encoders, seed=seed, fit_users=fit_users),
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


__all__ = ["ENCODERS", "PATIENCE", "SHOP", "SHOP_FUSIONS", "encoder", "fit_baselines", "fit_encoders", "fusion_variants",
           "shop_encoder"]
