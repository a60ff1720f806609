"""Notebook 07's sections as functions that return tidy tables and sentences rendered from their values.

The e-commerce case study (the article's section 4.3) walks a shop log from its funnel to a new user's
recommendations. Each function here is one section's computation; the notebook only calls, shows and plots.
Every choice (best encoder, best fusion, the model shown for new users, the model explained) is made on the
validation targets; the sentences say what was chosen on what, and on shops whose validation targets are
items new to the user (:data:`recnb.experiment.NEW_ITEM_TARGETS`) they say that too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..evaluate.names import HR10, NDCG10, VALID_NDCG10
from .. import experiment
from ..experiment import SeedRuns
from ..data import Dataset, load_dataset
from ..data.schema import EVENT_TYPES
from ..data.simulate import simulate
from ..data.split import Split, restrict_inputs
from ..evaluate import Evaluation, evaluate, evaluate_all
from ..models.base import Fitted
from ..models.baselines import EASE, MostPopular
from ..models.fusion import ScoreEnsemble
from ..profile import Profile
from ..prose import count, listing, num
from ..recipes import ENCODERS, fit_encoders
from .new_users import NewUsers, dominant_category, new_user_curve, new_users
from .explain import neighbours, occlusion
from .funnel import conversion_funnel
from .shop import ENCODER_NAMES, FUSION_CANDIDATES, beyond_table, choose, next_purchase_models, validation_scores

SOFTMAX_MAX_ITEMS = 10_000
"""Fits that train a softmax over the catalogue for this notebook alone are made on catalogues up to this many
items only (a CPU-time budget): the late fusion and the cascade of section 2 (an MLP head, and an RNN that predicts
the next item at every position, each with a softmax over every item) and, in the new-user study
(:func:`new_user_study`), the Mult-VAE refitted without the held-out users (LightGCN alone above). Mult-VAE and the GRU (and the late fusion with them) are fitted on larger
catalogues when the profile runs the softmax models on shop logs (``cfg.shops_softmax``: notebooks 03 and 04 fit
them, the model cache serves them here); otherwise LightGCN is the only encoder there."""
MIN_DAY_VIEWS = 200
"""Days with fewer viewed pairs are left out of the daily conversion plot (a handful of stray events)."""


def shop_logs(dataset: str, data_path: str = "", seed: int = 0) -> tuple[dict[str, Dataset], str]:
    """The logs the case study runs on, and one Markdown sentence saying which: the reader's own file when
    ``dataset`` is ``"canonical"`` or ``"sequences"`` (``data_path`` names it, read in that format), else the shop
    logs (Taobao, Retailrocket) found on the search path, else the simulator's shop (said first, never silently)."""
    if dataset in ("canonical", "sequences") or (data_path and Path(data_path).is_file()):
        ds = load_dataset(dataset if dataset == "sequences" else "canonical", data_path=data_path)
        return {ds.name: ds}, f"**Data: your own log** `{ds.name}` (from `{Path(data_path).name}`)."
    shops = experiment.available_shops(data_path)
    if shops:
        return ({s: load_dataset(s, data_path=data_path or None) for s in shops},
                f"**Data: real shop logs** ({listing(shops)}), research samples under non-commercial licences.")
    sim = simulate(n_users=1500, n_items=800, n_categories=20, mean_views=40, seed=seed)
    return {"simulated-shop": sim}, (
        "**Data: the simulator's shop.** Neither Taobao nor Retailrocket is on the data path, so every number below "
        "comes from `recnb.data.simulate` (planted interest clusters, item successors and a view → cart → purchase "
        "funnel), not from a real shop.")


def data_summary(data: dict[str, Dataset]) -> pd.DataFrame:
    """One row per log: users, items, the share of items touched by a single user, and the number of events of
    each type."""
    rows = []
    for name, ds in data.items():
        counts = ds.events["event"].astype(str).value_counts()
        users_per_item = ds.events.groupby("item_id", observed=True)["user_id"].nunique()
        rows.append({"log": name, "users": ds.events["user_id"].nunique(), "items": len(users_per_item),
                     "items with one user": float((users_per_item == 1).mean()),
                     **{e: int(counts.get(e, 0)) for e in ("view", "fav", "cart", "purchase", "click", "rating")}})
    frame = pd.DataFrame(rows).set_index("log")
    return frame.loc[:, (frame != 0).any()]


