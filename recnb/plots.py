"""One seaborn theme and the recurring figures of the study."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes


def set_theme() -> None:
    """The study's look: seaborn whitegrid, colour-blind palette, readable sizes, crisp inline PNGs."""
    sns.set_theme(style="whitegrid", palette="colorblind", context="notebook")
    plt.rcParams.update({"figure.figsize": (7.5, 4.2), "figure.dpi": 100, "savefig.dpi": 100,
                         "axes.titleweight": "bold"})


def rank_frequency(counts: dict[str, pd.Series], ax: Axes | None = None, what: str = "item") -> Axes:
    """Log-log rank-frequency curves (the long tail), one line per named count series."""
    ax = ax or plt.gca()
    for name, c in counts.items():
        y = np.sort(c.to_numpy())[::-1]
        ax.loglog(np.arange(1, y.size + 1), y, label=name, lw=1.6)
    ax.set(xlabel=f"{what} rank (most popular first)", ylabel="events", title=f"Long tail of {what} popularity")
    ax.legend()
    return ax


def ecdf(values: dict[str, pd.Series], ax: Axes | None = None, xlabel: str = "", log: bool = True) -> Axes:
    """Empirical CDFs of several samples on one (log-x) axis."""
    ax = ax or plt.gca()
    frame = pd.concat([pd.DataFrame({"value": v.to_numpy(), "dataset": k}) for k, v in values.items()])
    sns.ecdfplot(frame, x="value", hue="dataset", ax=ax, log_scale=log)
    ax.set(xlabel=xlabel, ylabel="share of units at or below")
    return ax
