"""The content-keyed cache of fitted models (recnb.modelcache): a hit serves the same model without fitting,
any change of settings, data or code is a miss, a broken entry is refitted, and the split is never stored."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from recnb import modelcache
from recnb.data.split import leave_last_out
from recnb.models.baselines import ItemKNN
from recnb.models.sequence import SequenceRecommender


class CountingKNN(ItemKNN):
    fits = 0

    def fit(self, split):
        CountingKNN.fits += 1
        return super().fit(split)


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("RECNB_ROOT", str(tmp_path))
    monkeypatch.setenv("RECNB_MODEL_CACHE", "1")
    monkeypatch.setattr(modelcache, "processed_dir", lambda: tmp_path / "processed")
    CountingKNN.fits = 0
    return tmp_path / "processed" / "models"


@pytest.fixture(scope="module")
def split(sim_small):
    return leave_last_out(sim_small)


def test_hit_serves_the_same_model_without_fitting(cache_dir, split):
    users = np.arange(20)
    a = modelcache.cached_fit(CountingKNN(ks=(20,)), split)
    b = modelcache.cached_fit(CountingKNN(ks=(20,)), split)
    assert CountingKNN.fits == 1 and len(list(cache_dir.glob("*.pkl"))) == 1
    assert b.split_ is split and torch.equal(a.score(users), b.score(users))
    assert b.fit_seconds_ == a.fit_seconds_ >= 0


def test_trained_model_round_trips(cache_dir, split):
    make = lambda: SequenceRecommender("gru", dim=8, max_epochs=1, seed=3, progress=False)  # noqa: E731
    a, b = modelcache.cached_fit(make(), split), modelcache.cached_fit(make(), split)
    assert b.fit_.best_epoch == a.fit_.best_epoch
    assert torch.equal(a.score(np.arange(30)), b.score(np.arange(30)))


def test_settings_data_and_switch_each_refit(cache_dir, split, sim_small, monkeypatch):
    modelcache.cached_fit(CountingKNN(ks=(20,)), split)
    modelcache.cached_fit(CountingKNN(ks=(30,)), split)  # another hyperparameter
    other = leave_last_out(_drop_last_user(sim_small))
    modelcache.cached_fit(CountingKNN(ks=(20,)), other)  # other data
    assert CountingKNN.fits == 3
    monkeypatch.setenv("RECNB_MODEL_CACHE", "0")
    modelcache.cached_fit(CountingKNN(ks=(20,)), split)
    assert CountingKNN.fits == 4


def _drop_last_user(ds):
    import copy

    out = copy.copy(ds)
    out.events = ds.events[ds.events["user_id"] != ds.events["user_id"].iloc[-1]].reset_index(drop=True)
    return out


def test_code_change_is_a_miss(cache_dir, split, monkeypatch):
    modelcache.cached_fit(CountingKNN(ks=(20,)), split)
    monkeypatch.setattr(modelcache, "_module_source", lambda name: "edited " + name)
    modelcache.cached_fit(CountingKNN(ks=(20,)), split)
    assert CountingKNN.fits == 2


def test_broken_entry_is_refitted_with_a_warning(cache_dir, split):
    modelcache.cached_fit(CountingKNN(ks=(20,)), split)
    (entry,) = cache_dir.glob("*.pkl")
    entry.write_bytes(entry.read_bytes()[:40])
    with pytest.warns(UserWarning, match="unreadable"):
        m = modelcache.cached_fit(CountingKNN(ks=(20,)), split)
    assert CountingKNN.fits == 2 and m.split_ is split


def test_the_split_is_not_stored(cache_dir, split):
    modelcache.cached_fit(CountingKNN(ks=(20,)), split)
    (entry,) = cache_dir.glob("*.pkl")
    with open(entry, "rb") as f, pytest.raises(pickle.UnpicklingError):
        pickle.load(f)  # the split is a persistent reference only the cache's loader resolves


def test_unreadable_settings_are_fitted_not_cached(cache_dir, split):
    model = CountingKNN(ks=(20,))
    model.hook = lambda x: x
    with pytest.raises(TypeError):
        modelcache.digest(model)
    modelcache.cached_fit(model, split)
    assert CountingKNN.fits == 1 and not cache_dir.exists()


def test_fit_log_says_what_was_fitted_and_what_was_served(cache_dir, split, tmp_path, monkeypatch):
    import json

    from recnb.report import fit_summary

    log = tmp_path / "fits.jsonl"
    monkeypatch.setenv("RECNB_FIT_LOG", str(log))
    modelcache.cached_fit(CountingKNN(ks=(20,)), split)
    modelcache.cached_fit(CountingKNN(ks=(20,)), split)
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["cached"] for r in rows] == [False, True] and {r["model"] for r in rows} == {"CountingKNN"}
    summary = fit_summary(rows)
    assert summary["fits"] == 1 and summary["cached_fits"] == 1
    assert summary["fit_s"] == round(rows[0]["seconds"], 2)


def test_a_model_over_fitted_models_is_keyed_by_their_keys_and_served(cache_dir, split):
    from recnb.models.fusion import ScoreEnsemble

    make = lambda: SequenceRecommender("gru", dim=8, max_epochs=1, seed=3, progress=False)  # noqa: E731
    fresh = modelcache.cached_fit(make(), split)  # fitted now: its learned state alone is not digestible
    assert isinstance(fresh.cache_key_, str)
    first = modelcache.cached_fit(ScoreEnsemble({"a": fresh, "b": modelcache.cached_fit(CountingKNN(ks=(20,)), split)}),
                                  split)
    served = modelcache.cached_fit(make(), split)  # another object, loaded: the same key
    assert served is not fresh and served.cache_key_ == fresh.cache_key_
    knn = modelcache.cached_fit(CountingKNN(ks=(20,)), split)
    ens = ScoreEnsemble({"a": served, "b": knn})
    assert modelcache.model_key(ens, split) == modelcache.model_key(ScoreEnsemble({"a": fresh, "b": knn}), split)
    again = modelcache.cached_fit(ens, split)
    assert again is not ens and again.weights_ == first.weights_  # served from the cache
    other = modelcache.cached_fit(SequenceRecommender("gru", dim=8, max_epochs=1, seed=4, progress=False), split)
    assert modelcache.model_key(ScoreEnsemble({"a": other, "b": knn}), split) != modelcache.model_key(ens, split)
