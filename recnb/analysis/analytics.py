"""Notebook 08's sections as functions that return tidy tables and sentences rendered from their values.

Behaviour analytics (the article's section 1.2): personas from the feature autoencoder's latent profile
(:mod:`.personas`), purchase prediction without leakage (:mod:`.prediction`) and shilling-attack detection
(:mod:`.anomaly`). The one choice this notebook makes, which detector's flags are removed before measuring what a
clean-up restores, is made on a validation injection (another seeded attack of the same kind), never on the
attack it is then applied to.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from sklearn.calibration import calibration_curve
from sklearn.metrics import adjusted_rand_score, roc_auc_score

from ..data import Dataset
from ..data.simulate import simulate
from ..evaluate import binary_metrics, bootstrap_ci
from ..models.autoencoder import FeatureAutoencoder
from ..plots import latent_2d
from ..prose import count, estimate, listing
from .anomaly import Attack, detection_scores, inject, rating_features, target_exposure
from .personas import choose_k, cluster, describe, persona_features
from .prediction import fit_predict, next_category, purchase_task

PERSONA_KS = range(2, 11)
"""The numbers of personas tried; the silhouette score picks one."""
DETECTORS = ("autoencoder error", "RDMA")
VALIDATION_SEED_OFFSET = 1000
"""The validation injection uses the attack's seed plus this offset: other attackers, another target item."""


def simulated_personas(latent: int, epochs: int, seed: int = 0, n_clusters: int = 4) -> dict[str, float]:
    """The personas pipeline on simulated users with ``n_clusters`` planted interest clusters: the k the
    silhouette picks and the adjusted Rand index of the k-means labels against the planted clusters."""
    sim = simulate(n_users=1000, n_items=400, n_categories=12, n_clusters=n_clusters, mean_views=30, seed=seed)
    _, x = persona_features(sim.events, sim.items)
    h = FeatureAutoencoder(latent=latent, max_epochs=epochs, seed=seed).fit(x).transform(x)
    k, _ = choose_k(h, range(2, 9), seed)
    truth = sim.users.set_index("user_id")["cluster"].loc[x.index].to_numpy()
    return {"planted": int(sim.users["cluster"].nunique()), "k": k,
            "ari": float(adjusted_rand_score(truth, cluster(h, k, seed)))}


@dataclass
class Personas:
    """Personas of one dataset: model input ``x`` (users x features), latent ``h``, chosen ``k``, labels, the
    silhouette table (latent and raw features) and one described row per persona."""

    x: pd.DataFrame
    h: np.ndarray
    k: int
    labels: np.ndarray
    silhouette: pd.DataFrame
    described: pd.DataFrame


def personas(ds: Dataset, latent: int, epochs: int, seed: int = 0) -> Personas:
    """Feature autoencoder -> latent h -> k-means with k by silhouette over :data:`PERSONA_KS`; the same
    silhouette on the z-scored raw features for comparison."""
    raw, x = persona_features(ds.events, ds.items)
    h = FeatureAutoencoder(latent=latent, max_epochs=epochs, seed=seed).fit(x).transform(x)
    k, sil = choose_k(h, PERSONA_KS, seed)
    labels = cluster(h, k, seed)
    _, sil_raw = choose_k(((x - x.mean()) / x.std().replace(0, 1)).to_numpy(), PERSONA_KS, seed)
    sil = sil.merge(sil_raw, on="k", suffixes=(" (latent h)", " (raw features)"))
    return Personas(x, h, k, labels, sil, describe(raw, labels))


def plot_personas(p: Personas) -> plt.Figure:
    """The personas in a 2-D map of h, and each persona's feature means in SDs from all users."""
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.6))
    latent_2d(p.h, pd.Series(p.labels).map(lambda i: f"persona {i}"), ax=axes[0],
              title="personas in the latent profile (2-D)")
    means = p.x.assign(persona=p.labels).groupby("persona").mean()
    z = (means - p.x.mean()) / p.x.std().replace(0, 1)
    sns.heatmap(z.T, cmap="vlag", center=0, ax=axes[1], cbar_kws={"label": "mean, in SDs from all users"})
    axes[1].set_title("feature means per persona")
    fig.tight_layout()
    return fig


def purchase_prediction(name: str, ds: Dataset, window: float, epochs: int, n_boot: int = 1000,
                        seed: int = 0) -> tuple[pd.DataFrame, dict[tuple[str, str], tuple[np.ndarray, np.ndarray]], str]:
    """Who buys in the next ``window`` days: a logistic regression on recency-frequency features, on the
    feature autoencoder's latent h of them, and on both. Returns ``(one row per input with ROC-AUC, PR-AUC and
    CIs, {(name, input): (truth, predicted)}, a sentence with the cuts)``."""
    task = purchase_task(ds.events, window, ds.items)
    enc = FeatureAutoencoder(latent=4, max_epochs=epochs, seed=seed).fit(task.X_train)
    z_tr = pd.DataFrame(enc.transform(task.X_train), index=task.X_train.index).add_prefix("h")
    z_te = pd.DataFrame(enc.transform(task.X_test), index=task.X_test.index).add_prefix("h")
    inputs = {"recency-frequency": (task.X_train, task.X_test), "autoencoder h": (z_tr, z_te),
              "both": (task.X_train.join(z_tr), task.X_test.join(z_te))}
    rows, curves = [], {}
    for label, (tr, te) in inputs.items():
        p = fit_predict(tr, task.y_train, te, seed)
        rows.append({"dataset": name, "input": label, **binary_metrics(task.y_test.to_numpy(), p, n_boot, seed),
                     "test users": len(te), "buyers": int(task.y_test.sum())})
        curves[(name, label)] = (task.y_test.to_numpy(), p)
    note = (f"{name}: {window:g}-day window; cut_train {task.cut_train:%Y-%m-%d %H:%M}, cut_test "
            f"{task.cut_test:%Y-%m-%d %H:%M}; {task.info}")
    return pd.DataFrame(rows), curves, note


