"""Profiling the study's datasets before modelling (notebook 01, article section 3.2.1, 数据采集).

Each function takes ``{name: Dataset}`` and returns a tidy table (one row per dataset or per dataset and
category) built from :mod:`recnb.data.describe`; the notebook only displays, plots and renders sentences
from them. Nothing here loops over users in Python.

A source flags a warning a report must carry (a partial copy, a subset) by opening one of its ``notes``
with an upper-case clause before a colon, for example ``"PARTIAL HEAD OF MOVIELENS-1M, NOT ML-1M: ..."``
(:mod:`recnb.data.sources.movielens1m`); :func:`caveats` collects them and :func:`labels` turns them into
the name a figure or table shows.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..data import available, load_dataset
from ..data.cache import FILE_SOURCES
from ..data.describe import (event_counts, funnel, gini, head_share, inter_event_seconds, item_popularity,
                             rhythm, social_degree)
from ..data.schema import Dataset
from ..prose import capabilities, listing, show

_CAVEAT = re.compile(r"^([A-Z0-9][A-Z0-9 ,.()'/-]{3,}):\s")


def load_all(dataset: str, data_path: str = "") -> tuple[dict[str, Dataset], pd.DataFrame]:
    """The datasets notebook 01 profiles and the ones it cannot.

    With a reader's own file (``dataset`` ``canonical`` or ``sequences``, ``data_path`` naming it) only that
    log; otherwise ``dataset`` first (ML-100K fetched when missing), then every other dataset found on the
    search path. Returns ``({name: Dataset}, missing)`` where ``missing`` has ``dataset`` and
    ``how to get it`` columns (empty for a reader's own file).
    """
    if dataset in FILE_SOURCES:
        ds = load_dataset(dataset, data_path=data_path or None)
        return {ds.name: ds}, pd.DataFrame(columns=["dataset", "how to get it"])
    status = available(data_path or None)
    found = status.loc[status["status"] == "available", "dataset"].tolist()
    names = [dataset] + [n for n in found if n != dataset]
    datasets = {n: load_dataset(n, data_path=data_path or None, fetch=n == "ml-100k") for n in names}
    missing = status.loc[(status["status"] == "missing") & ~status["dataset"].isin(names), ["dataset", "how to get it"]]
    return datasets, missing.reset_index(drop=True)


def caveats(datasets: dict[str, Dataset]) -> pd.DataFrame:
    """The warnings the sources put in their notes (see the module docstring): ``dataset``, ``label``
    (the upper-case clause) and ``note`` (the whole note). One row per warning."""
    rows = [{"dataset": n, "label": m.group(1), "note": note}
            for n, ds in datasets.items() for note in ds.notes if (m := _CAVEAT.match(note))]
    return pd.DataFrame(rows, columns=["dataset", "label", "note"])


def labels(datasets: dict[str, Dataset]) -> dict[str, str]:
    """``{name: label}``: the name, followed by its caveat clause in brackets when its source flags one."""
    flagged = caveats(datasets).groupby("dataset")["label"].first()
    return {n: f"{n} ({flagged[n]})" if n in flagged.index else n for n in datasets}


def cards(datasets: dict[str, Dataset]) -> pd.DataFrame:
    """Where each dataset came from: ``dataset``, ``source``, ``licence``, ``time`` (clock, order or none)
    and ``notes`` (all the source's notes, joined)."""
    return pd.DataFrame([{"dataset": n, "source": ds.source, "licence": ds.licence, "time": ds.time_kind,
                          "notes": " ".join(ds.notes)} for n, ds in datasets.items()])


def overview(datasets: dict[str, Dataset], head: float = 0.2) -> pd.DataFrame:
    """One row per dataset: :meth:`Dataset.summary` plus ``item Gini``, ``head share`` (share of events on
    the ``head`` fraction of most popular items), ``one-event items`` (share of items with exactly one
    event) and ``label`` (:func:`labels`)."""
    names = labels(datasets)
    rows = []
    for n, ds in datasets.items():
        pop = item_popularity(ds)
        rows.append({**ds.summary(), "label": names[n], "item Gini": gini(pop), "head share": head_share(pop, head),
                     "one-event items": float((pop == 1).mean())})
    return pd.DataFrame(rows)


def ledgers(datasets: dict[str, Dataset]) -> pd.DataFrame:
    """Every parsing ledger row (rows removed or changed while reading the raw files) with its ``dataset``."""
    parts = [ds.ledger.assign(dataset=n) for n, ds in datasets.items() if len(ds.ledger)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["dataset"])


def event_types(datasets: dict[str, Dataset]) -> pd.DataFrame:
    """Events, users and items per (dataset, event type), long form."""
    return pd.concat([event_counts(ds).assign(dataset=n) for n, ds in datasets.items()], ignore_index=True)


WHAT = {"clock": "timestamps", "order": "an order of events", "titles": "item titles", "categories": "item categories",
        "users": "user attributes", "relations": "user-user relations", "ratings": "ratings",
        "behaviours": "several event types", "funnel": "views and purchases"}
"""How a skip sentence names each capability of :func:`having`."""


def _capabilities(ds: Dataset) -> dict[str, bool]:
    """:func:`recnb.prose.capabilities` plus ``funnel`` (the log has views and purchases)."""
    return {**capabilities(ds), "funnel": {"view", "purchase"} <= set(ds.events["event"].astype(str).unique())}


def having(datasets: dict[str, Dataset], *what: str) -> dict[str, Dataset]:
    """The datasets with every capability in ``what`` (:func:`recnb.prose.capabilities`, or ``funnel``: views
    and purchases); shows one sentence naming those without it, or saying that the section is skipped when
    none has it."""
    keep = {n: ds for n, ds in datasets.items() if all(_capabilities(ds).get(w, False) for w in what)}
    lacking = [n for n in datasets if n not in keep]
    needed = listing(WHAT.get(w, w) for w in what)
    if not keep:
        show(f"*Skipped: this section needs {needed}, which no dataset here has.*")
    elif lacking:
        show(f"*Not shown for {listing(lacking)}: {'they have' if len(lacking) > 1 else 'it has'} no {needed}.*")
    return keep


def gaps(datasets: dict[str, Dataset]) -> dict[str, pd.Series]:
    """Seconds between a user's consecutive timed events per dataset (clipped at one second for log axes)."""
    return {n: inter_event_seconds(ds).clip(lower=1) for n, ds in datasets.items()}


def gap_table(gap: dict[str, pd.Series], within: float = 3600.0) -> pd.DataFrame:
    """Per dataset: ``median gap s`` and ``share within`` (the share of gaps under ``within`` seconds)."""
    return pd.DataFrame([{"dataset": n, "median gap s": float(g.median()), "share within": float((g < within).mean())}
                         for n, g in gap.items()])


def peak_hours(datasets: dict[str, Dataset], width: int = 3) -> pd.DataFrame:
    """Per timed dataset, the ``width`` consecutive hours of the day (UTC, wrapping at midnight) that hold
    the most events: ``dataset``, ``first hour``, ``last hour``, ``window`` (``HH:00-HH:59``) and ``share`` of
    all events."""
    rows = []
    for n, ds in datasets.items():
        _, hourly = rhythm(ds)
        per_hour = hourly.sum(axis=1).reindex(range(24), fill_value=0).to_numpy(dtype=float)
        window = np.array([per_hour[np.arange(h, h + width) % 24].sum() for h in range(24)])
        h = int(window.argmax())
        last = (h + width - 1) % 24
        rows.append({"dataset": n, "first hour": h, "last hour": last, "window": f"{h:02d}:00-{last:02d}:59",
                     "share": float(window[h] / max(per_hour.sum(), 1.0))})
    return pd.DataFrame(rows)


def funnels(datasets: dict[str, Dataset]) -> pd.DataFrame:
    """The view -> cart -> purchase funnel (:func:`recnb.data.describe.funnel`) of each dataset, long form."""
    return pd.concat([funnel(ds).assign(dataset=n) for n, ds in datasets.items()], ignore_index=True)


def social_table(datasets: dict[str, Dataset]) -> pd.DataFrame:
    """Per dataset with user-user relations: ``edges``, ``median degree`` and ``users with an edge`` (share of
    the users with events)."""
    rows = []
    for n, ds in datasets.items():
        deg = social_degree(ds)
        users = ds.events["user_id"].nunique()
        rows.append({"dataset": n, "edges": len(ds.edges), "median degree": float(deg.median()),
                     "users with an edge": ds.edges["user_id"].nunique() / max(users, 1)})
    return pd.DataFrame(rows)


__all__ = ["load_all", "caveats", "labels", "cards", "overview", "ledgers", "event_types", "having", "gaps",
           "gap_table", "peak_hours", "funnels", "social_table"]
