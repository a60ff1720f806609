"""What each notebook needs of a log, checked by the report runner before the notebook starts.

A reader may bring any valid log (``--dataset canonical --data-path FILE``). Cleaning (duplicates, missing
values, the rating range, the 5-distinct-item user core of :func:`recnb.experiment.prepare`) can leave too
little for a notebook; rather than let it die deep inside a model or a figure, the runner reads the
:class:`Facts` of the prepared split once and checks each notebook's :class:`Contract`:

* a notebook whose contract holds runs;
* one whose contract fails is marked ``skipped`` with a reason rendered from the values ("needs at least 20
  users with 5 distinct items after cleaning; this log has 0 of 300"), in ``manifest.json`` and ``index.html``;
* when every notebook asked for that reads the prepared split would be skipped, the whole run is refused before
  any notebook starts (:class:`Refused`), in one sentence saying what cleaning left.

Every contract is declared here, in :data:`CONTRACTS`, one per notebook number (one idea in one place).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from .data.cache import FILE_SOURCES
from .data.schema import Dataset


class Refused(ValueError):
    """A log too small for every notebook asked for; ``str()`` is the one sentence that says why."""


@dataclass(frozen=True)
class Facts:
    """What a log holds before and after :func:`recnb.experiment.prepare` (its cleaning and split)."""

    name: str
    raw_events: int
    raw_users: int
    raw_items: int
    users: int
    """Users of the prepared split (each with a test target)."""
    items: int
    """Items of the prepared split's catalogue."""
    events: int
    """Events kept by cleaning."""
    user_k: int
    """Distinct items a user needs to survive cleaning."""
    target: str | None
    """The event type predicted (``None``: any event)."""
    clock: bool
    order: bool
    event_types: tuple[str, ...]
    titles: bool
    categories: bool
    relations: bool

    def kept(self) -> str:
        """What cleaning left, in words: ``0 of 300 users and 0 of 98 items``."""
        return f"{self.users:,} of {self.raw_users:,} users and {self.items:,} of {self.raw_items:,} items"


def _facts(ds: Dataset) -> Facts:
    from .experiment import prepare_dataset  # torch and the models: only when a report is run
    from .prose import capabilities

    target = "purchase" if (ds.events["event"] == "purchase").any() else None
    user_k = 5 if target is None else 1  # as prepare_dataset cleans
    split = prepare_dataset(ds)
    caps = capabilities(ds)
    ev = ds.events
    return Facts(name=ds.name, raw_events=len(ev), raw_users=int(ev["user_id"].nunique()),
                 raw_items=int(ev["item_id"].nunique()), users=int(len(split.test_users)), items=int(split.n_items),
                 events=int(len(split.events)), user_k=user_k, target=target, clock=caps["clock"],
                 order=caps["order"], event_types=tuple(sorted(ev["event"].astype(str).unique())),
                 titles=caps["titles"], categories=caps["categories"], relations=caps["relations"])


@functools.lru_cache(maxsize=8)
def _facts_of(dataset: str, data_path: str, search: str) -> Facts:
    from .data import load_dataset

    ds = load_dataset(dataset, data_path=data_path or None, fetch=dataset == "ml-100k")
    return _facts(ds)


def facts(dataset: str, data_path: str = "") -> Facts:
    """The :class:`Facts` of ``dataset`` as the notebooks load and prepare it (memoised per process, keyed also by
    ``RECNB_DATA_PATH``). Raises what :func:`recnb.data.load_dataset` raises (``DataValidationError`` ...)."""
    import os

    from .env import DATA_PATH

    return _facts_of(dataset, data_path or "", os.environ.get(DATA_PATH, ""))


