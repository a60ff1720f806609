"""Behavioural tests with a negative control: each model beats popularity clearly on a simulated shop with
planted signal (interest clusters and item-to-item transitions), and the gain vanishes when the same
simulator runs with the signal removed (no cluster focus, no transitions: popularity is then the best
ranking there is). A model that ignores its input fails the first half; a split or model that leaks the
targets fails the second (both shown by the harness tests at the end).

Models: the article's GCN layer (GraphRecommender with conv="gcn"), the LSTM, SASRec, Mult-DAE and the
cascade fusion. Tiny simulations and few epochs keep each test to a few seconds on one core."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pytest
import torch

from recnb.data.simulate import simulate
from recnb.data.split import Split, leave_last_out
from recnb.evaluate import Evaluation, evaluate, paired_test
from recnb.models.autoencoder import MultDAE
from recnb.models.baselines import MostPopular
from recnb.models.fusion import CascadeFusion
from recnb.models.graph import GraphRecommender
from recnb.models.sequence import SequenceRecommender

BASE = dict(n_users=400, n_items=150, n_categories=12, n_clusters=4, cats_per_cluster=3, mean_views=15, p_cart=0.0,
            seed=0)
KNOBS = {"planted": dict(focus=0.9, p_follow=0.7), "removed": dict(focus=0.0, p_follow=0.0)}


@pytest.fixture(scope="module")
def data() -> dict[str, tuple[Split, Evaluation]]:
    out = {}
    for kind, knobs in KNOBS.items():
        split = leave_last_out(simulate(**BASE, **knobs))
        out[kind] = split, evaluate(MostPopular().fit(split), split, name="pop")
    return out


def _cascade(split: Split) -> CascadeFusion:
    ae = MultDAE(latent=16, hidden=64, max_epochs=10, patience=3, progress=False, seed=0).fit(split)
    return CascadeFusion(ae, dim=16, max_len=20, max_epochs=10, patience=3, progress=False, seed=0).fit(split)


FITS: dict[str, Callable[[Split], object]] = {
    "gcn": lambda s: GraphRecommender(conv="gcn", dim=32, lr=1e-2, max_epochs=20, patience=5, progress=False,
                                      seed=0).fit(s),
    "lstm": lambda s: SequenceRecommender("lstm", dim=32, max_len=20, lr=1e-2, max_epochs=15, patience=5,
                                          progress=False, seed=0).fit(s),
    "sasrec": lambda s: SequenceRecommender("sasrec", dim=32, max_len=20, max_epochs=15, patience=5, progress=False,
                                            seed=0).fit(s),
    "mult-dae": lambda s: MultDAE(latent=32, hidden=64, max_epochs=30, patience=5, progress=False, seed=0).fit(s),
    "cascade": _cascade,
}


def _show(t: dict) -> str:
    return (f"{t['mean_a']:.4f} vs popularity {t['mean_b']:.4f}, 95% CI of the gain [{t['ci_low']:+.4f}, "
            f"{t['ci_high']:+.4f}], p = {t['p_wilcoxon']:.2g}")


def check_against_popularity(fit: Callable[[Split], object], data: dict[str, tuple[Split, Evaluation]],
                             name: str) -> dict[str, dict]:
    """Paired test of the model against popularity on the planted and on the signal-removed data; assert the
    planted gain is large and significant and that it vanishes on the control."""
    tests = {}
    for kind, (split, pop) in data.items():
        tests[kind] = paired_test(evaluate(fit(split), split, name=name), pop)
    planted, removed = tests["planted"], tests["removed"]
    p, r = _show(planted), _show(removed)
    assert planted["mean_a"] > 2 * planted["mean_b"], f"planted: {name} not clearly above popularity: {p}"
    assert planted["ci_low"] > 0 and planted["p_wilcoxon"] < 1e-3, f"planted: {name} gain not significant: {p}"
    # negative control: at most a fifth of the planted gain, and no significant gain at all
    assert removed["diff"] < 0.2 * planted["diff"], f"control: {name} keeps its gain without the signal: {r}"
    assert not (removed["ci_low"] > 0 and removed["p_wilcoxon"] < 0.01), (
        f"control: {name} has a significant gain without the signal: {r}")
    return tests


@pytest.mark.parametrize("name", list(FITS))
def test_model_learns_the_planted_signal_and_nothing_without_it(name, data):
    check_against_popularity(FITS[name], data, name)


class _Peeking:
    """A broken model for the harness tests: popularity plus a bonus on the true test target of each user
    (what a leaky split or model amounts to)."""

    def fit(self, split: Split) -> _Peeking:
        self.split, self.pop = split, MostPopular().fit(split)
        users, items = split.target("test")
        self.target = dict(zip(users.tolist(), items.tolist()))
        return self

    def score(self, users: np.ndarray, stage: str = "test") -> torch.Tensor:
        s = self.pop.score(users, stage).clone().float()
        for row, u in enumerate(np.asarray(users).tolist()):
            if u in self.target:
                s[row, self.target[u]] += 1e6
        return s


def test_harness_fails_a_model_that_ignores_its_input(data):
    with pytest.raises(AssertionError, match="planted: pop not clearly above popularity"):
        check_against_popularity(lambda s: MostPopular().fit(s), data, "pop")


def test_harness_fails_a_model_that_peeks_at_the_targets(data):
    with pytest.raises(AssertionError, match="control: peeking keeps its gain"):
        check_against_popularity(lambda s: _Peeking().fit(s), data, "peeking")
