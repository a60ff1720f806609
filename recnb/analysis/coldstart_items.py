"""New items, the case item IDs cannot handle: a cold-item protocol, its baselines and an ID + text hybrid.

Protocol (:func:`cold_items`): a seeded random ``share`` of the catalogue becomes **cold**: those items never
appear in training (no event of the ``train`` role, so no ID model can learn them). Two derived splits are returned, each by the rules of
:mod:`recnb.data.split` applied to a different set of eligible targets (first occurrences of a (user, item)
pair among target-type events, in the base split's time order):

* ``cold``: each user's **last cold-item event is the test target** and the one before it the validation
  target, ranked **among cold items only** (:class:`CandidateSplit`), for every user who consumed a cold
  item. Warm events before the validation target are ``train``; the user's earlier cold events become
  ``gap`` (in the test-time history, never in training); warm events after the test target are dropped
  (counted in ``info``). Validation histories hold the earlier cold items too, as test histories do
  (:class:`CandidateSplit`). This is the standard item-cold-start question (e.g. DropoutNet, Volkovs et al.,
  NeurIPS 2017) asked under a time-ordered protocol: "which of the new items will this user take next?"
* ``mixed``: the base split's targets (each user's last two events, cold or warm) ranked over the whole
  catalogue, with cold items removed from training the same way: the realistic catalogue where new
  items arrive among known ones; :func:`target_is_cold` tells which targets are new.

Baselines for cold items: :class:`PopularityByGenre` (an item is as good as its genres are in the user's
history, genre popularity breaking ties) and :class:`RandomRanker`. :class:`Hybrid` adds an ID model's and a
text model's standardised scores, ``z(id) + w · z(text)``, with ``w`` chosen on validation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

from ..data.schema import EVENT_TYPES
from ..data.split import Split, _assign, _eligible
from ..evaluate import Scorer
from ..models.baselines import recency_weights
from ..train import select_on_validation


@dataclass(frozen=True, eq=False)
class CandidateSplit(Split):
    """A :class:`~recnb.data.split.Split` whose rankings are restricted to ``candidates``.

    ``candidates``: boolean, shape (n_items,). :meth:`mask` adds every non-candidate item to every user's
    mask, so :func:`recnb.evaluate.evaluate` (and every model's validation inside ``fit``) ranks only the
    candidates, with the same metric code as everywhere else.

    Validation asks the question test asks, one step earlier: the history at the ``valid`` stage is every
    event before the validation target, the train events and the ``gap`` events before it (in the cold-item
    protocol, the user's earlier cold items: consumed, so in the history and masked, but never trained on),
    just as the test history is every event before the test target. Training still reads train events only.
    """

    candidates: np.ndarray | None = None

    def _roles(self, stage: str) -> tuple[str, ...]:
        return ("train", "gap before valid") if stage == "valid" else super()._roles(stage)

    def stage_events(self, stage: str) -> pd.DataFrame:
        if stage != "valid":
            return super().stage_events(stage)
        ev = self.events
        u, role = ev["u"].to_numpy(), ev["role"].to_numpy()
        valid_row = np.full(self.n_users, -1)
        rows = np.flatnonzero(role == "valid")
        valid_row[u[rows]] = rows
        keep = (role == "train") | ((role == "gap") & (np.arange(len(ev)) < valid_row[u]))
        return ev[keep]

    def mask(self, stage: str = "test") -> sp.csr_matrix:
        key = ("candidate-mask", stage, self._roles(stage))
        if key not in self._memo:
            m = super().mask(stage)
            if self.candidates is not None:
                out = np.flatnonzero(~self.candidates)
                rows = np.repeat(np.arange(self.n_users), len(out))
                block = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, np.tile(out, self.n_users))),
                                      shape=m.shape)
                m = (m + block).tocsr()
                m.data[:] = 1.0
            self._memo[key] = m
        return self._memo[key]  # type: ignore[return-value]


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
    cold_split: CandidateSplit
    mixed_split: CandidateSplit
    share: float
    seed: int
    info: dict[str, int] = field(default_factory=dict)


def _derive(split: Split, cold: np.ndarray, eligible_cold_only: bool, label: str, what: str) -> Split:
    ev = split.events.drop(columns="role")
    ev.attrs = {}
    eligible = _eligible(ev, split.targets, split.new_items)
    if eligible_cold_only:
        eligible &= cold[ev["i"].to_numpy()]
    rows = np.flatnonzero(eligible)
    last = pd.Series(rows).groupby(ev["u"].to_numpy()[rows]).cumcount(ascending=False).to_numpy()
    frame = _assign(ev, rows[last == 1], rows[last == 0], split.n_users)
    role = frame["role"].to_numpy().astype(object)
    role[(role == "train") & cold[frame["i"].to_numpy()]] = "gap"  # cold items never train
    after = int((role == "after").sum())
    frame = frame.assign(role=pd.Categorical(role, categories=frame["role"].cat.categories))
    frame = frame[role != "after"].reset_index(drop=True)
    u, r = frame["u"].to_numpy(), frame["role"].to_numpy()
    has_train = np.bincount(u[r == "train"], minlength=split.n_users) > 0
    has_hist = np.bincount(u[np.isin(r, ["train", "valid", "gap"])], minlength=split.n_users) > 0
    v, t = (r == "valid"), (r == "test")
    v_ok = v & has_train[u]
    t_ok = t & has_hist[u]
    info = {**split.info, f"{label}: events dropped after the test target": after,
            f"{label}: valid targets without train history": int((v & ~v_ok).sum()),
            f"{label}: test targets without history": int((t & ~t_ok).sum())}
    i = frame["i"].to_numpy()
    return split.derive(events=frame, valid_users=u[v_ok], valid_items=i[v_ok], test_users=u[t_ok],
                        test_items=i[t_ok], protocol=f"{split.protocol}; {what}", info=info)


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
    base = _derive(split, cold, True, "cold task", f"{tag}; targets: last cold items, ranked among cold items")
    cold_split = CandidateSplit(**{f.name: getattr(base, f.name) for f in fields(Split) if f.init}, candidates=cold)
    base = _derive(split, cold, False, "mixed task", f"{tag}; targets: last items, ranked over all items")
    mixed = CandidateSplit(**{f.name: getattr(base, f.name) for f in fields(Split) if f.init}, candidates=None)
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


def genre_matrix(items: pd.DataFrame, split: Split, column: str = "genres") -> tuple[sp.csr_matrix, list[str]]:
    """Binary item x genre matrix in ``split``'s item order from a ``|``-separated ``column`` of the item
    table; shape (n_items, n_genres), with the genre names. Items missing from the table or with no genre
    have an empty row (counted in the error if none has any)."""
    if column not in items.columns:
        raise ValueError(f"{split.name}: the item table has no {column!r} column (columns: "
                         f"{', '.join(map(str, items.columns))}); popularity-by-genre needs genres")
    g = items.set_index("item_id")[column].astype("string").reindex(split.item_ids)
    long = g.str.split("|").explode().str.strip()
    long = long[long.notna() & (long != "")]
    pos = pd.Series(np.arange(split.n_items), index=split.item_ids).loc[long.index].to_numpy()
    codes, names = pd.factorize(long.to_numpy())
    if len(names) == 0:
        raise ValueError(f"{split.name}: no item of the split has a genre in column {column!r}")
    m = sp.csr_matrix((np.ones(len(pos), dtype=np.float32), (pos, codes)), shape=(split.n_items, len(names)))
    m.data[:] = 1.0
    return m, [str(n) for n in names]


class PopularityByGenre:
    """Items ranked by how much of the user's (recency-weighted) history shares their genres.

    With p_u(g) the share of genre g in the user's history, each event weighted by ``decay`` ^ (events of the
    user after it) as the zero-shot text model weights it (:func:`~recnb.models.baselines.recency_weights`),
    and G the item x genre matrix: score(u, i) = mean over i's genres of p_u(g) + 1e-3 · mean over i's genres
    of the genre's share of all train interactions (ties between items of equally liked genres go to the more
    popular genres). ``decay`` is chosen on validation NDCG@10 from ``decays``, the same grid the text model
    gets. No item-level statistic is used, so cold and warm items are treated alike.

    Args:
        item_genres: (n_items, n_genres) binary, from :func:`genre_matrix`.
        decays: recency decays to choose from (1.0 = every event counts the same).
    """

    def __init__(self, item_genres: sp.csr_matrix, decays: tuple[float, ...] = (1.0,)) -> None:
        g = sp.csr_matrix(item_genres, dtype=np.float64)
        k = np.asarray(g.sum(axis=1)).ravel()
        self.genres_ = g
        self.mean_ = sp.diags(np.where(k > 0, 1.0 / np.maximum(k, 1), 0.0)) @ g  # row-normalised: means
        self.decays = decays

    def fit(self, split: Split) -> PopularityByGenre:
        if self.genres_.shape[0] != split.n_items:
            raise ValueError(f"item_genres has {self.genres_.shape[0]} rows, the split has {split.n_items} items")
        self.split_ = split
        share = np.asarray((split.train @ self.genres_).sum(axis=0)).ravel()
        self.tiebreak_ = np.asarray(self.mean_ @ (share / max(share.sum(), 1.0))).ravel() * 1e-3
        self._weights: dict[tuple[str, float], sp.csr_matrix] = {}
        self.scores_ = select_on_validation(self, split, "decay_", self.decays)
        return self

    def score(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        key = (stage, self.decay_)
        if key not in self._weights:
            self._weights[key] = recency_weights(self.split_, stage, self.decay_)
        h = self._weights[key][np.asarray(users)]
        counts = np.asarray((h @ self.genres_).todense())
        p = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1e-300)
        s = np.asarray(self.mean_ @ p.T).T + self.tiebreak_[None, :]
        return torch.from_numpy(s.astype(np.float32))


class RandomRanker:
    """A random ranking in expectation: every item gets the same score, and the study's tie-aware metrics
    (:func:`recnb.evaluate.tie_aware_metrics`) then give exactly the mean over uniformly random orders, with
    no sampling noise."""

    def fit(self, split: Split) -> RandomRanker:
        self.split_ = split
        return self

    def score(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        return torch.zeros(len(users), self.split_.n_items)


def _standardise(s: torch.Tensor) -> torch.Tensor:
    """Per-row z-scores over the finite entries (a constant row becomes zeros)."""
    s = s.to(torch.float32)
    ok = torch.isfinite(s)
    x = torch.where(ok, s, torch.zeros_like(s))
    n = ok.sum(1, keepdim=True).clamp_min(1)
    mean = x.sum(1, keepdim=True) / n
    var = (torch.where(ok, s - mean, torch.zeros_like(s)) ** 2).sum(1, keepdim=True) / n
    return torch.where(ok, (s - mean) / var.sqrt().clamp_min(1e-8), torch.full_like(s, -1e9))


class Hybrid:
    """score = z(ID model) + w · z(text model), z = per-user standardisation over the items; ``w`` chosen
    on validation NDCG@10 from ``weights``. Both models must already be fitted on the split given to
    :meth:`fit` (their histories are that split's)."""

    def __init__(self, id_model: Scorer, text_model: Scorer,
                 weights: tuple[float, ...] = (0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0)) -> None:
        self.id_model, self.text_model, self.weights = id_model, text_model, weights

    def fit(self, split: Split) -> Hybrid:
        for m in (self.id_model, self.text_model):
            if getattr(m, "split_", split) is not split:
                raise ValueError(f"{type(m).__name__} was fitted on another split; fit it on this one first")
        self.split_ = split
        self.scores_ = select_on_validation(self, split, "w_", self.weights)
        return self

    def score(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        a = _standardise(self.id_model.score(users, stage))
        return a + self.w_ * _standardise(self.text_model.score(users, stage)).to(a.device) if self.w_ else a


__all__ = ["CandidateSplit", "ColdItems", "cold_items", "target_is_cold", "genre_matrix", "PopularityByGenre",
           "RandomRanker", "Hybrid"]