def plot_daily(daily: dict[str, pd.DataFrame], min_views: int = MIN_DAY_VIEWS) -> plt.Figure:
    """Daily cart|view and purchase|view with their Wilson bands, one panel per log (days with at least
    ``min_views`` viewed pairs)."""
    fig, axes = plt.subplots(1, len(daily), figsize=(6.5 * len(daily), 3.6), squeeze=False)
    for ax, (name, d) in zip(axes[0], daily.items()):
        d = d[d["view"] >= min_views]
        for rate in ("cart|view", "purchase|view"):
            ax.plot(d.index, d[rate], marker="o", ms=3, label=rate)
            ax.fill_between(d.index, d[f"{rate} low"], d[f"{rate} high"], alpha=0.25)
        ax.set(title=f"{name}: daily conversion (95% Wilson CI)", ylabel="share of viewed pairs")
        ax.tick_params(axis="x", rotation=30)
        ax.legend()
    fig.tight_layout()
    return fig


def daily_note(daily: dict[str, pd.DataFrame], min_views: int = MIN_DAY_VIEWS) -> str:
    """What the daily plot leaves out, per log."""
    return "; ".join(f"{name}: {count(len(d), 'day')}, {count((d['view'] < min_views).sum(), 'day')} with fewer than "
                     f"{min_views:,} viewed pairs not plotted, {count(d.attrs['untimed'], 'pair')} without a timestamp "
                     "left out" for name, d in daily.items())


def category_funnel(ds: Dataset, top: int = 12) -> pd.DataFrame:
    """The ``top`` categories with the most viewed pairs and their conversion rates with Wilson bounds."""
    cat = conversion_funnel(ds.events, by="category", items=ds.items).sort_values("view", ascending=False).head(top)
    return cat[["view", "cart", "purchase", "cart|view", "cart|view low", "cart|view high", "purchase|view",
                "purchase|view low", "purchase|view high"]]


def plot_category(top: pd.DataFrame, name: str) -> plt.Figure:
    """Conversion by category with Wilson error bars."""
    fig, ax = plt.subplots(figsize=(8, 3.6))
    x = np.arange(len(top))
    for j, rate in enumerate(("cart|view", "purchase|view")):
        ax.errorbar(x + 0.15 * j, top[rate], yerr=[top[rate] - top[f"{rate} low"], top[f"{rate} high"] - top[rate]],
                    fmt="o", capsize=3, label=rate)
    ax.set_xticks(x, top.index, rotation=45, ha="right")
    ax.set(title=f"{name}: conversion by category (95% Wilson CI)", xlabel="category id", ylabel="share of viewed pairs")
    ax.legend()
    return fig


@dataclass(kw_only=True)
class ShopRun(SeedRuns):
    """Next-purchase ranking on one log (:class:`~recnb.experiment.SeedRuns`: the ``models``, their ``test``
    results with all behaviours as history and their ``valid`` NDCG@10), with the ``split``, the same test with
    purchases only as history (``purchases_only``, ``test_purchases_only``), the choices made on validation
    (``best``) and the ``seconds`` it took."""

    split: Split
    purchases_only: Split
    test_purchases_only: dict[str, Evaluation]
    best: dict[str, str]
    seconds: float = 0.0
    info: dict[str, object] = field(default_factory=dict)


