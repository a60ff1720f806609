"""Power-law fit and parameter counting for the scaling sweep."""

from __future__ import annotations

import numpy as np
import pytest

from recnb.analysis.scaling import fit_power_law, non_embedding_parameters
from recnb.models.sequence import _Encoder


def test_power_law_recovers_exponent():
    x = np.array([1e3, 1e4, 1e5, 1e6])
    fit = fit_power_law(x, 2.0 * x ** -0.5)
    assert fit["b"] == pytest.approx(-0.5) and fit["a"] == pytest.approx(2.0)
    assert np.allclose(fit["low"], fit["fit"]) and np.allclose(fit["high"], fit["fit"])


def test_non_embedding_parameters_excludes_embeddings():
    enc = _Encoder("rnn", n_items=1000, dim=8, max_len=10, layers=1, heads=1, dropout=0.0, use_event=True, use_gap=True)
    assert non_embedding_parameters(enc) == 8 * 8 + 8 * 8 + 8  # W_x, W_h, b_h
