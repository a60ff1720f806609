"""Federated learning with Flower's simulation runtime: FedAvg (McMahan et al., AISTATS 2017) of a Mult-DAE.

Setting. The users are split into ``n_clients`` clients (:func:`partition_users`: IID, non-IID by
activity or by favourite genre, or one user per client, the cross-device extreme). A client holds its
users' train rows, which never leave it; the model is the Mult-DAE of :mod:`recnb.privacy.dae`, whose
only user-specific quantity (the code of the user's row, the encoder's input) is computed from that row
and stays on the client, so every parameter is shared. Each round the server sends the global weights to a seeded sample of clients
(``fraction`` of them); each client trains ``local_epochs`` epochs on its rows with a fresh Adam optimizer
(stateless clients, as in cross-device federated learning) and returns its weights with its number of
users; Flower's ``FedAvg`` averages them weighted by users. The federation loop, messaging and averaging
are Flower's (``flwr.simulation.run_simulation`` over Ray); this module only says what a client does.
Flower's simulated supernodes serve as execution slots: each round the strategy sends the sampled clients'
messages to as many supernodes, each message naming the client whose rows it trains on. Clients are
stateless, so which slot runs a client changes nothing, and a federation of one client per user (hundreds
of clients, a few sampled per round) needs only as many supernodes as clients sampled in a round.

Evaluation. After every round the server ranks the whole catalogue for the split's validation and test
targets with :func:`recnb.evaluate.evaluate` (a simulation shortcut: a real server cannot see user data).
The reported model is the round with the best validation NDCG@10; test NDCG@10 is shown for every round.
``bytes down``/``bytes up`` count the serialised parameter arrays (Flower's ``Array`` payload: the raw
float32 data and a small header per array) sent to and returned by the sampled clients.

Repeatability: client sampling, batch order and dropout are drawn from seeds of (seed, round, client),
and replies are averaged in client order, so a run gives the same numbers every time. With one client
and ``fraction = 1`` a round is exactly ``local_epochs`` epochs of centralised training
(:func:`~recnb.privacy.dae.train_epochs`), and one user per client is a mean of one-row steps, which the
tests check.

Flower's own telemetry and Ray's usage statistics are switched off: nothing leaves the machine.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import warnings
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

from ..evaluate.names import NDCG10, VALID_NDCG10
from ..data.split import Split
from ..evaluate import Evaluation, evaluate
from ..models.autoencoder import MultVAE
from ..train import adam
from .dae import DAEConfig, attach, build_dae, train_epochs

os.environ.setdefault("FLWR_TELEMETRY_ENABLED", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

SCHEMES = ("iid", "activity", "genre", "user")


def partition_users(split: Split, n_clients: int, scheme: str = "iid", seed: int = 0) -> np.ndarray:
    """Assign every user with train events to one of ``n_clients`` clients of (nearly) equal size.

    Schemes: ``iid`` a seeded random order; ``activity`` users sorted by their number of train items (client
    0 holds the least active); ``genre`` users sorted by the most frequent category of their train items
    (ties by a seeded random key), so that a client holds mostly one genre; ``user`` one user per client
    (``n_clients`` must be the number of users with train events, see :meth:`Federation.per_user`), in a
    seeded random order. Consecutive users in that order form a client. Returns the client of each user,
    shape (n_users,), -1 for users without train events.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"partition_users: scheme {scheme!r}, expected one of {', '.join(SCHEMES)}")
    counts = np.diff(split.train.indptr)
    users = np.flatnonzero(counts > 0)
    if not 1 <= n_clients <= len(users):
        raise ValueError(f"partition_users: n_clients={n_clients}, expected 1..{len(users)} (users with train events)")
    key = np.random.default_rng(seed).random(len(users))
    if scheme == "user" and n_clients != len(users):
        raise ValueError(f"partition_users: scheme 'user' puts one user per client, so n_clients must be "
                         f"{len(users)} (users with train events), got {n_clients}")
    if scheme in ("iid", "user"):
        order = np.argsort(key)
    elif scheme == "activity":
        order = np.lexsort((key, counts[users]))
    else:
        if not split.categories:
            raise ValueError(f"partition_users: scheme 'genre' needs item categories, {split.name!r} has none")
        cats = split.item_category
        known = split.train[users][:, cats >= 0].tocoo()  # (user, item) pairs with a known category
        per_cat = sp.csr_matrix((np.ones(known.nnz), (known.row, cats[cats >= 0][known.col])),
                                shape=(len(users), len(split.categories)))
        favourite = np.asarray(per_cat.argmax(axis=1)).ravel()
        order = np.lexsort((key, favourite))
    out = np.full(split.n_users, -1, dtype=np.int64)
    for c, chunk in enumerate(np.array_split(users[order], n_clients)):
        out[chunk] = c
    return out


