"""A shop simulator with planted, documented signal, for tests, scale runs and controlled experiments.

What is planted (every knob is a field of :class:`SimConfig`; the ground truth is returned in the
side tables, so tests can check that a model recovers it):

* **Interest clusters** (``users.cluster``): each of ``n_clusters`` clusters favours
  ``cats_per_cluster`` categories (disjoint between clusters when there are enough categories); a user draws the category of a fresh view from them with
  probability ``focus``, otherwise uniformly. Within a category, items follow a Zipf(``zipf``)
  popularity.
* **Sequential transitions** (``items.successor``): every item has one successor in its own
  category; with probability ``p_follow`` a view is the successor of the previous view.
* **Homophily** (``edges``, kind ``friend``, both directions listed): each user names
  ``friends_per_user`` friends, from their own cluster with probability ``homophily``.
* **Funnel**: a view leads to a cart with probability ``p_cart`` times the user's propensity
  (``users.propensity``, log-normal with mean 1), a cart to a purchase with probability ``p_purchase``.
* **Fraud** (``users.is_fraud``): ``n_fraud`` extra users view, cart and buy a few target items
  (``items.is_fraud_target``) in rapid bursts.

All randomness flows from one ``numpy.random.Generator(seed)``: the same config gives the same log.
Everything is vectorised; 10 million events take well under a minute.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from .schema import EVENT_TYPES, Dataset


@dataclass(frozen=True)
class SimConfig:
    """Parameters of :func:`simulate` (see the module docstring for their meaning)."""

    n_users: int = 2000
    n_items: int = 1000
    n_categories: int = 20
    n_clusters: int = 5
    cats_per_cluster: int = 3
    focus: float = 0.85
    zipf: float = 1.0
    mean_views: float = 40.0
    max_views: int = 1000
    p_follow: float = 0.5
    p_cart: float = 0.12
    p_purchase: float = 0.35
    propensity_sigma: float = 0.5
    friends_per_user: int = 5
    homophily: float = 0.8
    n_fraud: int = 0
    fraud_targets: int = 3
    start: str = "2024-01-01"
    days: float = 30.0
    seed: int = 0


def _items(cfg: SimConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Item categories, successors, items grouped by category and their cumulative Zipf weights."""
    category = rng.integers(cfg.n_categories, size=cfg.n_items)
    order = np.argsort(category, kind="stable")  # items grouped by category
    cat_sorted = category[order]
    starts = np.searchsorted(cat_sorted, np.arange(cfg.n_categories + 1))
    rank = np.arange(cfg.n_items) - starts[cat_sorted] + 1
    weight = 1.0 / rank ** cfg.zipf
    # a random permutation within each category: successor = next item of the cycle
    shuffled = order[np.lexsort((rng.random(cfg.n_items), cat_sorted))]
    nxt = np.arange(1, cfg.n_items + 1)
    nxt = np.where(nxt == starts[1:][cat_sorted], starts[cat_sorted], nxt)  # the last wraps to the first
    successor = np.empty(cfg.n_items, dtype=np.int64)
    successor[shuffled] = shuffled[nxt]
    return category, successor, order, np.cumsum(weight)


def _draw_in_category(cats: np.ndarray, order: np.ndarray, cum: np.ndarray, starts: np.ndarray,
                      rng: np.random.Generator) -> np.ndarray:
    """Zipf-weighted item draws, one per entry of ``cats``."""
    lo = np.where(starts[cats] > 0, cum[np.maximum(starts[cats] - 1, 0)], 0.0)
    hi = cum[starts[cats + 1] - 1]
    u = lo + rng.random(cats.size) * (hi - lo)
    idx = np.searchsorted(cum, u, side="right")
    return order[np.minimum(idx, starts[cats + 1] - 1)]