def next_purchase(ds: Dataset, cfg: Profile, seed: int = 0, item_k: int = 0) -> ShopRun:
    """Fit the case study's models (:func:`~recnb.analysis.shop.next_purchase_models`: the baselines, the three
    shop encoders and the fusions) on ``ds`` with all behaviours and with purchases only as history, evaluate both
    on the test targets, and choose the best encoder and fusion on the validation targets."""
    t0 = time.perf_counter()
    split = experiment.prepare_dataset(ds, target="purchase", item_k=item_k)
    small = split.n_items <= SOFTMAX_MAX_ITEMS
    kw = dict(encoders=ENCODERS if small or cfg.shops_softmax else ("graph",), trained_fusions=small)
    models = next_purchase_models(split, cfg, seed, **kw)
    valid = validation_scores(models, split)
    purchases_only = restrict_inputs(split, ("purchase",))
    evals_p = evaluate_all(next_purchase_models(purchases_only, cfg, seed, **kw), purchases_only)
    test = evaluate_all(models, split)
    return ShopRun(split=split, purchases_only=purchases_only, models=models, test=test, test_purchases_only=evals_p,
                   valid=valid, best=choose(valid), seconds=time.perf_counter() - t0)


def validation_stage(split: Split) -> str:
    """How the validation targets were drawn: the split's note for shops with new-item targets, else the
    default (the purchase before the test purchase)."""
    return str(split.info.get("validation stage", "the user's purchase before the test purchase"))


def run_summary(name: str, run: ShopRun) -> str:
    """One sentence: sizes of the split and of the purchases-only input (rendered from the data)."""
    s, p = run.split, run.purchases_only
    return (f"**{name}**: {count(s.n_users, 'user')}, {count(s.n_items, 'item')} (cleaning removed "
            f"{count(s.info['cleaning removed'], 'event')}), {count(len(s.test_users), 'test user')}; "
            f"{count(p.info['input events removed'], 'non-purchase history event')} removed for the purchases-only "
            f"input. Validation targets: {validation_stage(s)}."
            + ("" if "cascade" in run.models else f" Left out on this log (its catalogue has more than "
               f"{SOFTMAX_MAX_ITEMS:,} items, `cs.SOFTMAX_MAX_ITEMS`): the late fusion and the cascade"
               + ("" if "gru" in run.models else ", Mult-VAE, the GRU and the fusions of two or more encoders "
                  "(this profile runs no softmax model on a large shop catalogue, `cfg.shops_softmax`)") + "."))


def shop_selection_table(run: ShopRun) -> pd.DataFrame:
    """One row per model: its role (baseline, encoder, fusion), validation and test NDCG@10, and which were
    chosen (on validation)."""
    return pd.DataFrame([{"model": m, "role": selection_role(m), VALID_NDCG10: run.valid[m],
                          NDCG10: run.test[m].per_user[NDCG10].mean(),
                          "chosen": m in run.best.values()} for m in run.models])


def choice_sentence(run: ShopRun) -> str:
    """What was chosen on what: the best encoder and fusion by validation NDCG@10, with the validation
    numbers and how the validation targets were drawn."""
    b, v = run.best, run.valid
    return (f"Chosen on validation NDCG@10 (validation targets: {validation_stage(run.split)}): best encoder "
            f"**{b['encoder']}** ({num(v[b['encoder']], 4)}), best fusion **{b['fusion']}** ({num(v[b['fusion']], 4)}) "
            f"among the fusion candidates fitted here ({listing([m for m in run.models if selection_role(m) == 'fusion'])}).")


def selection_role(model: str) -> str:
    """``encoder``, ``fusion`` or ``baseline``."""
    return "encoder" if model in ENCODER_NAMES.values() else "fusion" if model in FUSION_CANDIDATES else "baseline"


def ensemble_weights(run: ShopRun) -> dict[str, dict[str, float]]:
    """The score ensembles' weights (chosen on validation), rounded for display."""
    return {f: {k: round(float(w), 1) for k, w in m.weights_.items()} for f, m in run.models.items()
            if isinstance(m, ScoreEnsemble)}


