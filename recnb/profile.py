"""Run profiles: every setting that differs between a smoke test, a quick report and the full study.

A notebook reads its settings from one object, ``cfg = get_profile(profile)``, by name (``cfg.seq_epochs``);
the report runner (:func:`recnb.report.run_report`) and the command line (``--profile``) accept exactly the
names of :data:`PROFILES` and write the chosen profile's fields into ``manifest.json``. No notebook holds a
table of per-profile values of its own (a test checks that).

* ``smoke``: every cell runs on ML-100K in a couple of minutes (epochs of 2-3); its numbers are not results.
* ``quick``: the study at a reduced budget (one seed, shorter training, smaller sweeps); shop logs included.
* ``full``: the study as reported (three seeds, full sweeps, the softmax models on the shop catalogues).
* ``gpu``: ``full`` plus what only a GPU does in time (``--device cuda``): notebook 10's S3-Rec Amazon logs with
  every user and its large scaling grid on them and the MovieLens-1M head, and notebook 12 with three seeds and every
  fusion. A CPU run never starts it by default.
* ``benchmark``: ``full`` under its own name, the profile of ``make benchmark``: it runs notebook 12 alone (every
  user of the S3-Rec Amazon files), which no other profile's run starts unless asked (``--only 12``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace


@dataclass(frozen=True)
class Profile:
    """The settings of one run profile (see the module docstring); one field per setting, grouped by notebook.

    Shared by several notebooks:
        name: ``smoke``, ``quick`` or ``full``.
        n_boot: bootstrap resamples for every 95% CI and paired test.
        seeds: seeds each neural model is trained with (per-user metrics are averaged over them).
        bpr_epochs: epoch cap of the BPR-MF baseline.
        ease_items: EASE's size limit (:mod:`recnb.models.ease`): catalogues up to this many items are fitted
            in item space, larger ones with at most this many users in user space (the same exact model);
            only when both sides are larger is EASE restricted to this many popular items, and the fitted
            model states it and what it cuts off (``EASE.info_``, ``EASE.uncovered_targets(split)``).
        shops: whether notebooks 02 and 06 also run on the shop logs (Taobao, Retailrocket) found on the path.
        shops_softmax: whether notebooks 03 and 04 run their full-softmax models on the shop catalogues.

    Per notebook:
        feature_ae_epochs: 03, epoch cap of the feature autoencoder.
        ae_epochs: 03, epoch cap of Mult-VAE and Mult-DAE (and of the latent-size sweep).
        ae_latent_sweep: 03, latent sizes of the Mult-VAE sweep.
        seq_epochs: 04, epoch cap of the sequence models.
        seq_width_sweep: 04, state sizes of the scaling sweep.
        seq_sweep_cells: 04, cells of the scaling sweep.
        graph_epochs: 05, epoch cap of the graph models.
        graph_depth_sweep: 05, numbers of propagation layers of the depth sweep.
        social_datasets: 05, the datasets with user-user relations of the social-graph section (those found).
        fusion_epochs: 06, epoch cap of each encoder and each trained fusion.
        shop_epochs: 06 and 07, epoch cap of LightGCN and of the trained fusions on a shop log (the shop Mult-VAE and
            GRU carry their own caps, :data:`recnb.recipes.SHOP`).
        analytics_ae_epochs: 08, epoch cap of the feature autoencoders (personas, prediction, anomalies).
        attack_intents, attack_shares: 08, the shilling attacks injected (every kind, for each intent and share).
        text_items: 09 and 10, the catalogue cut to its most popular items before the text study (0 = every item).
        text_seq_epochs: 09, epoch cap of the ID-only, ID + text and text-only SASRec (as ``seq_epochs``, so that
            the ID-only SASRec is notebook 04's fit, served by the model cache); 10 reuses their first seed.
        cold_seeds: 09, the draws of cold items the cold-item study is repeated over (10: the first draw).
        fl_clients, fl_rounds, fl_schemes: 11, the federations (clients, FedAvg rounds, partition schemes; the
            centralised comparator trains as many epochs as there are rounds). Scheme ``user`` is one client per
            user, of which ``fl_user_fraction`` are sampled per round (Flower's ``fraction_train``).
        dp_epochs, dp_epsilons: 11, epochs of every DP-SGD (and non-private) run and the target epsilons.
        stream_hours, stream_events, stream_seq_epochs, stream_refit_hours: 11, the replayed stream (its last
            hours of log time), the events timed for latency, the GRU's epoch cap, the periodic refit interval.
        stream_signal_hours: 11, the length of the stream with signal (MovieLens-1M head) and of its validation
            replay just before it, cut where returning users act most (:func:`recnb.analysis.stream_study.busiest_cuts`).
        dp_shadows: 11, shadow models of the likelihood-ratio membership attack (LiRA; even and at least 4, each user
            in half of them).
        gen_epochs: 10, epoch cap of the generative recommender (semantic IDs); 0 = not run in this profile
            (its budget would not lift it off popularity; the notebook says so).
        gen_beam: 10, beam width of its constrained beam search (= length of its ranked list).
        semantic_codebook: 10, clusters per level of the residual k-means semantic IDs.
        scale_depths, scale_widths, scale_fractions: 10, the SASRec scaling grid (layers x width x share
            of training users); with ``scale_epochs`` = ``seq_epochs`` its whole-data points are notebook 04's
            width sweep, served by the model cache.
        scale_epochs: 10, epoch cap of each point of the scaling grid (a point that reaches it is flagged and left
            out of the law's fit).
        gen_datasets: 10, the logs of the generative comparison besides the notebook's own (the S3-Rec Amazon
            logs: profile ``gpu``).
        gen_amazon_users: 10, users sampled from each of them (0 = every user).
        gen_seq_epochs: 10, epoch cap of SASRec and SASRec + text on the logs besides the notebook's own.
        scale_datasets: 10, the logs of the scaling grid (none: the notebook's own split).
        bench_datasets: 12, the benchmark files (the S3-Rec Amazon logs; a reader's sequence file replaces them).
        bench_users: 12, users sampled from each of them (0 = every user, as the published tables use).
        bench_seeds: 12, seeds of every trained model.
        bench_seq_epochs: 12, epoch cap of SASRec and the GRU; bench_epochs: of Mult-VAE, LightGCN and the trained
            fusions (each early-stopped on validation NDCG@10 well before the cap in the ``benchmark`` profile).
        bench_patience: 12, early-stopping patience of every trained single model there (epochs of 20-40 s each on
            Amazon Sports on two cores).
        bench_fusions: 12, the fusions over the three encoders that compete (notebook 06's candidates; the
            trained ones, ``late`` and ``cascade``, in profile ``gpu``).
    """

    name: str
    n_boot: int
    seeds: int
    bpr_epochs: int
    ease_items: int
    shops: bool
    shops_softmax: bool
    feature_ae_epochs: int
    ae_epochs: int
    ae_latent_sweep: tuple[int, ...]
    seq_epochs: int
    seq_width_sweep: tuple[int, ...]
    seq_sweep_cells: tuple[str, ...]
    graph_epochs: int
    graph_depth_sweep: tuple[int, ...]
    social_datasets: tuple[str, ...]
    fusion_epochs: int
    shop_epochs: int
    analytics_ae_epochs: int
    attack_intents: tuple[str, ...]
    attack_shares: tuple[float, ...]
    text_items: int
    text_seq_epochs: int
    cold_seeds: tuple[int, ...]
    fl_clients: int
    fl_rounds: int
    fl_schemes: tuple[str, ...]
    fl_user_fraction: float
    dp_epochs: int
    dp_epsilons: tuple[float, ...]
    stream_hours: float
    stream_events: int
    stream_seq_epochs: int
    stream_refit_hours: float
    stream_signal_hours: float
    dp_shadows: int
    gen_epochs: int
    gen_beam: int
    semantic_codebook: int
    scale_depths: tuple[int, ...]
    scale_widths: tuple[int, ...]
    scale_fractions: tuple[float, ...]
    scale_epochs: int
    gen_datasets: tuple[str, ...]
    gen_amazon_users: int
    gen_seq_epochs: int
    scale_datasets: tuple[str, ...]
    bench_datasets: tuple[str, ...] = ("amazon-sports", "amazon-toys")
    bench_users: int = 0
    bench_seeds: int = 1
    bench_seq_epochs: int = 30
    bench_epochs: int = 25
    bench_patience: int = 5
    bench_fusions: tuple[str, ...] = ("ensemble", "gated")

    def as_dict(self) -> dict[str, object]:
        """The fields as a plain dict (for ``manifest.json`` and for display in a notebook)."""
        return asdict(self)


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke", n_boot=200, seeds=1, bpr_epochs=3, ease_items=500, shops=False, shops_softmax=False,
        feature_ae_epochs=20, ae_epochs=3, ae_latent_sweep=(16, 64),
        seq_epochs=2, seq_width_sweep=(8, 16), seq_sweep_cells=("sasrec",),
        graph_epochs=3, graph_depth_sweep=(0, 2), social_datasets=("lastfm",), fusion_epochs=2, shop_epochs=2, analytics_ae_epochs=20,
        attack_intents=("push",), attack_shares=(0.05,),
        text_items=300, text_seq_epochs=1, cold_seeds=(0,),
        fl_clients=2, fl_rounds=2, fl_schemes=("iid", "user"), fl_user_fraction=0.005, dp_epochs=1, dp_epsilons=(1.0,),
        stream_hours=24.0, stream_events=200, stream_seq_epochs=1, stream_refit_hours=12.0,
        stream_signal_hours=12.0, dp_shadows=4,
        gen_epochs=1, gen_beam=20, semantic_codebook=16, scale_depths=(1,), scale_widths=(8, 16),
        scale_fractions=(1.0,), scale_epochs=2, gen_datasets=(), gen_amazon_users=500, gen_seq_epochs=1,
        scale_datasets=(), bench_users=300, bench_seq_epochs=2, bench_epochs=3),
    "quick": Profile(
        name="quick", n_boot=1000, seeds=1, bpr_epochs=30, ease_items=3000, shops=True, shops_softmax=False,
        feature_ae_epochs=300, ae_epochs=60, ae_latent_sweep=(16, 64, 200),
        seq_epochs=20, seq_width_sweep=(16, 32, 64), seq_sweep_cells=("sasrec",),
        graph_epochs=150, graph_depth_sweep=(0, 1, 2, 3, 4), social_datasets=("lastfm",), fusion_epochs=30, shop_epochs=15,
        analytics_ae_epochs=150, attack_intents=("push", "nuke"), attack_shares=(0.01, 0.05),
        text_items=0, text_seq_epochs=20, cold_seeds=(0,),
        fl_clients=20, fl_rounds=8, fl_schemes=("iid", "user"), fl_user_fraction=0.03, dp_epochs=10,
        dp_epsilons=(1.0, 3.0, 8.0),
        stream_hours=24.0, stream_events=2000, stream_seq_epochs=2, stream_refit_hours=6.0,
        stream_signal_hours=24.0, dp_shadows=4,
        gen_epochs=0, gen_beam=20, semantic_codebook=32, scale_depths=(1,), scale_widths=(16, 64),
        scale_fractions=(0.25, 0.5, 1.0), scale_epochs=40, gen_datasets=(),
        gen_amazon_users=0, gen_seq_epochs=100, scale_datasets=(), bench_users=3000, bench_seq_epochs=30,
        bench_epochs=40),
    "full": Profile(
        name="full", n_boot=2000, seeds=3, bpr_epochs=200, ease_items=5000, shops=True, shops_softmax=True,
        feature_ae_epochs=300, ae_epochs=300, ae_latent_sweep=(8, 16, 32, 64, 128, 200, 400),
        seq_epochs=100, seq_width_sweep=(8, 16, 32, 64, 128), seq_sweep_cells=("sasrec", "gru"),
        graph_epochs=300, graph_depth_sweep=(0, 1, 2, 3, 4, 6, 8),
        social_datasets=("lastfm", "ciao"), fusion_epochs=100, shop_epochs=20,
        analytics_ae_epochs=300, attack_intents=("push", "nuke"), attack_shares=(0.01, 0.05),
        text_items=0, text_seq_epochs=100, cold_seeds=(0, 1, 2, 3, 4),
        fl_clients=30, fl_rounds=20, fl_schemes=("iid", "genre", "user"), fl_user_fraction=0.03,
        dp_epochs=20,
        dp_epsilons=(1.0, 3.0, 8.0), stream_hours=24.0, stream_events=3000, stream_seq_epochs=4,
        stream_refit_hours=12.0, stream_signal_hours=48.0, dp_shadows=8,
        gen_epochs=40, gen_beam=50, semantic_codebook=32, scale_depths=(1,),
        scale_widths=(8, 16, 32, 64), scale_fractions=(0.25, 0.5, 1.0), scale_epochs=100,
        gen_datasets=(), gen_amazon_users=0, gen_seq_epochs=100, scale_datasets=()),
}
"""Every profile by name, in increasing budget."""
PROFILES["gpu"] = replace(
    PROFILES["full"], name="gpu", gen_epochs=100, semantic_codebook=64, gen_datasets=("amazon-sports", "amazon-toys"),
    scale_depths=(1, 2, 3, 4), scale_widths=(32, 64, 128, 256, 512), scale_fractions=(0.1, 0.3, 1.0),
    scale_datasets=("amazon-sports", "movielens-1m-head"), bench_seeds=3,
    bench_fusions=("ensemble", "gated", "late", "cascade"))
PROFILES["benchmark"] = replace(PROFILES["full"], name="benchmark")


def get_profile(name: str) -> Profile:
    """The :class:`Profile` called ``name``; ``ValueError`` naming the known profiles otherwise."""
    try:
        return PROFILES[name]
    except (KeyError, TypeError):
        raise ValueError(f"profile {name!r}: expected one of {', '.join(PROFILES)}") from None


__all__ = ["Profile", "PROFILES", "get_profile"]