def describe_partition(split: Split, assignment: np.ndarray) -> pd.DataFrame:
    """One row per client: users, train interactions, and the share of its interactions in its most
    frequent category (1.0: one genre only; NaN without categories)."""
    train = split.train.tocoo()
    client = assignment[train.row]
    frame = pd.DataFrame({"client": client, "u": train.row, "cat": split.item_category[train.col]})
    frame = frame[frame["client"] >= 0]
    out = frame.groupby("client").agg(users=("u", "nunique"), interactions=("u", "size"))
    if split.categories:
        known = frame[frame["cat"] >= 0]
        share = known.groupby(["client", "cat"]).size().groupby(level=0).max() / known.groupby("client").size()
        out["top genre share"] = share
    else:
        out["top genre share"] = np.nan
    return out.reset_index()


def _start_ray(cpus: int, attempts: int) -> float:
    """Start Ray for Flower's simulation (as Flower would: no dashboard, this process's ``sys.path`` for the
    actors) and return the seconds it took. Ray gives its raylet a fixed 30 s to register, which a machine
    busy with other work can miss: such a start is retried, ``attempts`` times in all.

    The actors' ``PYTHONPATH`` is passed through the environment the Ray processes inherit, not as a
    ``runtime_env`` (Flower's default): a job-level runtime environment makes Ray start fresh workers for
    the actors instead of handing them the workers it pre-starts with the driver."""
    import ray

    if ray.is_initialized():
        return 0.0
    path = os.pathsep.join([*sys.path, *filter(None, [os.environ.get("PYTHONPATH")])])
    old = os.environ.get("PYTHONPATH")
    for attempt in range(1, attempts + 1):
        t0 = time.perf_counter()
        os.environ["PYTHONPATH"] = path
        try:
            ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
            return time.perf_counter() - t0
        except Exception as err:  # noqa: BLE001 - Ray raises a bare Exception when its start times out
            ray.shutdown()
            if attempt == attempts or "timed out during startup" not in str(err):
                raise
            warnings.warn(f"run_federated: Ray did not start (attempt {attempt} of {attempts}): {err}; trying again",
                          RuntimeWarning, stacklevel=3)
        finally:
            if old is None:
                os.environ.pop("PYTHONPATH", None)
            else:
                os.environ["PYTHONPATH"] = old
    raise AssertionError("unreachable")


_LOCAL: dict[tuple[int, DAEConfig], MultVAE] = {}


def _local_model(n_items: int, config: DAEConfig, state: dict[str, torch.Tensor]) -> MultVAE:
    """A Mult-DAE holding ``state``: built once per client process (an actor runs one client at a time and
    every parameter is overwritten, so reusing it changes no number) instead of re-initialising the
    weights for every message."""
    key = (n_items, config)
    if key not in _LOCAL:
        _LOCAL[key] = build_dae(n_items, config)
    model = _LOCAL[key]
    model.load_state_dict(state)
    return model


def _client_seed(seed: int, client: int) -> int:
    return int(np.random.SeedSequence([seed, client]).generate_state(1)[0]) if client else seed


def _nbytes(record: object) -> int:
    return int(sum(len(a.data) for a in record.values()))  # type: ignore[attr-defined]


@contextmanager
def _quiet(level: int = logging.WARNING):
    log = logging.getLogger("flwr")
    old = log.level
    log.setLevel(level)
    try:
        yield
    finally:
        log.setLevel(old)


@dataclass(frozen=True)
class Federation:
    """One federated setting: ``n_clients`` clients made by ``scheme`` (:func:`partition_users`), ``rounds``
    rounds of ``local_epochs`` local epochs, ``fraction`` of the clients (at least one) sampled per round."""

    n_clients: int = 20
    scheme: str = "iid"
    rounds: int = 20
    local_epochs: int = 1
    fraction: float = 1.0

    @classmethod
    def per_user(cls, split: Split, rounds: int, fraction: float, local_epochs: int = 1) -> Federation:
        """The cross-device extreme: one client per user of ``split`` with train events (scheme ``user``),
        ``fraction`` of them sampled per round (Flower's ``fraction_train``, formerly ``fraction_fit``)."""
        n_users = int((np.diff(split.train.indptr) > 0).sum())
        return cls(n_clients=n_users, scheme="user", rounds=rounds, local_epochs=local_epochs, fraction=fraction)

    @property
    def name(self) -> str:
        sampled = "" if self.fraction >= 1 else f", {self.per_round} per round"
        if self.scheme == "user":
            return f"FedAvg one user per client ({self.n_clients}){sampled}"
        return f"FedAvg {self.scheme}, {self.n_clients} clients{sampled}"

    @property
    def per_round(self) -> int:
        return max(1, int(round(self.fraction * self.n_clients)))


