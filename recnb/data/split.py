"""The evaluation protocol's split (DESIGN.md section 3): leave-last-out by time per user.

For each user the events are ordered by time; ties keep the order of the source file (a stable sort), and
events without a timestamp come after every timed one (Retailrocket's held-out purchases). Among the
**target** events (all events by default; for example only ``purchase`` on shop data) only the first
occurrence of each (user, item) is eligible, so a repeat purchase is never a target. The user's last
eligible target is the **test** target and the one before it the **validation** target. Every event is
then given a role:

* ``train``: before the validation target (before the test target when the user has no validation one);
* ``valid``: the validation target;
* ``gap``: after the validation target and before the test target (for example views between two
  purchases): part of the test-time history, never of training;
* ``test``: the test target;
* ``after``: after the test target: dropped, counted in :attr:`Split.info`.

Models fit on ``train``, stop early on ``valid`` (history = train), and are tested with history = train +
valid + gap. At ranking time the user's history of *target-type* events is masked (with all events as
targets, that is the whole history); previously viewed items stay rankable in next-purchase tasks.

A global time cut (:func:`time_cut_split`) is offered as an alternative protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .schema import EVENT_TYPES, Dataset, epoch_seconds

ROLES = ("train", "valid", "gap", "test", "after")


@dataclass
class Sequences:
    """Ragged, time-ordered per-user sequences (user ``u`` owns ``items[offsets[u]:offsets[u+1]]``).

    Attributes:
        items: item index of each event, shape (n_events,).
        events: event-type code of each event (index into :data:`~recnb.data.schema.EVENT_TYPES`).
        gaps: seconds since the user's previous event (NaN for the first or untimed events).
        offsets: shape (n_users + 1,).
    """

    items: np.ndarray
    events: np.ndarray
    gaps: np.ndarray
    offsets: np.ndarray

    def lengths(self) -> np.ndarray:
        """Events per user, shape (n_users,)."""
        return np.diff(self.offsets)


@dataclass(frozen=True, eq=False)
class Split:
    """One split of one dataset, shared by every model and metric; immutable.

    A split is never changed in place: :meth:`derive` makes another one (fewer events, other targets, more
    ``info``) with its own memo of derived matrices, so nothing cached for one split can be read for
    another. Matrices and sequences it returns are memoised and shared: treat them as read-only.

    Attributes:
        name: dataset name.
        user_ids, item_ids: raw ids at each contiguous index, shapes (n_users,), (n_items,).
        events: kept events with columns ``u``, ``i`` (indices), ``event`` (code), ``t`` (Unix seconds,
            NaN when untimed), ``v`` (value), ``role`` (one of :data:`ROLES`), ordered by user then time.
        targets: event types that can be targets.
        valid_users, valid_items, test_users, test_items: the evaluation targets (one per user).
        item_category: category code per item index (-1 unknown), with ``categories`` the names.
        info: counts that a report should state (users without targets, events dropped as ``after`` ...).
        candidates: boolean, shape (n_items,), or None: when set, rankings are restricted to these items
            (:meth:`mask` adds every other item to every user's mask), so :func:`recnb.evaluate.evaluate`
            and every model's validation inside ``fit`` rank only the candidates.
        gap_in_valid: the validation history also holds the user's ``gap`` events before the validation
            target, so that validation asks the question test asks one step earlier (the cold-item
            protocol of :func:`hold_out_items`: earlier cold items are consumed, so in the history and
            masked, but never trained on). Training still reads train events only.
    """

    name: str
    user_ids: np.ndarray
    item_ids: np.ndarray
    events: pd.DataFrame
    targets: tuple[str, ...]
    valid_users: np.ndarray
    valid_items: np.ndarray
    test_users: np.ndarray
    test_items: np.ndarray
    item_category: np.ndarray
    categories: list[str]
    protocol: str
    info: dict[str, int | str] = field(default_factory=dict)
    new_items: bool = False
    candidates: np.ndarray | None = None
    gap_in_valid: bool = False
    _memo: dict[tuple, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def derive(self, **changes: Any) -> Split:
        """A new split with the given fields replaced (``events=``, ``test_users=``, ``info=`` ...) and an
        empty memo of its own; this split is left as it is."""
        return replace(self, **changes)

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def _roles(self, stage: str) -> tuple[str, ...]:
        if stage == "valid" and self.gap_in_valid:
            return ("train", "gap before valid")
        if stage in ("train", "valid"):
            return ("train",)
        if stage == "test":
            return ("train", "valid", "gap")
        raise ValueError(f"stage {stage!r}: expected train, valid or test")

    def stage_events(self, stage: str) -> pd.DataFrame:
        """The events that form the input history at ``stage`` (see :meth:`history`), in the split's time
        order: the one place :meth:`history`, :meth:`sequences` and :meth:`raw_events` read them from (a
        ``gap_in_valid`` adds, at ``valid``, each user's gap events before the validation target)."""
        if stage == "valid" and self.gap_in_valid:
            ev = self.events
            u, role = ev["u"].to_numpy(), ev["role"].to_numpy()
            valid_row = np.full(self.n_users, -1)
            rows = np.flatnonzero(role == "valid")
            valid_row[u[rows]] = rows
            keep = (role == "train") | ((role == "gap") & (np.arange(len(ev)) < valid_row[u]))
            return ev[keep]
        return self.events[self.events["role"].isin(self._roles(stage))]

    def _matrix(self, rows: pd.DataFrame) -> sp.csr_matrix:
        m = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows["u"].to_numpy(), rows["i"].to_numpy())),
                          shape=(self.n_users, self.n_items))
        m.data[:] = 1.0  # binary: repeated pairs count once
        return m

    def history(self, stage: str = "test", events: tuple[str, ...] | None = None) -> sp.csr_matrix:
        """Binary user x item matrix of the input history at ``stage`` (shape (n_users, n_items)).

        ``stage="train"`` or ``"valid"``: train events; ``"test"``: train + valid + gap. ``events``
        restricts to some event types. Memoised per (roles, events): treat the result as read-only.
        """
        key = ("history", self._roles(stage), events)
        if key not in self._memo:
            ev = self.stage_events(stage)
            if events is not None:
                ev = ev[ev["event"].isin([EVENT_TYPES.index(e) for e in events])]
            self._memo[key] = self._matrix(ev)
        return self._memo[key]

    @property
    def train(self) -> sp.csr_matrix:
        """The train interaction matrix (binary CSR, shape (n_users, n_items))."""
        return self.history("train")

    def mask(self, stage: str = "test") -> sp.csr_matrix:
        """Items never to rank for a user at ``stage``: their history of target-type events (their whole
        history when :attr:`new_items`: then every target is an item the user never touched before), and
        every item outside :attr:`candidates` when those are set. Memoised: treat it as read-only."""
        seen = self.history(stage, None if self.new_items else self.targets)
        if self.candidates is None:
            return seen
        key = ("candidate-mask", stage, self._roles(stage))
        if key not in self._memo:
            out = np.flatnonzero(~self.candidates)
            rows = np.repeat(np.arange(self.n_users), len(out))
            block = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, np.tile(out, self.n_users))),
                                  shape=seen.shape)
            m = (seen + block).tocsr()
            m.data[:] = 1.0
            self._memo[key] = m
        return self._memo[key]

    def target(self, stage: str = "test") -> tuple[np.ndarray, np.ndarray]:
        """``(users, items)`` evaluated at ``stage`` (``valid`` or ``test``)."""
        if stage == "valid":
            return self.valid_users, self.valid_items
        if stage == "test":
            return self.test_users, self.test_items
        raise ValueError(f"stage {stage!r}: expected valid or test")

    def sequences(self, stage: str = "train") -> Sequences:
        """Time-ordered input sequences of every user at ``stage`` (see :meth:`history`); memoised."""
        key = ("sequences", self._roles(stage))
        if key not in self._memo:
            ev = self.stage_events(stage)
            u, t = ev["u"].to_numpy(), ev["t"].to_numpy()
            gaps = np.full(len(ev), np.nan)
            same = np.r_[False, u[1:] == u[:-1]]
            gaps[same] = (t[1:] - t[:-1])[same[1:]]
            offsets = np.r_[0, np.cumsum(np.bincount(u, minlength=self.n_users))]
            self._memo[key] = Sequences(ev["i"].to_numpy(), ev["event"].to_numpy(), gaps, offsets)
        return self._memo[key]

    def raw_events(self, stage: str = "train") -> pd.DataFrame:
        """The input events of ``stage`` in canonical columns with raw ids (for feature extraction
        without leakage: ``user_features(split.raw_events("train"), items)``)."""
        ev = self.stage_events(stage)
        return pd.DataFrame({
            "user_id": self.user_ids[ev["u"].to_numpy()], "item_id": self.item_ids[ev["i"].to_numpy()],
            "event": pd.Categorical.from_codes(ev["event"].to_numpy(), categories=list(EVENT_TYPES)),
            "value": ev["v"].to_numpy(), "timestamp": pd.to_datetime(ev["t"].to_numpy(), unit="s", utc=True)})

    def item_popularity(self) -> np.ndarray:
        """Train users per item, shape (n_items,)."""
        return np.asarray(self.train.sum(axis=0)).ravel()

    def summary(self) -> dict[str, int | str]:
        """Counts per role and the number of evaluated users."""
        roles = self.events["role"].value_counts()
        return {"dataset": self.name, "protocol": self.protocol, "users": self.n_users, "items": self.n_items,
                **{f"{r} events": int(roles.get(r, 0)) for r in ROLES if r != "after"},
                "valid users": len(self.valid_users), "test users": len(self.test_users), **self.info}


