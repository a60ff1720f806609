"""Fusion of the three encoders into one user vector: the article's sections 3.2.4 and 4.2.

The encoders (each already fitted on the same split, each a :class:`~recnb.models.base.Recommender` with
``vectors``, ``user_vectors`` and ``score``): ``ae`` (latent interest z,
:class:`~recnb.models.autoencoder.MultVAE`), ``seq`` (temporal feature h,
:class:`~recnb.models.sequence.SequenceRecommender`) and ``graph`` (relation feature g,
:class:`~recnb.models.graph.GraphRecommender`). Four ways to combine them, one module per family, all
with ``fit(split)``, ``score(users, stage)`` and ``user_vectors(users, stage)``, and a two-model score mix:

* :mod:`.ensemble`, :class:`ScoreEnsemble`: Σ_k w_k standardise(s_k), weights chosen on validation NDCG@10;
  the simple rival every learned fusion must beat.
* :mod:`.late`, :class:`LateFusion`: u = [z; h; g] -> MLP decoder over the catalogue, encoders frozen or
  fine-tuned; :class:`GatedFusion`: per-user softmax weights over the encoders' standardised scores.
* :mod:`.hybrid`, :class:`Hybrid`: z(ID model) + w · z(text model), the ID + text mix of the cold-item task.
* :mod:`.cascade`, :class:`CascadeFusion`: the article's section 4.2 cascade trained end to end, autoencoder
  latent of the history up to t -> RNN state -> graph node (no later event leaks into the next-item loss).

Scores are standardised per user (zero mean, unit variance over the catalogue) before they are mixed, since the
three encoders' logits live on different scales (:mod:`.common`). Which fusions a notebook fits, with which
settings, is a recipe: :func:`recnb.recipes.fusion_variants`.
"""

from __future__ import annotations

from .cascade import CascadeFusion
from .common import FixedScores, concat_vectors, simplex_grid, stacked_scores, standardise
from .ensemble import ScoreEnsemble
from .hybrid import Hybrid, finite_standardise
from .late import GatedFusion, LateFusion

__all__ = ["CascadeFusion", "ScoreEnsemble", "Hybrid", "finite_standardise", "LateFusion", "GatedFusion", "FixedScores", "concat_vectors",
           "simplex_grid", "stacked_scores", "standardise"]