@dataclass
class FederatedRun:
    """What one :class:`Federation` (or the centralised comparator) measured.

    Attributes:
        name: label of the setting.
        rounds: one row per round (0 = the initial model): ``round``, ``clients`` (sampled),
            ``valid ndcg@10``, ``test ndcg@10``, ``bytes down``, ``bytes up`` (parameter arrays sent to and
            returned by the sampled clients), ``train seconds`` (the round's training, wall time) and
            ``eval seconds``.
        best_round: the round with the best validation NDCG@10; ``model`` holds its weights.
        model: the Mult-DAE of ``best_round``.
        evaluation: the test evaluation of ``model`` (per-user metrics, for CIs and paired tests).
        assignment: the client of each user (see :func:`partition_users`).
        startup_seconds: from the call until every supernode (execution slot) had answered a first (empty)
            query: Ray's start-up and the actor pool, shared by all settings of one call.
        seconds: wall time of this setting's rounds and evaluations.
        settings: the parameters of the run.
    """

    name: str
    rounds: pd.DataFrame
    best_round: int
    model: MultVAE
    evaluation: Evaluation
    assignment: np.ndarray
    startup_seconds: float
    seconds: float
    settings: dict[str, object] = field(default_factory=dict)


class _Tracker:
    """Server-side evaluation after every round of one federation: NDCG@10 on validation and test, the
    best round by validation, traffic and timings."""

    def __init__(self, split: Split, model: MultVAE) -> None:
        self.split, self.model = split, model
        self.rows: list[dict[str, object]] = []
        self.traffic: dict[int, tuple[int, int, int]] = {}
        self.best, self.best_round, self.best_state = -1.0, 0, None
        self.clock = time.perf_counter()

    def __call__(self, server_round: int, state: dict[str, torch.Tensor]) -> tuple[float, float]:
        t0 = time.perf_counter()
        self.model.load_state_dict(state)
        v = float(evaluate(self.model, self.split, "valid", ks=(10,)).per_user[NDCG10].mean())
        t = float(evaluate(self.model, self.split, "test", ks=(10,)).per_user[NDCG10].mean())
        if v > self.best:
            self.best, self.best_round = v, server_round
            self.best_state = {k: x.clone() for k, x in self.model.state_dict().items()}
        n, down, up = self.traffic.get(server_round, (0, 0, 0))
        now = time.perf_counter()
        self.rows.append({"round": server_round, "clients": n, VALID_NDCG10: v, f"test {NDCG10}": t,
                          "bytes down": down, "bytes up": up,
                          "train seconds": t0 - self.clock if server_round else 0.0, "eval seconds": now - t0})
        self.clock = now
        return v, t

    def result(self, name: str, assignment: np.ndarray, startup: float, seconds: float,
               settings: dict[str, object]) -> FederatedRun:
        self.model.load_state_dict(self.best_state)  # type: ignore[arg-type]
        return FederatedRun(name, pd.DataFrame(self.rows), self.best_round, self.model,
                            evaluate(self.model, self.split, name=name), assignment, startup, seconds, settings)