def _order(ds: Dataset, targets: tuple[str, ...] | None, inputs: tuple[str, ...] | None) -> pd.DataFrame:
    ev = ds.events
    if inputs is not None:
        ev = ev[ev["event"].isin(list(inputs) + list(targets or ())).to_numpy()]
    uids, u = np.unique(ev["user_id"].to_numpy(), return_inverse=True)
    iids, i = np.unique(ev["item_id"].to_numpy(), return_inverse=True)
    ts = ev["timestamp"]
    t = np.full(len(ev), np.nan)
    timed = ts.notna().to_numpy()
    if timed.any():
        t[timed] = epoch_seconds(ts[timed]).astype(float)
    frame = pd.DataFrame({"u": u, "i": i, "event": ev["event"].cat.codes.to_numpy().astype(np.int8), "t": t,
                          "v": ev["value"].to_numpy(), "row": np.arange(len(ev))})
    order = np.lexsort((frame["row"].to_numpy(), np.where(np.isnan(t), np.inf, t), u))
    frame = frame.iloc[order].reset_index(drop=True)
    frame.attrs["user_ids"], frame.attrs["item_ids"] = uids, iids
    return frame


def _eligible(frame: pd.DataFrame, targets: tuple[str, ...], new_items: bool = False) -> np.ndarray:
    """Rows that may be a target: the first target-type event of each (user, item); with ``new_items``
    only when the user had no earlier event of any type on that item."""
    codes = [EVENT_TYPES.index(e) for e in targets]
    is_target = frame["event"].isin(codes).to_numpy()
    tgt = frame[is_target]
    first_target = np.zeros(len(frame), dtype=bool)
    first_target[np.flatnonzero(is_target)[~tgt.duplicated(["u", "i"]).to_numpy()]] = True
    if new_items:
        first_target &= ~frame.duplicated(["u", "i"]).to_numpy()
    return first_target