@dataclass(frozen=True)
class Contract:
    """What one notebook needs. ``own_log``: checked only on a reader's file (``canonical``, ``sequences``); on a
    named dataset the notebook brings its own data (notebook 07 reads the shop logs, or the simulator)."""

    users: int = 0
    """Users of the prepared split, at least."""
    items: int = 0
    """Items of the prepared split, at least."""
    events: int = 1
    """Events of the raw log, at least."""
    order: bool = False
    """A per-user order (a clock, or positions)."""
    event_types: tuple[str, ...] = ()
    """Event types every one of which the log must hold."""
    reads_split: bool = True
    """False for a notebook that profiles the raw log only (it never refuses a run)."""
    own_log: bool = False
    why: str = field(default="", compare=False)
    """What the notebook does with what it needs (shown after the reason)."""

    def reasons(self, f: Facts) -> list[str]:
        """Every unmet need of this contract on ``f``, each a clause rendered from the values (empty: it holds)."""
        out = []
        if f.raw_events < self.events:
            out.append(f"needs at least {self.events:,} events; this log has {f.raw_events:,}")
        if self.reads_split and (f.users < self.users or f.items < self.items):
            out.append(f"needs at least {self.needs_text(f)} after cleaning; this log has {f.kept()}")
        if self.order and not f.order:
            out.append("needs an order of events per user (a clock or positions); this log has neither")
        missing = [e for e in self.event_types if e not in f.event_types]
        if missing:
            out.append(f"needs {' and '.join(repr(e) for e in missing)} events; this log has only "
                       f"{', '.join(repr(e) for e in f.event_types)}")
        return out

    def needs_text(self, f: Facts) -> str:
        """``20 users with 5 distinct items and 20 items``: the sizes this contract asks of the prepared split."""
        kept = f"with a {f.target} to predict" if f.target is not None else f"with {f.user_k} distinct items"
        return f"{self.users:,} users {kept} and {self.items:,} items"

    def applies(self, dataset: str) -> bool:
        """Whether the contract is checked for ``dataset``."""
        return not self.own_log or dataset in FILE_SOURCES

    def reason(self, f: Facts, dataset: str) -> str | None:
        """``None`` when the notebook can run on ``f``; otherwise one sentence saying why not."""
        why = self.reasons(f) if self.applies(dataset) else []
        return f"{'; '.join(why)}{f' ({self.why})' if self.why else ''}." if why else None


MODELS = dict(users=20, items=20)
"""Every ranking notebook's floor: twenty test users (bootstrap CIs and paired tests over users) and a
catalogue of twenty items (HR/NDCG@20 rank twenty items)."""

CONTRACTS: dict[str, Contract] = {
    "01": Contract(reads_split=False, why="it profiles the raw log"),
    "02": Contract(**MODELS, why="the baselines and the protocol are fitted on the prepared split"),
    "03": Contract(**MODELS, why="the autoencoders train on the users' history"),
    "04": Contract(**MODELS, order=True, why="the sequence models read each user's events in order"),
    "05": Contract(**MODELS, why="the graph models propagate over the user-item graph"),
    "06": Contract(**MODELS, order=True, why="the fusions combine the autoencoder, sequence and graph encoders"),
    "07": Contract(**MODELS, event_types=("purchase",), own_log=True,
                   why="the case study predicts the next purchase"),
    "08": Contract(**MODELS, why="personas and anomaly scores are fitted on the users' behaviour"),
    "09": Contract(**MODELS, why="the text models rank the prepared split"),
    "10": Contract(**MODELS, why="the generative model and the scaling grid's SASRec rank the prepared split"),
    "11": Contract(**MODELS, why="federated and private training split the prepared log over clients"),
    "12": Contract(**MODELS, order=True, why="the benchmark's SASRec and GRU read each user's items in order"),
}
"""The contract of each notebook, by its two-digit number."""


def contract(number: str) -> Contract:
    """The contract of notebook ``number`` (``"03"``); a notebook not listed needs one event."""
    return CONTRACTS.get(number, Contract(reads_split=False))


def refusal(f: Facts, dataset: str, numbers: list[str]) -> str | None:
    """One sentence when every notebook of ``numbers`` that reads the prepared split would be skipped on ``f``
    (and at least one does): the run is refused before any notebook starts. ``None`` otherwise."""
    reading = [n for n in numbers if contract(n).reads_split and contract(n).applies(dataset)]
    reasons = {n: contract(n).reasons(f) for n in reading}
    if not reading or not all(reasons.values()):
        return None
    least = min(reading, key=lambda n: (len(reasons[n]), n))
    return (f"Refused before any notebook starts: `{f.name}` is too small for every notebook asked for; the least "
            f"demanding, {least}, {'; '.join(reasons[least])}.")


__all__ = ["CONTRACTS", "Contract", "Facts", "MODELS", "Refused", "contract", "facts", "refusal"]