def run_federated(split: Split, federations: Federation | list[Federation], config: DAEConfig = DAEConfig(),
                  seed: int = 0, client_cpus: int = 1, total_cpus: int | None = None,
                  attempts: int = 3, timeout: float = 600.0) -> list[FederatedRun]:
    """Run each of ``federations`` (see the module docstring) in one Flower simulation, one after the
    other on the same simulated clients, so that Ray starts once. Every federation starts from the same
    initial weights. Each Ray actor (one client at a time) gets ``client_cpus`` CPUs and as many torch
    threads; ``total_cpus`` (default: all) caps Ray, whose start is tried up to ``attempts`` times (see
    :func:`_start_ray`). A round whose clients do not all answer within ``timeout`` seconds stops the run.
    Returns one :class:`FederatedRun` per federation.
    """
    from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MessageType, MetricRecord, RecordDict
    from flwr.clientapp import ClientApp
    from flwr.serverapp import Grid, ServerApp
    from flwr.serverapp.strategy import FedAvg
    from flwr.simulation import run_simulation
    from flwr.supercore import telemetry

    telemetry.FLWR_TELEMETRY_ENABLED = "0"  # also when flwr was imported before the environment was set
    t_call = time.perf_counter()
    feds = [federations] if isinstance(federations, Federation) else list(federations)
    assignments = [partition_users(split, f.n_clients, f.scheme, seed) for f in feds]
    n_nodes = max(f.per_round for f in feds)  # execution slots: the most clients sampled in one round
    n_items = split.n_items
    ray_seconds = _start_ray(total_cpus or os.cpu_count() or 1, attempts)
    import ray

    # the clients' data goes into Ray's object store once; each message then carries only a reference
    data = ray.put({"train": split.train, "assignments": assignments})

    client_app = ClientApp()

    @client_app.query()
    def ready(msg: Message, context: Context) -> Message:
        return Message(RecordDict({"slot": ConfigRecord({"partition": int(context.node_config["partition-id"])})}),
                       reply_to=msg)

    @client_app.train()
    def local_train(msg: Message, context: Context) -> Message:
        torch.set_num_threads(client_cpus)
        cfg = msg.content["config"]
        client = int(cfg["client"])
        fed, rnd = feds[int(cfg["federation"])], int(cfg["server-round"])
        local = ray.get(data)
        users = np.flatnonzero(local["assignments"][int(cfg["federation"])] == client)
        model = _local_model(n_items, config, msg.content["arrays"].to_torch_state_dict())
        losses = train_epochs(model, local["train"], users, fed.local_epochs, config, seed=_client_seed(seed, client),
                              first_epoch=(rnd - 1) * fed.local_epochs)
        return Message(RecordDict({"arrays": ArrayRecord(model.state_dict()),
                                   "metrics": MetricRecord({"num-examples": len(users), "loss": losses[-1]}),
                                   "client": ConfigRecord({"partition": client})}), reply_to=msg)

    class SeededFedAvg(FedAvg):
        """FedAvg whose client sample is drawn from (seed, round) and whose replies are averaged in client
        order; a failed client stops the run instead of being left out."""

        def __init__(self, fed: Federation, slots: list[int], tracker: _Tracker) -> None:
            super().__init__(fraction_train=fed.fraction, fraction_evaluate=0.0, min_train_nodes=1,
                             min_available_nodes=1)
            self.fed, self.slots, self.tracker = fed, slots, tracker

        def configure_train(self, server_round, arrays, config_record, grid):  # noqa: ANN001, ANN201
            rng = np.random.default_rng([seed, server_round])
            chosen = np.sort(rng.choice(self.fed.n_clients, self.fed.per_round, replace=False))
            config_record["server-round"] = server_round
            self.tracker.traffic[server_round] = (len(chosen), len(chosen) * _nbytes(arrays), 0)
            return [Message(RecordDict({"arrays": arrays, "config": ConfigRecord({**config_record, "client": int(c)})}),
                            dst_node_id=node, message_type=MessageType.TRAIN) for c, node in zip(chosen, self.slots)]

        def aggregate_train(self, server_round, replies):  # noqa: ANN001, ANN201
            replies = list(replies)
            sent = self.tracker.traffic[server_round][0]
            if len(replies) != sent:
                raise RuntimeError(f"federated round {server_round}: {len(replies)} of {sent} clients answered")
            for m in replies:
                if m.has_error():
                    raise RuntimeError(f"federated round {server_round}: client node {m.metadata.src_node_id} "
                                       f"failed: {m.error.reason}")
            replies.sort(key=lambda m: int(m.content["client"]["partition"]))
            n, down, _ = self.tracker.traffic[server_round]
            self.tracker.traffic[server_round] = (n, down, sum(_nbytes(m.content["arrays"]) for m in replies))
            return super().aggregate_train(server_round, replies)

    runs: list[FederatedRun] = []
    initial = build_dae(n_items, config, seed).state_dict()
    server_app = ServerApp()

    @server_app.main()
    def main(grid: Grid, context: Context) -> None:
        while len(list(grid.get_node_ids())) < n_nodes:
            time.sleep(0.05)
        asks = [Message(RecordDict({"config": ConfigRecord({})}), dst_node_id=nid, message_type=MessageType.QUERY)
                for nid in grid.get_node_ids()]
        slot_of = {}  # every supernode answers once, so that the actors have started before round 1
        for reply in grid.send_and_receive(asks, timeout=timeout):
            if reply.has_error():
                raise RuntimeError(f"federated start: node {reply.metadata.src_node_id} failed: {reply.error.reason}")
            slot_of[int(reply.content["slot"]["partition"])] = reply.metadata.src_node_id
        if len(slot_of) < n_nodes:
            raise RuntimeError(f"federated start: {len(slot_of)} of {n_nodes} supernodes answered within {timeout} s")
        slots = [slot_of[k] for k in sorted(slot_of)]
        startup = time.perf_counter() - t_call
        for k, fed in enumerate(feds):
            t0 = time.perf_counter()
            tracker = _Tracker(split, attach(build_dae(n_items, config, seed), split))

            def evaluate_fn(server_round: int, arrays: ArrayRecord, tracker: _Tracker = tracker) -> MetricRecord:
                v, t = tracker(server_round, arrays.to_torch_state_dict())
                return MetricRecord({VALID_NDCG10: v, f"test {NDCG10}": t})

            SeededFedAvg(fed, slots, tracker).start(
                grid=grid, initial_arrays=ArrayRecord(initial), num_rounds=fed.rounds, timeout=timeout,
                train_config=ConfigRecord({"federation": k}), evaluate_fn=evaluate_fn)
            settings = {**asdict(fed), "clients per round": fed.per_round, "seed": seed, **asdict(config),
                        "ray start seconds": ray_seconds}
            runs.append(tracker.result(fed.name, assignments[k], startup, time.perf_counter() - t0, settings))

    backend = {"client_resources": {"num_cpus": client_cpus, "num_gpus": 0.0}}
    with _quiet():  # Flower uses the Ray instance started above and shuts it down at the end
        run_simulation(server_app=server_app, client_app=client_app, num_supernodes=n_nodes,
                       backend_config=backend)
    if len(runs) < len(feds):
        raise RuntimeError(f"run_federated: {len(runs)} of {len(feds)} federations finished (see Flower's log)")
    return runs


