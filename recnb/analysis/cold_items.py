"""New items, the case item IDs cannot handle: the cold-item protocol of notebook 09.

Protocol (:func:`cold_items`): a seeded random ``share`` of the catalogue becomes **cold**: those items never
appear in training (no event of the ``train`` role, so no ID model can learn them). Two derived splits are
returned, each by :func:`recnb.data.split.hold_out_items` applied to a different set of eligible targets
(first occurrences of a (user, item) pair among target-type events, in the base split's time order):

* ``cold``: each user's **last cold-item event is the test target** and the one before it the validation
  target, ranked **among cold items only** (the split's ``candidates``), for every user who consumed a cold
  item. Warm events before the validation target are ``train``; the user's earlier cold events become
  ``gap`` (in the test-time history, never in training); warm events after the test target are dropped
  (counted in ``info``). Validation histories hold the earlier cold items too, as test histories do
  (the split's ``gap_in_valid``). This is the standard item-cold-start question (e.g. DropoutNet, Volkovs
  et al., NeurIPS 2017) asked under a time-ordered protocol: "which of the new items will this user take next?"
* ``mixed``: the base split's targets (each user's last two events, cold or warm) ranked over the whole
  catalogue, with cold items removed from training the same way: the realistic catalogue where new
  items arrive among known ones; :func:`target_is_cold` tells which targets are new.

Baselines for cold items are models: :class:`~recnb.models.cold.PopularityByGenre` and
:class:`~recnb.models.cold.RandomRanker`; the ID + text mix is :class:`~recnb.models.fusion.Hybrid`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..data.split import Split, hold_out_items


@dataclass
class ColdItems:
    """The cold-item protocol's derived splits (see the module docstring).

    Attributes:
        cold: boolean, shape (n_items,): the items removed from training.
        cold_split: targets are cold items, ranked among cold items only.
        mixed_split: the base split's targets, ranked over the whole catalogue (no candidate restriction).
        share, seed: how ``cold`` was drawn.
    """

    cold: np.ndarray
    cold_split: Split
    mixed_split: Split
    share: float
    seed: int
    info: dict[str, int] = field(default_factory=dict)


def cold_items(split: Split, share: float = 0.2, seed: int = 0) -> ColdItems:
    """Draw ``round(share * n_items)`` cold items with ``numpy.random.default_rng(seed)`` and derive the
    ``cold`` and ``mixed`` splits (module docstring). Raises ``AssertionError`` if a cold item were left in
    training (cannot happen by construction; checked because everything downstream relies on it)."""
    if not 0 < share < 1:
        raise ValueError(f"share {share}: expected a fraction in (0, 1)")
    rng = np.random.default_rng(seed)
    cold = np.zeros(split.n_items, dtype=bool)
    cold[rng.choice(split.n_items, int(round(share * split.n_items)), replace=False)] = True
    tag = f"{share:.0%} of items cold (seed {seed})"
    cold_split = hold_out_items(split, cold, True, "cold task",
                                f"{tag}; targets: last cold items, ranked among cold items")
    mixed = hold_out_items(split, cold, False, "mixed task", f"{tag}; targets: last items, ranked over all items")
    for s in (cold_split, mixed):
        trained = np.asarray(s.train.sum(axis=0)).ravel() > 0
        assert not (trained & cold).any(), "a cold item is in training"
    info = {"cold items": int(cold.sum()), "warm items": int((~cold).sum()),
            "cold-task test users": len(cold_split.test_users), "cold-task valid users": len(cold_split.valid_users),
            "mixed-task cold test targets": int(cold[mixed.test_items].sum()),
            "mixed-task test users": len(mixed.test_users)}
    return ColdItems(cold, cold_split, mixed, share, seed, info)


def target_is_cold(cold: np.ndarray, split: Split, stage: str = "test") -> np.ndarray:
    """Boolean per evaluated target of ``stage`` (order of ``split.target(stage)``, which is the order of
    :class:`~recnb.evaluate.Evaluation` rows): is the target a cold item? For ``Evaluation.subset``."""
    return cold[split.target(stage)[1]]


__all__ = ["ColdItems", "cold_items", "target_is_cold"]
