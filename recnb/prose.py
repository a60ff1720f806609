"""Prose rendered from a run's values: the one place notebooks turn numbers into sentences.

A notebook never types a result, a size, a winner or a verdict into Markdown: it computes the value and
renders the sentence with these helpers (``tests/unit/test_prose.py`` fails on a result-like number typed
into a notebook). Verdicts that compare models come from :func:`recnb.evaluate.compare`; this module
holds the small pieces around them: formatting an estimate with its CI, the banner that says how many
seeds a number averages, what a dataset can and cannot show, and the sentence that says a section is
skipped and why.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from .data.schema import Dataset
from .profile import Profile


def show(markdown: str) -> None:
    """Display ``markdown`` as a Markdown cell output (plain print outside IPython)."""
    try:
        from IPython.display import Markdown, display
    except ImportError:  # pragma: no cover - IPython ships with the notebooks' dependencies
        print(markdown)
        return
    display(Markdown(markdown))


def num(x: float, digits: int = 3) -> str:
    """A metric value with ``digits`` decimals (``0.0711``-style numbers keep their leading zero)."""
    return f"{float(x):.{digits}f}"


def estimate(mean: float, low: float, high: float, digits: int = 3) -> str:
    """``mean [low, high]``: an estimate with its 95% CI."""
    return f"{num(mean, digits)} [{num(low, digits)}, {num(high, digits)}]"


def count(n: float, noun: str) -> str:
    """``1,682 items`` / ``1 item``: a size rendered from the data."""
    n = int(n)
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def listing(names: Iterable[str], last: str = "and") -> str:
    """``a, b and c``."""
    names = [str(n) for n in names]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {last} {names[-1]}"


def seeds_banner(cfg: Profile, dataset: str, seeds: int | None = None) -> str:
    """The sentence every report opens with: profile, dataset and how many seeds each neural number
    averages (``cfg.seeds``, or ``seeds`` for a notebook with its own setting; per-user metrics are averaged
    over the seeds, so CIs and paired tests use every run)."""
    n = cfg.seeds if seeds is None else seeds
    seeds = f"{n} seed{'s' if n != 1 else ''}"
    return (f"**Run profile `{cfg.name}` on `{dataset}`.** Every neural model's number averages "
            f"{seeds} (per-user metrics averaged over the seeds before CIs and paired tests); baselines "
            f"are deterministic or seeded once. Intervals are 95% bootstrap CIs over users "
            f"({cfg.n_boot:,} resamples).")


def capabilities(ds: Dataset) -> dict[str, bool]:
    """What a dataset can show: ``clock`` (timestamps), ``order`` (a per-user order, with or without a
    clock), ``titles``, ``categories``, ``users`` (user attributes), ``relations`` (user-user edges),
    ``ratings`` (explicit values), ``behaviours`` (more than one event type)."""
    items = ds.items if ds.items is not None else pd.DataFrame()
    users = ds.users if ds.users is not None else pd.DataFrame()
    edges = ds.edges if ds.edges is not None else pd.DataFrame()
    events = ds.events["event"].astype(str)
    return {"clock": bool(ds.has_time), "order": bool(ds.has_order),
            "titles": bool("title" in items.columns and items["title"].notna().any()),
            "categories": bool("category" in items.columns and items["category"].notna().any()),
            "users": len(users.columns) > 1 and len(users) > 0,
            "relations": len(edges) > 0,
            "ratings": bool((events == "rating").any()),
            "behaviours": bool(events.nunique() > 1)}


def needs(ds: Dataset, *what: str) -> bool:
    """True when ``ds`` has every capability in ``what`` (:func:`capabilities`); otherwise displays one
    sentence saying which section is skipped for lack of what, and returns False. Use as
    ``if needs(ds, "titles"): ...`` at the top of a section that a reader's own log may not support."""
    caps = capabilities(ds)
    missing = [w for w in what if not caps.get(w, False)]
    if missing:
        show(f"*Skipped on `{ds.name}`: this section needs {listing(missing)}, which the data do not have.*")
        return False
    return True


def winner_sentence(table: pd.DataFrame, metric: str, chosen_on: str = "validation", model_col: str = "model") -> str:
    """``**m** is chosen on validation METRIC (v); its test METRIC is t [lo, hi].`` from a table with one
    row per model holding ``valid <metric>`` and ``<metric>`` / ``<metric> CI`` columns (the best row is the
    one with the highest validation value; ties keep the table's order)."""
    vcol = f"valid {metric}"
    if vcol not in table.columns:
        raise KeyError(f"winner_sentence: the table needs a {vcol!r} column (selection reads validation)")
    best = table.loc[table[vcol].to_numpy().argmax()]
    test = f"{num(best[metric], 4)}" + (f", 95% CI {best[metric + ' CI']}" if f"{metric} CI" in table.columns else "")
    return (f"**{best[model_col]}** is chosen on {chosen_on} {metric.upper()} ({num(best[vcol], 4)}); "
            f"its test {metric.upper()} is {test}.")


def best_by(values: dict[str, float] | pd.Series) -> str:
    """The key with the highest value (for selections on validation numbers)."""
    s = pd.Series(values, dtype=float)
    if s.empty or not np.isfinite(s).any():
        raise ValueError("best_by: no finite value to choose from")
    return str(s.idxmax())


__all__ = ["show", "num", "estimate", "count", "listing", "seeds_banner", "capabilities", "needs",
           "winner_sentence", "best_by"]