def client_steps(split: Split, federation: Federation, config: DAEConfig = DAEConfig(), seed: int = 0) -> int:
    """Optimiser steps one client of ``federation`` takes per round: ``local_epochs`` x the batches of its
    largest client (``ceil(users / batch_size)``)."""
    sizes = np.bincount(partition_users(split, federation.n_clients, federation.scheme, seed)[
        np.diff(split.train.indptr) > 0])
    return federation.local_epochs * int(np.ceil(sizes.max() / config.batch_size))


def run_centralised(split: Split, epochs: int = 20, config: DAEConfig = DAEConfig(), seed: int = 0,
                    name: str = "centralised", steps_per_round: int | None = None,
                    fresh_optimizer: bool = False) -> FederatedRun:
    """The comparator of :func:`run_federated`: the same Mult-DAE, from the same initial weights, trained on
    all users' rows in one place, evaluated after every epoch as after a round (one client, no traffic).

    Two budgets. By default one Adam optimizer is kept over ``epochs`` whole epochs (every batch of every
    user each round). With ``steps_per_round`` (the steps a client takes per round, :func:`client_steps`) and
    ``fresh_optimizer`` it is held to a client's budget and policy: each "round" is a fresh Adam taking that
    many steps on batches of all users' rows, so a gap to FedAvg measures federation (averaging clients
    that each saw a part of the users), not a different number of steps or reset optimizer state."""
    t_call = time.perf_counter()
    model = build_dae(split.n_items, config, seed)
    users = np.flatnonzero(np.diff(split.train.indptr) > 0)
    opt = adam(model.parameters(), lr=config.lr)
    tracker = _Tracker(split, attach(build_dae(split.n_items, config, seed), split))
    tracker(0, model.state_dict())
    for epoch in range(1, epochs + 1):
        train_epochs(model, split.train, users, 1, config, seed, first_epoch=epoch - 1,
                     optimizer=None if fresh_optimizer else opt, max_steps=steps_per_round)
        tracker(epoch, model.state_dict())
    return tracker.result(name, np.where(np.diff(split.train.indptr) > 0, 0, -1), 0.0,
                          time.perf_counter() - t_call,
                          {"epochs": epochs, "seed": seed, "steps per round": steps_per_round,
                           "fresh optimizer": fresh_optimizer, **asdict(config)})


__all__ = ["SCHEMES", "partition_users", "describe_partition", "Federation", "FederatedRun", "run_federated",
           "client_steps", "run_centralised"]
