"""One seaborn theme and the recurring figures of the study."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from .evaluate.names import NDCG10, VALID_NDCG10


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


def metric_bars(summary: pd.DataFrame, metric: str = NDCG10, ax: Axes | None = None,
                title: str | None = None) -> Axes:
    """Horizontal bars of one metric per model with 95% CI whiskers (``summary`` from
    :func:`recnb.evaluate.tidy`), best model on top."""
    ax = ax or plt.gca()
    d = summary[summary["metric"] == metric].sort_values("mean", ascending=True)
    y = np.arange(len(d))
    ax.barh(y, d["mean"], color=sns.color_palette("colorblind", len(d)))
    ax.errorbar(d["mean"], y, xerr=[d["mean"] - d["ci_low"], d["ci_high"] - d["mean"]], fmt="none",
                ecolor="black", capsize=3, lw=1)
    ax.set_yticks(y, d["model"])
    ax.set(xlabel=f"{metric} (mean, 95% CI over users)", title=title or metric)
    return ax


ROLE_COLOURS = {"train": "#0173b2", "valid": "#de8f05", "gap": "#949494", "test": "#d55e00"}


def timeline(split, user: int, ax: Axes | None = None) -> Axes:
    """One user's events over time coloured by their role in the split (train / valid / gap / test).

    ``split`` is a :class:`recnb.data.split.Split`; ``user`` a user *index*. Untimed events are drawn
    one step after the last timed event, in order.
    """
    from .data.schema import EVENT_TYPES

    ax = ax or plt.gca()
    ev = split.events[split.events["u"] == user].reset_index(drop=True)
    t = pd.to_datetime(ev["t"], unit="s", utc=True)
    if t.isna().any():
        last = t.max() if t.notna().any() else pd.Timestamp(0, tz="UTC")
        t = t.fillna(last + pd.Timedelta(hours=1))
    kinds = np.array(EVENT_TYPES)[ev["event"].to_numpy()]
    levels = {k: n for n, k in enumerate(dict.fromkeys(kinds))}
    for role, colour in ROLE_COLOURS.items():
        m = (ev["role"] == role).to_numpy()
        if m.any():
            ax.scatter(t[m], [levels[k] for k in kinds[m]], c=colour, label=f"{role} ({m.sum()})",
                       s=60 if role in ("valid", "test") else 18, zorder=3 if role in ("valid", "test") else 2)
    ax.set_yticks(list(levels.values()), list(levels.keys()))
    ax.set(title=f"user {split.user_ids[user]}: events by role", xlabel="time (UTC)")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def latent_2d(vectors: np.ndarray, labels: pd.Series | np.ndarray, ax: Axes | None = None, top: int = 6,
              title: str = "latent space (PCA)") -> Axes:
    """Project vectors (n, d) to 2-D with PCA and colour them by label (the ``top`` commonest, rest 'other')."""
    from sklearn.decomposition import PCA

    ax = ax or plt.gca()
    xy = PCA(2, random_state=0).fit_transform(np.asarray(vectors, dtype=float))
    lab = pd.Series(np.asarray(labels, dtype=object)).fillna("(none)").astype(str)
    keep = lab.value_counts().index[:top]
    lab = lab.where(lab.isin(keep), "other")
    sns.scatterplot(x=xy[:, 0], y=xy[:, 1], hue=lab.to_numpy(), hue_order=[*keep, "other"], s=14, alpha=0.75,
                    ax=ax, linewidth=0)
    ax.set(title=title, xlabel="PC 1", ylabel="PC 2")
    ax.legend(fontsize="small", markerscale=1.5)
    return ax


def training_curves(histories: dict[str, pd.DataFrame], column: str = VALID_NDCG10, ax: Axes | None = None) -> Axes:
    """One line per model of ``column`` against epoch (histories from ``FitResult.history``)."""
    ax = ax or plt.gca()
    for name, h in histories.items():
        ax.plot(h["epoch"], h[column], label=name, lw=1.5)
    ax.set(xlabel="epoch", ylabel=column, title=f"training: {column}")
    ax.legend()
    return ax


def graph_sample(history, users: list[int], item_names: list[str] | None = None, max_items: int = 8,
                 social=None, ax: Axes | None = None) -> Axes:
    """Draw the user-item graph around a few ``users``: each user's first ``max_items`` history items
    (shared items show how users connect), plus user-user edges among them when ``social`` is given."""
    import networkx as nx

    ax = ax or plt.gca()
    g = nx.Graph()
    for u in users:
        g.add_node(f"u{u}", kind="user")
        for i in history[u].indices[:max_items]:
            name = item_names[i][:18] if item_names is not None else f"i{i}"
            g.add_node(name, kind="item")
            g.add_edge(f"u{u}", name)
    if social is not None:
        for a in users:
            for b in users:
                if a < b and social[a, b]:
                    g.add_edge(f"u{a}", f"u{b}", social=True)
    pos = nx.spring_layout(g, seed=0)
    kinds = nx.get_node_attributes(g, "kind")
    colors = ["tab:orange" if kinds[n] == "user" else "tab:blue" for n in g.nodes]
    styles = ["dashed" if g.edges[e].get("social") else "solid" for e in g.edges]
    nx.draw_networkx(g, pos, ax=ax, node_color=colors, node_size=[300 if kinds[n] == "user" else 80 for n in g.nodes],
                     font_size=7, style=styles, edge_color="0.6")
    ax.set_axis_off()
    ax.set_title("users (orange) and the items they interacted with (blue)")
    return ax

