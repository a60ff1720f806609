"""The reference table: every row is cited and labelled, filters work, bad rows are refused."""

from __future__ import annotations

import re

import pytest

from recnb.reference import REFERENCES, SOURCES, Reference, reference


def test_every_row_is_cited_located_and_unique():
    keys = set()
    for r in REFERENCES:
        assert r.source in SOURCES
        assert re.search(r"\b(19|20)\d\d\b", r.citation), f"no year in the citation of {r}"
        assert r.locator.strip() and r.protocol.strip() and r.short.strip()
        if r.source == "published":
            assert "Table" in r.citation or "README" in r.citation, r.citation
        key = (r.source, r.citation, r.dataset, r.model, r.metric)
        assert key not in keys, f"duplicate reference row {key}"
        keys.add(key)


def test_accessor_filters_and_labels():
    sports = reference(dataset="amazon-sports", model="sasrec", metric="ndcg@10")
    assert len(sports) == 1 and sports["source"].iloc[0] == "published"
    assert sports["label"].iloc[0].startswith("published: ")
    ml = reference(dataset="ml-100k")
    assert set(ml["source"]) == {"peer"} and ml["label"].str.startswith("peer: ").all()
    assert set(ml["model"]) == {"GRU4Rec", "SASRec"}
    assert len(reference()) == len(REFERENCES)
    assert reference(dataset="no-such-data").empty
    with pytest.raises(ValueError, match="source"):
        reference(source="measured")


def test_rows_outside_the_rules_are_refused():
    with pytest.raises(ValueError, match="source"):
        Reference("this run", "A et al. 2020, Table 1", "A 2020", "ml-100k", "loo", "x", "ndcg@10", 0.1, "here")
    with pytest.raises(ValueError, match="outside"):
        Reference("peer", "A et al. 2020, Table 1", "A 2020", "ml-100k", "loo", "x", "ndcg@10", 8.1, "here")
