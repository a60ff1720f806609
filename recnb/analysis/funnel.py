"""The shop funnel view -> cart -> purchase, with Wilson confidence intervals (the article's section 4.3).

The unit is a (user, item) pair: a pair *reaches* a stage when it has at least one event of that type, at
any time. Conversion rates are conditional shares of pairs:

* ``cart|view``: pairs with a view that also have a cart;
* ``purchase|cart``: pairs with a cart that also have a purchase;
* ``purchase|view``: pairs with a view that also have a purchase.

Pairs are grouped by the UTC day of their first timed event (``by="day"``; pairs without any timed event
are counted in ``untimed`` and left out of the daily rows) or by item category (``by="category"``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

STAGES = ("view", "cart", "purchase")
RATES = {"cart|view": ("cart", "view"), "purchase|cart": ("purchase", "cart"), "purchase|view": ("purchase", "view")}


def wilson_ci(k: np.ndarray, n: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of the binomial proportion k/n, elementwise (NaN where n = 0)."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return centre - half, centre + half


def pair_stages(events: pd.DataFrame) -> pd.DataFrame:
    """One row per (user_id, item_id): booleans ``view``, ``cart``, ``purchase`` and ``first`` (timestamp of
    the pair's first timed event, NaT when none)."""
    ev = events[events["event"].isin(STAGES)]
    flags = pd.crosstab([ev["user_id"], ev["item_id"]], ev["event"].astype(str)) > 0
    for s in STAGES:
        if s not in flags:
            flags[s] = False
    first = ev.groupby(["user_id", "item_id"], observed=True)["timestamp"].min()
    return flags[list(STAGES)].assign(first=first.reindex(flags.index)).reset_index()


def conversion_funnel(events: pd.DataFrame, by: str | None = None, items: pd.DataFrame | None = None,
                      level: float = 0.95) -> pd.DataFrame:
    """Funnel counts and conversion rates with Wilson CIs, overall (``by=None``), per ``"day"`` or per
    ``"category"`` (needs ``items`` with ``item_id`` and ``category``).

    Returns one row per group: ``pairs``, the pairs reaching each stage, and for each rate its value and
    ``<rate> low`` / ``<rate> high``; ``attrs["untimed"]`` counts pairs left out of a daily table.
    """
    pairs = pair_stages(events)
    untimed = 0
    if by is None:
        key = pd.Series("all", index=pairs.index)
    elif by == "day":
        untimed = int(pairs["first"].isna().sum())
        pairs = pairs[pairs["first"].notna()]
        key = pairs["first"].dt.floor("D").dt.tz_localize(None)
    elif by == "category":
        if items is None or "category" not in items:
            raise ValueError("conversion_funnel(by='category') needs an items table with a 'category' column")
        key = pairs["item_id"].map(items.set_index("item_id")["category"]).fillna("unknown").astype(str)
    else:
        raise ValueError(f"conversion_funnel: by={by!r}; expected None, 'day' or 'category'")
    g = pairs.assign(key=key.to_numpy(), view_cart=pairs["view"] & pairs["cart"],
                     cart_purchase=pairs["cart"] & pairs["purchase"],
                     view_purchase=pairs["view"] & pairs["purchase"]).groupby("key")
    out = pd.DataFrame({"pairs": g.size(), **{s: g[s].sum() for s in STAGES}})
    both = {"cart|view": g["view_cart"].sum(), "purchase|cart": g["cart_purchase"].sum(),
            "purchase|view": g["view_purchase"].sum()}
    for rate, (_, given) in RATES.items():
        k, n = both[rate].to_numpy(), out[given].to_numpy()
        lo, hi = wilson_ci(k, n, level)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[rate] = k / n
        out[f"{rate} low"], out[f"{rate} high"] = lo, hi
    out.index.name = by or "group"
    out.attrs["untimed"] = untimed
    return out


__all__ = ["STAGES", "RATES", "wilson_ci", "pair_stages", "conversion_funnel"]
