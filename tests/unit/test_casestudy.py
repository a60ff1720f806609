"""Notebook 07/08 package functions: choices read validation numbers only; sentences are rendered from data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recnb.analysis.analytics import attack_design, dense_ids, ledger_sentences
from recnb.analysis.anomaly import Attack
from recnb.analysis.shop import FUSION_CANDIDATES, choose


def test_choose_takes_the_best_encoder_and_fusion_by_validation():
    valid = {"pop": 0.9, "ease": 0.8, "lightgcn": 0.1, "mult-vae": 0.2, "ensemble": 0.3, "late": 0.5,
             "ensemble+seen": 0.4}
    assert choose(valid) == {"encoder": "mult-vae", "fusion": "late"}  # baselines never chosen as either
    assert set(FUSION_CANDIDATES) == {"ensemble", "late", "cascade", "ensemble+seen"}
    with pytest.raises(ValueError, match="no fusion"):
        choose({"lightgcn": 0.1, "ease": 0.2})


def test_dense_ids_map_string_ids_and_keep_the_originals():
    r = pd.DataFrame({"user_id": ["u2", "u1", "u2"], "item_id": ["b", "a", "a"], "value": [5.0, 1.0, 3.0]})
    dense, items = dense_ids(r)
    assert dense["user_id"].tolist() == [1, 0, 1] and dense["item_id"].tolist() == [1, 0, 0]
    assert list(items[dense["item_id"]]) == r["item_id"].tolist()


def test_attack_design_renders_sizes_from_the_ratings():
    r = pd.DataFrame({"user_id": np.repeat(np.arange(200), 5), "item_id": np.tile(np.arange(40), 25),
                      "value": 3.0})
    text = attack_design(r, [Attack("random", "push", 0.05, filler=0.1), Attack("random", "push", 0.01, filler=0.1)])
    assert "4 items of 40" in text and "1% or 5%" in text and "200 genuine users" in text and "(2 or 10)" in text


def test_ledger_sentences_list_only_rules_that_removed_rows():
    led = pd.DataFrame({"rule": ["range", "noop"], "rows_in": [10, 5], "rows_out": [7, 5],
                        "detail": ["3 ratings of 0 removed", "nothing"]})
    lines = ledger_sentences("x", led)
    assert len(lines) == 1 and "3 rows removed" in lines[0] and "range" in lines[0]
    assert "no ledger rule" in ledger_sentences("x", led.iloc[[1]])[0]


def test_the_case_study_reads_a_readers_sequence_file_in_its_own_format(tmp_path):
    """``--dataset sequences --data-path F`` (found by ``make fuzz``): notebook 07 read the file as a canonical CSV
    and stopped on a missing ``user_id`` column."""
    from recnb.analysis.casestudy import shop_logs

    path = tmp_path / "seqs.txt"
    path.write_text("u1 i1 i2 i3\nu2 i2 i3\n")
    data, source = shop_logs("sequences", str(path))
    (ds,) = data.values()
    assert len(ds.events) == 5 and set(ds.events["event"].astype(str)) == {"purchase"}
    assert "your own log" in source


def test_the_new_user_study_passes_over_a_log_where_popularity_is_at_chance_on_validation(sim_small):
    from types import SimpleNamespace

    import torch

    from recnb.analysis.casestudy import new_user_shop
    from recnb.data.split import leave_last_out
    from recnb.models.baselines import MostPopular

    split = leave_last_out(sim_small)

    class Flat:  # the same score for every item: popularity on a log where it is no better than chance
        def score(self, users, stage="test"):
            return torch.zeros(len(users), split.n_items)

    runs = {"flat": SimpleNamespace(models={"pop": Flat()}, split=split),
            "shop": SimpleNamespace(models={"pop": MostPopular().fit(split)}, split=split)}
    name, sentence = new_user_shop(runs, ["flat", "shop"], n_boot=200)
    assert name == "shop" and "passes over flat" in sentence
    assert new_user_shop(runs, ["flat"], n_boot=200) == (None, "*Skipped: on flat popularity's validation NDCG@10 is "
                                                                 "not significantly above a random ranking, so the "
                                                                 "new-user study has no yardstick there.*")