def _assign(frame: pd.DataFrame, valid_idx: np.ndarray, test_idx: np.ndarray, n_users: int) -> pd.DataFrame:
    """Roles from the row index of each user's valid / test target (-1: none)."""
    u = frame["u"].to_numpy()
    row = np.arange(len(frame))
    v_at = np.full(n_users, -1)
    t_at = np.full(n_users, -1)
    v_at[u[valid_idx]] = valid_idx
    t_at[u[test_idx]] = test_idx
    vu, tu = v_at[u], t_at[u]
    role = np.full(len(frame), "train", dtype=object)
    has_t = tu >= 0
    role[has_t & (row > tu)] = "after"
    role[has_t & (row == tu)] = "test"
    has_v = vu >= 0
    role[has_v & (row > vu) & (row < tu)] = "gap"
    role[has_v & (row == vu)] = "valid"
    return frame.assign(role=pd.Categorical(role, categories=list(ROLES)))


def _finish(ds: Dataset, frame: pd.DataFrame, targets: tuple[str, ...], protocol: str,
            new_items: bool = False) -> Split:
    uids, iids = frame.attrs["user_ids"], frame.attrs["item_ids"]
    roles = frame["role"].to_numpy()
    u = frame["u"].to_numpy()
    start = np.r_[0, np.cumsum(np.bincount(u, minlength=len(uids)))][u]
    pos = np.arange(len(frame)) - start
    first_train = frame[roles == "train"].groupby("u").size()

    def stage(r: str) -> tuple[np.ndarray, np.ndarray]:
        m = (roles == r) & (pos > 0)  # need at least one earlier event as history
        rows = frame[m]
        ok = rows["u"].isin(first_train.index).to_numpy() if r == "valid" else np.ones(len(rows), bool)
        return rows["u"].to_numpy()[ok], rows["i"].to_numpy()[ok]

    vu, vi = stage("valid")
    tu, ti = stage("test")
    cat = np.full(len(iids), -1, dtype=np.int64)
    categories: list[str] = []
    if "category" in ds.items.columns and len(ds.items):
        names = ds.items.set_index("item_id")["category"].reindex(iids)
        codes, uniq = pd.factorize(names, use_na_sentinel=True)
        cat, categories = codes.astype(np.int64), [str(c) for c in uniq]
    info = {"events dropped after the test target": int((roles == "after").sum()),
            "users without a test target": int(len(uids) - len(tu)),
            "untimed events": int(np.isnan(frame["t"].to_numpy()).sum())}
    events = frame[roles != "after"].drop(columns="row").reset_index(drop=True)
    events.attrs = {}
    return Split(ds.name, uids, iids, events, targets, vu, vi, tu, ti, cat, categories, protocol, info,
                 new_items=new_items)


