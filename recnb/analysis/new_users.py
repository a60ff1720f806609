"""A new user, simulated on held-out real users: the article's section 4.3 (新用户推荐) made measurable.

Protocol (:func:`new_users`):

1. Candidates are test users of a leave-last-out split with at least ``max(levels)`` history events before
   their test target, whose target item is not among those first events (so the curve measures learning a
   taste, not re-finding an item already shown).
2. A seeded ``fraction`` of them is held out: every one of their events except the test target is removed
   from the split, so no model trains on them (they have no train events and no validation target).
3. :meth:`NewUsers.reveal` gives, for ``n`` events known, the same split with each held-out user's first
   ``n`` events (time order, any event type) as their history; the target stays the same for every ``n``.

Models are trained once on :attr:`NewUsers.base` and scored on each revealed split (:func:`new_user_curve`)
through :meth:`~recnb.models.base.Fitted.bind`
(models that read the history at scoring time fold the new user in: popularity ignores it, EASE and
ItemKNN multiply it by their item-item weights, Mult-VAE encodes it, a GRU reads it as a sequence; a
LightGCN user node was never trained, so only its propagated layers carry the revealed items).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..evaluate.names import NDCG10
from ..data.split import Split
from ..evaluate import Evaluation, bootstrap_ci, evaluate
from ..models.base import Fitted


@dataclass
class NewUsers:
    """Held-out users of ``base`` and their first events.

    Attributes:
        base: the split without the held-out users' events (their test target kept), for training.
        split: the split it was made from.
        users: held-out user indices, shape (n,).
        targets: their test target items, shape (n,).
        first_rows: row labels in ``split.events`` of each held-out user's first ``max(levels)`` events,
            shape (n, max(levels)), time order.
        levels: the numbers of revealed events.
        kept: row labels in ``split.events`` that ``base`` keeps.
    """

    base: Split
    split: Split
    users: np.ndarray
    targets: np.ndarray
    first_rows: np.ndarray
    levels: tuple[int, ...]
    kept: np.ndarray

    def first_items(self, n: int) -> np.ndarray:
        """Items of each held-out user's first ``n`` events, shape (len(users), n)."""
        return self.split.events["i"].to_numpy()[self.first_rows[:, :n]]

    def reveal(self, n: int) -> Split:
        """``base`` plus each held-out user's first ``n`` events as history (role ``gap``); test targets
        are the held-out users' only. ``n = 0`` is ``base`` with no history at all."""
        ev = self.split.events
        keep = np.zeros(len(ev), dtype=bool)
        keep[self.kept] = True
        keep[self.first_rows[:, :n].ravel()] = True
        role = ev["role"].to_numpy().copy()
        role[self.first_rows[:, :n].ravel()] = "gap"
        events = ev.assign(role=pd.Categorical(role, categories=ev["role"].cat.categories))[keep]
        return self.base.derive(events=events.reset_index(drop=True), test_users=self.users,
                                test_items=self.targets, protocol=f"{self.base.protocol}; new users see {n} events")


def new_users(split: Split, levels: tuple[int, ...] = (1, 2, 5, 10, 20), fraction: float = 0.2,
              seed: int = 0, max_users: int | None = None) -> NewUsers:
    """Hold out a seeded ``fraction`` of the eligible test users of ``split`` as new users (see the
    module docstring). Raises ``ValueError`` when no user is eligible."""
    top = max(levels)
    ev = split.events
    hist = ev["role"].isin(["train", "valid", "gap"]).to_numpy()
    u = ev["u"].to_numpy()
    rank = pd.Series(hist).groupby(u).cumsum().to_numpy() - 1  # 0-based position among history rows
    is_first = hist & (rank < top)
    n_hist = np.bincount(u[hist], minlength=split.n_users)
    target = np.full(split.n_users, -1)
    target[split.test_users] = split.test_items
    first_pairs = pd.DataFrame({"u": u[is_first], "i": ev["i"].to_numpy()[is_first]})
    repeats = first_pairs[first_pairs["i"].to_numpy() == target[first_pairs["u"].to_numpy()]]["u"].unique()
    eligible = np.setdiff1d(split.test_users[n_hist[split.test_users] >= top], repeats)
    if len(eligible) == 0:
        raise ValueError(f"new_users: no test user of {split.name!r} has {top} history events before a new target")
    rng = np.random.default_rng(seed)
    k = max(1, round(fraction * len(eligible)))
    if max_users is not None:
        k = min(k, max_users)
    users = np.sort(rng.choice(eligible, size=k, replace=False))
    held = np.zeros(split.n_users, dtype=bool)
    held[users] = True
    rows = np.flatnonzero(is_first & held[u])
    first_rows = rows.reshape(len(users), top)  # events are ordered by user, then time
    kept = np.flatnonzero(~held[u] | (ev["role"].to_numpy() == "test"))
    events = ev.iloc[kept].reset_index(drop=True)
    vkeep = ~held[split.valid_users]
    base = split.derive(events=events, valid_users=split.valid_users[vkeep], valid_items=split.valid_items[vkeep],
                        protocol=f"{split.protocol}; {len(users)} held-out new users",
                        info={**split.info, "new users held out": len(users)})
    return NewUsers(base, split, users, target[users], first_rows, tuple(levels), kept)


def new_user_curve(nu: NewUsers, models: Mapping[str, Fitted], n_boot: int = 1000,
                   seed: int = 0) -> tuple[pd.DataFrame, dict[tuple[str, int], Evaluation]]:
    """How each of ``models`` (fitted on ``nu.base``) ranks the held-out users' target as their first
    ``n`` events are revealed, for each ``n`` of ``nu.levels``.

    Returns ``(curve, evaluations)``: ``curve`` is tidy, one row per (model, events known, metric) with
    ``mean``, ``low`` and ``high`` (95% bootstrap CI over the held-out users) for NDCG@10 and category
    precision@10 (:func:`category_precision`); ``evaluations`` maps ``(model, n)`` to its
    :class:`~recnb.evaluate.Evaluation` (top-k lists included).
    """
    rows, evals = [], {}
    for n in nu.levels:
        revealed = nu.reveal(n)
        for name, model in models.items():
            ev = evaluate(model.bind(revealed), revealed, name=name)
            evals[(name, n)] = ev
            for metric, values in ((NDCG10, ev.per_user[NDCG10].to_numpy()),
                                   ("category precision@10", category_precision(ev, revealed, nu.targets))):
                lo, hi = bootstrap_ci(values, n_boot, seed)
                rows.append({"model": name, "events known": n, "metric": metric, "mean": values.mean(),
                             "low": lo, "high": hi})
    return pd.DataFrame(rows), evals


def category_precision(ev: Evaluation, split: Split, items: np.ndarray, k: int = 10) -> np.ndarray:
    """Per user: the share of the top-``k`` in the category of ``items`` (one per evaluated user), shape
    (n,). Items without a category count as misses."""
    cats = split.item_category
    top = cats[ev.topk[:, :k]]
    want = cats[items][:, None]
    return ((top == want) & (want >= 0)).mean(1)


def dominant_category(split: Split, items: np.ndarray) -> tuple[int, float]:
    """The most frequent category among ``items`` (shape (n,)) and its share; (-1, 0.0) without categories."""
    cats = split.item_category[items]
    cats = cats[cats >= 0]
    if len(cats) == 0:
        return -1, 0.0
    values, counts = np.unique(cats, return_counts=True)
    j = int(np.argmax(counts))
    return int(values[j]), float(counts[j] / len(items))


__all__ = ["NewUsers", "new_users", "new_user_curve", "category_precision", "dominant_category"]