def plot_calibration(curves: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]], names: list[str]) -> plt.Figure:
    """Reliability curves (quantile bins) per dataset and input."""
    fig, axes = plt.subplots(1, len(names), figsize=(5.5 * len(names), 4), squeeze=False)
    for ax, name in zip(axes[0], names):
        for (n, label), (y, p) in curves.items():
            if n == name:
                frac, mean_p = calibration_curve(y, p, n_bins=8, strategy="quantile")
                ax.plot(mean_p, frac, "o-", label=label)
        ax.plot([0, 1], [0, 1], ":", color="0.5")
        ax.set(xlabel="predicted probability", ylabel="observed purchase rate", title=f"{name}: calibration")
        ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def next_category_accuracy(ds: Dataset, window: float, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """For users active on both sides of the test cut: accuracy (with 95% CI) of three predictions of the
    category of their first action after it; ``attrs["users"]`` holds how many users."""
    nc = next_category(ds.events, purchase_task(ds.events, window, ds.items).cut_test, ds.items)
    hits = {c: (nc[c] == nc["truth"]).to_numpy(dtype=float) for c in ["most recent", "most frequent", "global most frequent"]}
    table = pd.DataFrame([{"prediction": c, "accuracy": h.mean(), **dict(zip(["low", "high"], bootstrap_ci(h, n_boot, seed)))}
                          for c, h in hits.items()])
    table.attrs["users"] = len(nc)
    return table


def dense_ids(ratings: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """``(ratings with user and item ids replaced by dense integers, the original item ids)``: string ids of a
    reader's own log included, since the attacks add users above the largest id."""
    items, originals = pd.factorize(ratings["item_id"], sort=True)
    return ratings.assign(user_id=pd.factorize(ratings["user_id"], sort=True)[0], item_id=items), np.asarray(originals)


def attack_design(ratings: pd.DataFrame, attacks: list[Attack]) -> str:
    """The injected attacks in one sentence, sizes rendered from the data."""
    a = attacks[0]
    n_items, n_users = ratings["item_id"].nunique(), ratings["user_id"].nunique()
    filler = int(round(a.filler * n_items)) if a.filler < 1 else int(a.filler)
    shares = sorted({x.share for x in attacks})
    pct = listing([f"{s:.0%}" for s in shares], "or")
    sizes = listing([str(max(1, round(s * n_users))) for s in shares], "or")
    return (f"Each attack profile rates the target and a filler of {a.filler:.0%} of the catalogue "
            f"({count(filler, 'item')} of {n_items:,}); bandwagon adds the {count(a.n_popular, 'most-rated item')} at "
            f"the top of the scale. Attackers number {pct} of the "
            f"{count(n_users, 'genuine user')} ({sizes}); "
            f"intents: {listing(sorted({x.intent for x in attacks}))}.")


def _detector_scores(ratings: pd.DataFrame, attack: Attack, epochs: int, seed: int
                     ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, np.ndarray]]:
    ev, truth = inject(ratings, attack)
    feats = rating_features(ev).loc[truth["user_id"]]
    err = FeatureAutoencoder(latent=3, max_epochs=epochs, seed=seed).fit(feats).reconstruction_error(feats)
    return ev, truth, {"autoencoder error": err, "RDMA": feats["rdma"].to_numpy()}


def choose_detector(ratings: pd.DataFrame, attack: Attack, epochs: int, seed: int = 0) -> tuple[str, dict[str, float]]:
    """The detector with the higher ROC-AUC on a validation injection (the same attack with seed + the
    :data:`VALIDATION_SEED_OFFSET`): ``(name, {detector: validation AUC})``."""
    _, truth, scores = _detector_scores(ratings, replace(attack, seed=attack.seed + VALIDATION_SEED_OFFSET), epochs, seed)
    y = truth["is_attacker"].to_numpy()
    auc = {d: float(roc_auc_score(y, s)) for d, s in scores.items()}
    return max(auc, key=auc.__getitem__), auc


def shilling_study(ratings: pd.DataFrame, attacks: list[Attack], epochs: int, n_boot: int = 1000, seed: int = 0,
                   cleanup_share: float = 0.05) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Inject each attack, score both detectors (ROC-AUC, PR-AUC, precision at the number injected); for push
    attacks of ``cleanup_share``, measure the target's exposure in genuine users' EASE rankings before, after,
    and after removing the users flagged by the detector chosen on a validation injection
    (:func:`choose_detector`). Returns ``(detection table, exposure table)``."""
    ratings, item_ids = dense_ids(ratings)
    genuine = np.sort(ratings["user_id"].unique())
    rows, effects = [], []
    for a in attacks:
        ev, truth, scores = _detector_scores(ratings, a, epochs, seed)
        y = truth["is_attacker"].to_numpy()
        for det, s in scores.items():
            rows.append({"attack": a.kind, "intent": a.intent, "share": a.share, "attackers": f"{a.share:.0%}",
                         "detector": det, **detection_scores(s, y, n_boot, seed)})
        if a.intent == "push" and a.share == cleanup_share:
            best, valid_auc = choose_detector(ratings, a, epochs, seed)
            for r in rows[-len(scores):]:
                r.update({"valid auc": valid_auc[r["detector"]], "chosen on validation": r["detector"] == best})
            flagged = truth["user_id"].to_numpy()[np.argsort(-scores[best])[: int(y.sum())]]
            t = truth.attrs["target"]
            for stage, data in [("before the attack", ratings), ("after the attack", ev),
                                (f"flagged users removed ({best})", ev[~ev["user_id"].isin(flagged)])]:
                effects.append({"attack": a.kind, "target": item_ids[t], "stage": stage, **target_exposure(data, t, genuine)})
    return pd.DataFrame(rows), pd.DataFrame(effects)


def ledger_sentences(name: str, ledger: pd.DataFrame) -> list[str]:
    """One bullet per rule of a parsing ledger that changed rows: what it did and how many rows it removed."""
    changed = ledger[ledger["rows_in"] != ledger["rows_out"]] if len(ledger) else ledger
    return [f"- `{name}`, rule *{r.rule}*: {r.detail} ({count(r.rows_in - r.rows_out, 'row')} removed)."
            for r in changed.itertuples()] or [f"- `{name}`: no ledger rule removed anything."]


def verdict_lines(sim: dict[str, float], pers: Personas, pred: pd.DataFrame, detect: pd.DataFrame | None,
                  share: float, small_share: float) -> list[str]:
    """The notebook's verdicts, every number from the run: personas (k, ARI on the simulated check), purchase
    prediction per log (ROC-AUC with CI per input), and shilling detection at ``share`` (and the autoencoder at
    ``small_share``), with the comparison of the two detectors computed, not asserted."""
    lines = [f"- **Personas**: silhouette picks k = {pers.k} on the latent profile; on simulated users the "
             f"{sim['planted']} planted clusters are recovered with ARI {sim['ari']:.2f}. The descriptions above come "
             "from the numbers; they are summaries, not causes."]
    for name, d in (pred.groupby("dataset") if len(pred) else []):
        d = d.set_index("input")
        auc = {i: estimate(d.loc[i, "auc"], d.loc[i, "auc_low"], d.loc[i, "auc_high"]) for i in d.index}
        lines.append(f"- **Purchase prediction, {name}**: ROC-AUC " + "; ".join(f"{i} {a}" for i, a in auc.items())
                     + f"; {count(d['buyers'].iloc[0], 'buyer')} among {count(d['test users'].iloc[0], 'test user')}.")
    if detect is None or detect.empty:
        return lines
    push = detect[detect["intent"] == "push"]
    agg = push[push["share"] == share].pivot(index="attack", columns="detector", values="auc")
    lines.append(f"- **Shilling detection (push, {share:.0%} attackers)**, ROC-AUC: " + "; ".join(
        f"{a}: autoencoder {r['autoencoder error']:.2f}, RDMA {r['RDMA']:.2f}" for a, r in agg.iterrows()) + ".")
    small = push[(push["share"] == small_share) & (push["detector"] == "autoencoder error")]
    if small_share != share and len(small):
        lines.append(f"  With {small_share:.0%} attackers the autoencoder's ROC-AUC is " + ", ".join(
            f"{r.attack} {r.auc:.2f}" for r in small.itertuples()) + ".")
    below = agg.index[agg["autoencoder error"] < 0.5].tolist()
    if below:
        lines.append(f"  The autoencoder scores {listing(below)} *below* chance at {share:.0%}: a group that large and "
                     "that uniform can be learned as a pattern of its own and reconstructed better than real users; "
                     "RDMA measures item-level deviation per user instead.")
    wins = (agg["RDMA"] > agg["autoencoder error"])
    better = "RDMA" if wins.all() else "the autoencoder" if (~wins).all() else "neither detector uniformly"
    lines.append(f"  Higher ROC-AUC on every attack: {better}.")
    return lines


__all__ = ["verdict_lines", "PERSONA_KS", "DETECTORS", "VALIDATION_SEED_OFFSET", "simulated_personas", "Personas", "personas",
           "plot_personas", "purchase_prediction", "plot_calibration", "next_category_accuracy", "dense_ids",
           "attack_design", "choose_detector", "shilling_study", "ledger_sentences"]