def plot_input_effect(effects: dict[str, pd.DataFrame]) -> plt.Figure:
    """All behaviours minus purchases only, NDCG@10 per model with its paired 95% CI, one panel per log."""
    fig, axes = plt.subplots(1, len(effects), figsize=(6.5 * len(effects), 3.8), squeeze=False)
    for ax, (name, eff) in zip(axes[0], effects.items()):
        y = np.arange(len(eff))
        ax.errorbar(eff["difference"], y, xerr=[eff["difference"] - eff["CI low"], eff["CI high"] - eff["difference"]],
                    fmt="o", capsize=3)
        ax.axvline(0, color="grey", lw=1)
        ax.set_yticks(y, eff["model"])
        ax.set(title=f"{name}: all behaviours − purchases only", xlabel="Δ NDCG@10 (95% CI)")
    fig.tight_layout()
    return fig


@dataclass
class NewUserStudy:
    """The new-user section: held-out users, the models fitted without them, the one chosen on validation,
    the tidy curve (model, events known, metric, mean, low, high) and every evaluation."""

    nu: NewUsers
    models: dict[str, Fitted]
    best: str
    curve: pd.DataFrame
    evals: dict[tuple[str, int], Evaluation]
    seconds: float


def new_user_shop(runs: dict[str, ShopRun], candidates: list[str], n_boot: int = 1000,
                  seed: int = 0) -> tuple[str | None, str]:
    """The log of the new-user study: the first of ``candidates`` on which popularity, a newcomer's fallback and
    the study's yardstick, is significantly above a random ranking on **validation**
    (:func:`~recnb.experiment.floor_check` at stage ``valid``; test targets are not read). Returns the log (or
    ``None``) and one sentence naming each log passed over and why."""
    passed = []
    for name in candidates:
        run = runs[name]
        pop = {"pop": evaluate(run.models["pop"], run.split, "valid", name="pop")}
        table, _ = experiment.floor_check(pop, run.split, n_boot=n_boot, seed=seed, stage="valid")
        if table["above random"].iloc[0]:
            why = (f" It passes over {listing(passed)}, where popularity's validation NDCG@10 is not significantly above "
                   "a random ranking: a newcomer's fallback, and the yardstick, find nothing there." if passed else "")
            return name, f"The new-user study runs on **{name}**, where popularity clears the floor on validation." + why
        passed.append(name)
    if not passed:
        return None, "*Skipped: no log with purchases and an order of events.*"
    return None, (f"*Skipped: on {listing(passed)} popularity's validation NDCG@10 is not significantly above a random "
                  "ranking, so the new-user study has no yardstick there.*")


def new_user_study(split: Split, cfg: Profile, seed: int = 0, levels: tuple[int, ...] = (1, 2, 5, 10, 20),
                   fraction: float = 0.3) -> NewUserStudy:
    """Hold out ``fraction`` of the eligible test users (:func:`~recnb.analysis.new_users.new_users`), fit
    popularity, EASE and the encoders (plus their score ensemble when there are two) without them, choose the
    best non-popularity model on the remaining users' validation NDCG@10, and reveal each newcomer's first
    ``levels`` events."""
    t0 = time.perf_counter()
    nu = new_users(split, levels=levels, fraction=fraction, seed=seed)
    which = ("ae", "graph") if split.n_items <= SOFTMAX_MAX_ITEMS else ("graph",)
    enc = fit_encoders(nu.base, cfg, seed, which=which, progress=False, shop=True)
    models: dict[str, Fitted] = {"pop": MostPopular().fit(nu.base), "ease": EASE(max_items=cfg.ease_items).fit(nu.base),
                                 "lightgcn": enc["graph"]}
    if "ae" in enc:
        models.update({"mult-vae": enc["ae"], "ensemble": ScoreEnsemble(enc).fit(nu.base)})
    valid = validation_scores({m: f for m, f in models.items() if m != "pop"}, nu.base)
    best = max(valid, key=valid.__getitem__)
    curve, evals = new_user_curve(nu, models, n_boot=cfg.n_boot, seed=seed)
    return NewUserStudy(nu, models, best, curve, evals, time.perf_counter() - t0)