def _targets(ds: Dataset, target: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if target is None:
        return tuple(e for e in EVENT_TYPES if (ds.events["event"] == e).any())
    return (target,) if isinstance(target, str) else tuple(target)


def _assign_last_two(frame: pd.DataFrame, eligible: np.ndarray, n_users: int) -> pd.DataFrame:
    """Roles with each user's last ``eligible`` row (in ``frame`` order) as test, the one before it as
    validation."""
    rows = np.flatnonzero(eligible)
    last = pd.Series(rows).groupby(frame["u"].to_numpy()[rows]).cumcount(ascending=False).to_numpy()
    return _assign(frame, rows[last == 1], rows[last == 0], n_users)


def _last_two(ds: Dataset, frame: pd.DataFrame, targets: tuple[str, ...], protocol: str,
              new_items: bool = False) -> Split:
    """Each user's last eligible target (in ``frame`` order) is test, the one before it validation."""
    frame = _assign_last_two(frame, _eligible(frame, targets, new_items), len(frame.attrs["user_ids"]))
    return _finish(ds, frame, targets, protocol, new_items)


def leave_last_out(ds: Dataset, target: str | tuple[str, ...] | None = None,
                   inputs: tuple[str, ...] | None = None, new_items: bool = False) -> Split:
    """Leave-last-out split by time (see the module docstring).

    Args:
        ds: the dataset (cleaned as wanted beforehand).
        target: event type(s) that can be targets; ``None``: every event type present.
        inputs: event types kept as input history; ``None``: all (targets are always kept).
        new_items: only a target on an item the user never touched before (no earlier event of any
            type) is eligible, and the whole history is masked at ranking time. For logs whose provider
            held out such targets (Retailrocket's SSLRec subset: no test item occurs in the user's
            history), so that the validation stage asks the same question as the test stage.
    """
    targets = _targets(ds, target)
    by = "time" if ds.has_time else "position (order without clock)" if ds.ordered else "file order (no clock)"
    protocol = (f"leave-last-out by {by}; targets: {', '.join(targets)}"
                f"{' on items new to the user' if new_items else ''}; "
                f"inputs: {', '.join(inputs) if inputs else 'all events'}")
    return _last_two(ds, _order(ds, targets, inputs), targets, protocol, new_items)


def random_holdout(ds: Dataset, seed: int = 0, target: str | tuple[str, ...] | None = None) -> Split:
    """Leave-last-out on a seeded random order of each user's events, for data without timestamps
    (Last.fm, Ciao): one random eligible target per user for test and one for validation, the rest is
    train. Nothing about time can leak because there is no time; sequences are meaningless here. Meant
    for logs of one event type: with several, another event on a target item may fall into the history."""
    targets = _targets(ds, target)
    frame = _order(ds, targets, None)
    key = np.random.default_rng(seed).random(len(frame))
    frame = frame.iloc[np.lexsort((key, frame["u"].to_numpy()))].reset_index(drop=True)
    protocol = f"random hold-out per user (seed {seed}; no timestamps); targets: {', '.join(targets)}"
    return _last_two(ds, frame, targets, protocol)


def time_cut_split(ds: Dataset, valid_start: str | pd.Timestamp, test_start: str | pd.Timestamp,
                   target: str | tuple[str, ...] | None = None) -> Split:
    """Global time-cut split: train before ``valid_start``; each user's first eligible target in
    ``[valid_start, test_start)`` is the validation target and the first at or after ``test_start`` the
    test target. Untimed events count as after every cut."""
    targets = _targets(ds, target)
    frame = _order(ds, targets, None)
    eligible = _eligible(frame, targets)
    t = np.where(np.isnan(frame["t"].to_numpy()), np.inf, frame["t"].to_numpy())
    v0, t0 = (pd.Timestamp(x, tz="UTC").timestamp() if pd.Timestamp(x).tzinfo is None else pd.Timestamp(x).timestamp()
              for x in (valid_start, test_start))
    u = frame["u"].to_numpy()
    in_valid = np.flatnonzero(eligible & (t >= v0) & (t < t0))
    in_test = np.flatnonzero(eligible & (t >= t0))
    valid_idx = in_valid[~pd.Series(u[in_valid]).duplicated().to_numpy()]
    test_idx = in_test[~pd.Series(u[in_test]).duplicated().to_numpy()]
    frame = _assign(frame, valid_idx, test_idx, len(frame.attrs["user_ids"]))
    # users without a validation target in the window: events in [valid_start, test target) are gap
    late = (frame["role"] == "train").to_numpy() & (t >= v0)
    frame.loc[late, "role"] = "gap"
    return _finish(ds, frame, targets, f"global time cut: valid from {valid_start}, test from {test_start}")


def restrict_inputs(split: Split, keep: tuple[str, ...]) -> Split:
    """The same split (users, items, roles, validation and test targets) with the input history limited to
    the event types in ``keep``; the target rows stay. For "does multi-behaviour input help?" on identical
    test users: a user whose history had only other event types now has an empty history.
    ``info["input events removed"]`` counts the rows removed."""
    codes = [EVENT_TYPES.index(e) for e in keep]
    ev = split.events
    drop = (ev["role"].isin(["train", "gap"]) & ~ev["event"].isin(codes)).to_numpy()
    return split.derive(events=ev[~drop].reset_index(drop=True),
                        protocol=f"{split.protocol}; inputs restricted to {', '.join(keep)}",
                        info={**split.info, "input events removed": int(drop.sum())})


def hold_out_items(split: Split, held: np.ndarray, held_targets: bool, label: str, what: str) -> Split:
    """``split`` with the items ``held`` (boolean, shape (n_items,)) never trained on: new targets by the rules
    of this module (each user's last two eligible events, in ``split``'s time order, are test and validation),
    every train event of a held item becomes ``gap`` (in the test-time history, never in training), events
    after the test target are dropped, and the validation history holds the earlier gap events
    (``gap_in_valid``). With ``held_targets`` only events on held items are eligible and rankings are
    restricted to the held items (``candidates``): "which of the new items will this user take next?";
    without, targets may be any item, ranked over the whole catalogue. ``label`` prefixes the counts added
    to ``info``; ``what`` is appended to the protocol."""
    ev = split.events.drop(columns="role")
    ev.attrs = {}
    eligible = _eligible(ev, split.targets, split.new_items)
    if held_targets:
        eligible &= held[ev["i"].to_numpy()]
    frame = _assign_last_two(ev, eligible, split.n_users)
    role = frame["role"].to_numpy().astype(object)
    role[(role == "train") & held[frame["i"].to_numpy()]] = "gap"  # held items never train
    after = int((role == "after").sum())
    frame = frame.assign(role=pd.Categorical(role, categories=frame["role"].cat.categories))
    frame = frame[role != "after"].reset_index(drop=True)
    u, r = frame["u"].to_numpy(), frame["role"].to_numpy()
    has_train = np.bincount(u[r == "train"], minlength=split.n_users) > 0
    has_hist = np.bincount(u[np.isin(r, ["train", "valid", "gap"])], minlength=split.n_users) > 0
    v, t = (r == "valid"), (r == "test")
    v_ok = v & has_train[u]
    t_ok = t & has_hist[u]
    info = {**split.info, f"{label}: events dropped after the test target": after,
            f"{label}: valid targets without train history": int((v & ~v_ok).sum()),
            f"{label}: test targets without history": int((t & ~t_ok).sum())}
    i = frame["i"].to_numpy()
    return split.derive(events=frame, valid_users=u[v_ok], valid_items=i[v_ok], test_users=u[t_ok],
                        test_items=i[t_ok], protocol=f"{split.protocol}; {what}", info=info,
                        candidates=held if held_targets else None, gap_in_valid=True)


def stage_likeness(split: Split, tolerance: float = 0.15) -> pd.DataFrame:
    """Does the validation stage ask the test stage's question? One row: the share of validation and of
    test targets that the user had already touched (any event type) in the stage's input history, and
    ``alike`` when they differ by at most ``tolerance``. Choices tuned on validation (hyperparameters,
    epochs, the best model) transfer to test only when the stages are alike."""
    shares = {}
    for stage in ("valid", "test"):
        users, items = split.target(stage)
        shares[stage] = float((np.asarray(split.history(stage)[users, items]).ravel() > 0).mean()) if len(users) else 0.0
    return pd.DataFrame([{**shares, "alike": abs(shares["valid"] - shares["test"]) <= tolerance}])


def leakage_checks(split: Split) -> pd.DataFrame:
    """The protocol's guarantees, checked on this split: one row per check with ``passed`` and a detail.

    * no validation or test target (user, item) is among the user's train events of a target type;
    * per user, the validation target is not earlier than any train event, and the test target is not
      earlier than any train, valid or gap event;
    * the train matrix holds train events only; the test history adds exactly valid and gap events;
    * the validation targets are like the test targets (:func:`stage_likeness`).
    """
    ev = split.events
    t = np.where(np.isnan(ev["t"].to_numpy()), np.inf, ev["t"].to_numpy())
    codes = [EVENT_TYPES.index(e) for e in split.targets]
    train = ev[(ev["role"] == "train").to_numpy()]
    train_targets = train[train["event"].isin(codes)]
    pairs = set(zip(train_targets["u"].to_numpy().tolist(), train_targets["i"].to_numpy().tolist()))
    rows = []
    for stage in ("valid", "test"):
        users, items = split.target(stage)
        leaked = sum((u, i) in pairs for u, i in zip(users.tolist(), items.tolist()))
        rows.append({"check": f"{stage} targets absent from train", "passed": leaked == 0,
                     "detail": f"{leaked} of {len(users)} targets found in train"})
    frame = pd.DataFrame({"u": ev["u"].to_numpy(), "t": t, "role": ev["role"].astype(str).to_numpy()})
    last = {r: frame[frame["role"] == r].groupby("u")["t"].max() for r in ROLES}
    hist = frame[frame["role"].isin(["train", "valid", "gap"])].groupby("u")["t"].max()
    for stage, before in (("valid", last["train"]), ("test", hist)):
        tt = frame[frame["role"] == stage].set_index("u")["t"]
        common = tt.index.intersection(before.index)
        early = int((tt.loc[common] < before.loc[common]).sum())
        rows.append({"check": f"{stage} target not earlier than its history", "passed": early == 0,
                     "detail": f"{early} of {len(common)} users violate it"})
    seen = stage_likeness(split)
    rows.append({"check": "validation targets like test targets", "passed": bool(seen["alike"].iloc[0]),
                 "detail": f"already in the user's history: valid {seen['valid'].iloc[0]:.1%}, "
                           f"test {seen['test'].iloc[0]:.1%}"})
    n_train = len(train[["u", "i"]].drop_duplicates())
    rows.append({"check": "train matrix = train events", "passed": int(split.train.sum()) == n_train,
                 "detail": f"{int(split.train.sum())} pairs vs {n_train} distinct train pairs"})
    extra = split.history("test") - split.history("train")
    n_vg = len(ev[ev["role"].isin(["valid", "gap"])][["u", "i"]].drop_duplicates())
    rows.append({"check": "test history adds only valid + gap events", "passed": extra.min() >= 0 and extra.sum() <= n_vg,
                 "detail": f"{int(extra.sum())} new pairs (at most {n_vg})"})
    return pd.DataFrame(rows)