def simulate(config: SimConfig | None = None, **overrides: object) -> Dataset:
    """Generate a shop event log with planted signal.

    Args:
        config: the parameters; keyword ``overrides`` replace single fields.

    Returns:
        A :class:`Dataset` named ``sim`` whose ``users`` carry ``cluster``, ``propensity`` and
        ``is_fraud``, whose ``items`` carry ``category``, ``successor`` and ``is_fraud_target``, and whose
        ``edges`` are the friendships. Events are sorted by user, then time.
    """
    cfg = SimConfig(**{**asdict(config or SimConfig()), **overrides})
    rng = np.random.default_rng(cfg.seed)
    category, successor, order, cum = _items(cfg, rng)
    starts = np.searchsorted(category[order], np.arange(cfg.n_categories + 1))
    empty = np.flatnonzero(starts[1:] == starts[:-1])
    if empty.size:
        raise ValueError(f"categories {empty.tolist()} got no items: use fewer categories or more items")

    n = cfg.n_users
    cluster = rng.integers(cfg.n_clusters, size=n)
    need = cfg.n_clusters * cfg.cats_per_cluster
    if need <= cfg.n_categories:  # disjoint favourite categories: clusters are separable by design
        cluster_cats = rng.permutation(cfg.n_categories)[:need].reshape(cfg.n_clusters, cfg.cats_per_cluster)
    else:
        cluster_cats = np.stack([rng.choice(cfg.n_categories, cfg.cats_per_cluster, replace=False)
                                 for _ in range(cfg.n_clusters)])
    propensity = np.exp(rng.normal(-cfg.propensity_sigma ** 2 / 2, cfg.propensity_sigma, n))
    length = np.minimum(rng.geometric(1.0 / cfg.mean_views, n), cfg.max_views)
    user = np.repeat(np.arange(n), length)
    total = user.size
    offsets = np.concatenate([[0], np.cumsum(length)[:-1]])
    pos = np.arange(total) - offsets[user]

    focused = rng.random(total) < cfg.focus
    cats = np.where(focused, cluster_cats[cluster[user], rng.integers(cfg.cats_per_cluster, size=total)],
                    rng.integers(cfg.n_categories, size=total))
    fresh = _draw_in_category(cats, order, cum, starts, rng)
    follow = (rng.random(total) < cfg.p_follow) & (pos > 0)
    # depth = steps since the last fresh draw; item = successor^depth(fresh item at the run start)
    run_start = np.maximum.accumulate(np.where(follow, 0, np.arange(total)))
    depth = np.arange(total) - run_start
    item = fresh[run_start]
    for d in range(1, int(depth.max(initial=0)) + 1):
        m = depth >= d
        item[m] = successor[item[m]]

    t0 = pd.Timestamp(cfg.start, tz="UTC").value // 10**9
    begin = t0 + rng.random(n) * cfg.days * 86400 * 0.5
    gaps = rng.lognormal(np.log(900.0), 1.2, total)
    gaps[pos == 0] = 0.0
    cg = np.cumsum(gaps)
    t_view = begin[user] + cg - (cg[offsets] - gaps[offsets])[user]

    p_cart = np.clip(cfg.p_cart * propensity[user], 0, 1)
    carted = rng.random(total) < p_cart
    bought = carted & (rng.random(total) < cfg.p_purchase)
    t_cart = t_view + rng.exponential(300.0, total)
    t_buy = t_cart + rng.exponential(900.0, total)

    u_all = [user, user[carted], user[bought]]
    i_all = [item, item[carted], item[bought]]
    e_all = [np.full(total, EVENT_TYPES.index("view")), np.full(int(carted.sum()), EVENT_TYPES.index("cart")),
             np.full(int(bought.sum()), EVENT_TYPES.index("purchase"))]
    t_all = [t_view, t_cart[carted], t_buy[bought]]

    is_target = np.zeros(cfg.n_items, dtype=bool)
    if cfg.n_fraud:
        targets = rng.choice(cfg.n_items, cfg.fraud_targets, replace=False)
        is_target[targets] = True
        flen = np.minimum(rng.geometric(1.0 / cfg.mean_views, cfg.n_fraud), cfg.max_views)
        fu = np.repeat(np.arange(n, n + cfg.n_fraud), flen)
        fi = np.where(rng.random(fu.size) < 0.7, rng.choice(targets, fu.size),
                      rng.integers(cfg.n_items, size=fu.size))
        fstart = t0 + rng.random(cfg.n_fraud) * cfg.days * 86400 * 0.9
        fg = rng.exponential(5.0, fu.size)
        fc = np.cumsum(fg)
        foff = np.concatenate([[0], np.cumsum(flen)[:-1]])
        ft = fstart[fu - n] + fc - (fc[foff] - fg[foff])[fu - n]
        fcart = rng.random(fu.size) < 0.5
        fbuy = fcart & (rng.random(fu.size) < 0.8)
        u_all += [fu, fu[fcart], fu[fbuy]]
        i_all += [fi, fi[fcart], fi[fbuy]]
        e_all += [np.full(fu.size, 0), np.full(int(fcart.sum()), 1), np.full(int(fbuy.sum()), 3)]
        t_all += [ft, ft[fcart] + 2.0, ft[fbuy] + 4.0]

    u_cat, i_cat = np.concatenate(u_all), np.concatenate(i_all)
    e_cat, t_cat = np.concatenate(e_all), np.floor(np.concatenate(t_all)).astype(np.int64)
    srt = np.lexsort((e_cat, t_cat, u_cat))
    events = pd.DataFrame({
        "user_id": u_cat[srt],
        "item_id": i_cat[srt],
        "event": pd.Categorical.from_codes(e_cat[srt].astype(np.int8), categories=list(EVENT_TYPES)),
        "value": np.ones(srt.size),
        "timestamp": pd.to_datetime(t_cat[srt], unit="s", utc=True),
    })

    members = np.argsort(cluster, kind="stable")
    c_start = np.searchsorted(cluster[members], np.arange(cfg.n_clusters + 1))
    src = np.repeat(np.arange(n), cfg.friends_per_user)
    same = rng.random(src.size) < cfg.homophily
    c = cluster[src]
    size = c_start[c + 1] - c_start[c]
    pick_same = members[c_start[c] + (rng.random(src.size) * size).astype(np.int64)]
    dst = np.where(same, pick_same, rng.integers(n, size=src.size))
    keep = dst != src
    pairs = np.unique(np.concatenate([np.stack([src[keep], dst[keep]], 1), np.stack([dst[keep], src[keep]], 1)]),
                      axis=0)
    edges = pd.DataFrame({"user_id": pairs[:, 0], "other_id": pairs[:, 1],
                          "kind": pd.Series("friend", index=range(len(pairs)), dtype="string")})

    n_all = n + cfg.n_fraud
    users = pd.DataFrame({
        "user_id": np.arange(n_all),
        "cluster": np.concatenate([cluster, np.full(cfg.n_fraud, -1)]),
        "propensity": np.concatenate([propensity, np.ones(cfg.n_fraud)]),
        "is_fraud": np.arange(n_all) >= n,
    })
    items = pd.DataFrame({"item_id": np.arange(cfg.n_items), "category": pd.Series(category).map(
        lambda c: f"c{c:02d}").astype("string"), "successor": successor, "is_fraud_target": is_target})
    return Dataset(name="sim", events=events, items=items, users=users, edges=edges,
                   source=f"recnb.data.simulate({cfg})", licence="synthetic (no licence needed)",
                   notes=["SIMULATED DATA with planted signal (see recnb.data.simulate), not real behaviour."],
                   validate=False)
