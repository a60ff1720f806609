"""recnb.prose renders sentences from values; selections read validation."""

from __future__ import annotations

import pandas as pd
import pytest

from recnb.data.simulate import simulate
from recnb.profile import get_profile
from recnb.prose import best_by, capabilities, count, estimate, listing, needs, seeds_banner, winner_sentence


def test_formatting():
    assert estimate(0.07114, 0.0581, 0.0833) == "0.071 [0.058, 0.083]"
    assert count(1682, "item") == "1,682 items" and count(1, "item") == "1 item"
    assert listing(["a", "b", "c"]) == "a, b and c"
    assert "3 seeds" in seeds_banner(get_profile("full"), "ml-100k")


def test_winner_is_chosen_on_validation_not_test():
    table = pd.DataFrame({"model": ["a", "b"], "valid ndcg@10": [0.2, 0.1], "ndcg@10": [0.1, 0.3]})
    assert winner_sentence(table, "ndcg@10").startswith("**a** is chosen on validation")
    with pytest.raises(KeyError):
        winner_sentence(table.drop(columns="valid ndcg@10"), "ndcg@10")
    assert best_by({"a": 0.1, "b": 0.3}) == "b"


def test_capabilities_of_a_simulated_shop(monkeypatch):
    shown = []
    monkeypatch.setattr("recnb.prose.show", shown.append)
    ds = simulate(n_users=50, n_items=40, n_categories=4, n_clusters=2, mean_views=5, seed=0)
    caps = capabilities(ds)
    assert caps["clock"] and caps["behaviours"] and caps["categories"] and not caps["ratings"]
    assert needs(ds, "clock", "behaviours")
    assert not needs(ds, "ratings")
    assert len(shown) == 1 and "needs ratings" in shown[0]