def plot_new_user(study: NewUserStudy, metrics: list[str], title: str) -> plt.Figure:
    """Popularity and the chosen model as events become known, one panel per metric, with 95% bands."""
    levels = study.nu.levels
    fig, axes = plt.subplots(1, len(metrics), figsize=(6 * len(metrics), 3.6), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for m in ("pop", study.best):
            c = study.curve[(study.curve["model"] == m) & (study.curve["metric"] == metric)]
            ax.plot(c["events known"], c["mean"], marker="o", label=m)
            ax.fill_between(c["events known"], c["low"], c["high"], alpha=0.2)
        ax.set_xscale("log")
        ax.set_xticks(levels, [str(n) for n in levels])
        ax.set(xlabel="events known", ylabel=metric, title=title)
        ax.legend()
    fig.tight_layout()
    return fig


def curve_value(study: NewUserStudy, model: str, n: int, metric: str = NDCG10) -> float:
    """Mean ``metric`` of ``model`` after ``n`` events known."""
    c = study.curve
    return float(c[(c["model"] == model) & (c["metric"] == metric) & (c["events known"] == n)]["mean"].iloc[0])


def newcomer_example(split: Split, study: NewUserStudy, n: int = 5) -> tuple[pd.DataFrame, pd.DataFrame, str, float]:
    """The held-out user whose first ``n`` events are most concentrated in one category (the article's
    "likes electronics"). Returns ``(first events, share of that category in each model's top 10 per events
    known, a sentence, the chosen model's share after n events)``."""
    nu, best = study.nu, study.best
    shares = [dominant_category(split, row) for row in nu.first_items(n)]
    pick = int(np.argmax([s for _, s in shares]))
    u, (dom, dom_share) = int(nu.users[pick]), shares[pick]
    cat_name = split.categories[dom] if dom >= 0 else "none"
    first = split.events.iloc[nu.first_rows[pick, :n]]
    events = pd.DataFrame({"item": split.item_ids[first["i"]], "event": [EVENT_TYPES[c] for c in first["event"]],
                           "category": [split.categories[c] if c >= 0 else "" for c in split.item_category[first["i"]]]})
    in_dom = {(m, k): int((split.item_category[study.evals[(m, k)].topk[pick, :10]] == dom).sum())
              for k in nu.levels for m in ("pop", best)}
    per_n = pd.DataFrame([{"events known": k, "model": m, f"share of category {cat_name} in the top 10": c / 10}
                          for (m, k), c in in_dom.items()]).pivot(index="events known", columns="model")
    target_cat = split.item_category[nu.targets[pick]]
    sentence = (f"User {split.user_ids[u]}: category **{cat_name}** makes up {dom_share:.0%} of the first "
                f"{count(n, 'event')}. After those, {best}'s top 10 holds {count(in_dom[(best, n)], 'item')} of that "
                f"category (popularity: {in_dom[('pop', n)]}). The purchase that followed was in category "
                f"{split.categories[target_cat] if target_cat >= 0 else 'unknown'}{' (the same)' if target_cat == dom else ''}.")
    return events, per_n, sentence, in_dom[(best, n)] / 10


def explain_example(split: Split, run: ShopRun, history_len: int = 15) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """Explain the validation-chosen encoder's first recommendation of an untouched item for one test user
    it hit (history length nearest ``history_len``): occlusion contributions of the history items, and the
    user's nearest neighbours in LightGCN's space who have the item. Returns ``(sentence, contributions,
    neighbours)``."""
    name = run.best["encoder"]
    e, model = run.test[name], run.models[name]
    hits = np.flatnonzero(e.per_user[HR10].to_numpy() > 0)
    lengths = np.diff(split.history("test").indptr)[e.users]
    row = int(hits[np.argmin(np.abs(lengths[hits] - history_len))]) if len(hits) else 0
    u = int(e.users[row])
    touched = set(split.history("test")[u].indices.tolist())
    item = int(next(i for i in e.topk[row] if int(i) not in touched))
    contrib = occlusion(model, split, u, item, max_items=30)
    ev = split.events[(split.events["u"] == u) & split.events["role"].isin(["train", "valid", "gap"])]
    kinds = ev.groupby("i")["event"].agg(lambda c: "+".join(sorted({EVENT_TYPES[x] for x in c})))
    contrib["item id"] = split.item_ids[contrib["item"]]
    contrib["events on it"] = contrib["item"].map(kinds)
    contrib["category"] = [split.categories[c] if c >= 0 else "" for c in split.item_category[contrib["item"]]]
    near = neighbours(run.models["lightgcn"].user_vectors(np.arange(split.n_users)), split, u, item, k=5)
    near["user id"] = split.user_ids[near["user"].to_numpy(dtype=int)]
    cat = split.item_category[item]
    sentence = (f"**User {split.user_ids[u]}**: {count(len(kinds), 'distinct history item')}; first new item "
                f"recommended by {name} (chosen on validation NDCG@10): {split.item_ids[item]}"
                + (f" (category {split.categories[cat]})" if cat >= 0 else "")
                + f"; score {num(contrib.attrs['score'])}.")
    return (sentence, contrib[["item id", "events on it", "category", "contribution"]],
            near[["user id", "similarity", "history"]])


def beyond_accuracy(evals: dict[str, Evaluation]) -> pd.DataFrame:
    """:func:`~recnb.analysis.shop.beyond_table` with each model's test NDCG@10 in front."""
    bt = beyond_table(evals)
    bt.insert(0, NDCG10, [evals[m].per_user[NDCG10].mean() for m in bt.index])
    return bt


def plot_beyond(tables: dict[str, pd.DataFrame]) -> plt.Figure:
    """Accuracy against catalogue coverage, one panel per log."""
    fig, axes = plt.subplots(1, len(tables), figsize=(6.5 * len(tables), 3.8), squeeze=False)
    for ax, (name, bt) in zip(axes[0], tables.items()):
        ax.scatter(bt["coverage@10"], bt[NDCG10])
        for m, row in bt.iterrows():
            ax.annotate(m, (row["coverage@10"], row[NDCG10]), fontsize=8)
        ax.set(xscale="log", xlabel="catalogue coverage@10 (log)", ylabel="NDCG@10", title=f"{name}: accuracy vs coverage")
    fig.tight_layout()
    return fig


def shop_verdict(name: str, run: ShopRun, effect: pd.DataFrame, verdict: str) -> list[str]:
    """The verdict lines of one log: the chosen models' test NDCG@10 next to ``seen`` and EASE, the family
    verdict of :func:`~recnb.evaluate.compare` (``verdict``), and what views and carts add to the chosen fusion."""
    b = run.best
    nd = {m: e.per_user[NDCG10].mean() for m, e in run.test.items()}
    eff = effect.set_index("model").loc[b["fusion"]]
    return [f"- **{name}** (choices on validation NDCG@10, validation targets as stated in section 2): "
            f"test NDCG@10 of the chosen fusion {b['fusion']} {num(nd[b['fusion']], 4)}, of the chosen encoder "
            f"{b['encoder']} {num(nd[b['encoder']], 4)}; seen {num(nd['seen'], 4)}, EASE {num(nd['ease'], 4)}. " + verdict,
            f"- {name}: with views and carts as input, {b['fusion']} changes by {eff['difference']:+.4f} "
            f"(95% CI [{eff['CI low']:+.4f}, {eff['CI high']:+.4f}]) against purchases alone."]


__all__ = ["SOFTMAX_MAX_ITEMS", "MIN_DAY_VIEWS", "shop_logs", "data_summary", "plot_daily", "daily_note",
           "category_funnel", "plot_category", "ShopRun", "next_purchase", "validation_stage",
           "run_summary", "shop_selection_table", "choice_sentence", "selection_role", "ensemble_weights",
           "plot_input_effect", "NewUserStudy", "new_user_shop", "new_user_study", "plot_new_user", "curve_value",
           "newcomer_example", "explain_example", "beyond_accuracy", "plot_beyond", "shop_verdict"]
