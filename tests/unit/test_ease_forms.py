"""EASE's user-space form (Woodbury) computes the same model as the item-space closed form, without an items x
items matrix; fold-in rows agree with scoring."""

from __future__ import annotations

import numpy as np
import torch

from recnb.data.simulate import simulate
from recnb.data.split import leave_last_out
from recnb.models.ease import EASE, ITEM_SPACE, RESTRICTED, USER_SPACE


def wide_split():
    """Fewer users than items: the shape of a shop log."""
    return leave_last_out(simulate(n_users=120, n_items=400, n_categories=8, n_clusters=4, mean_views=25, seed=2))


def test_user_space_equals_item_space():
    split = wide_split()
    lambdas = (10.0, 100.0, 1000.0)
    item = EASE(lambdas=lambdas).fit(split)
    user = EASE(lambdas=lambdas, max_items=split.n_users).fit(split)  # more items than the limit, users fit
    assert split.n_items > split.n_users and (item.form_, user.form_) == (ITEM_SPACE, USER_SPACE)
    assert user.lambda_ == item.lambda_ and user.uncovered_targets() == 0
    assert np.allclose(list(user.scores_.values()), list(item.scores_.values()), atol=1e-3)
    users = split.test_users[:50]
    a, b = item.score(users), user.score(users)
    assert torch.allclose(a, b, atol=1e-4 * float(a.abs().max()))
    pos = np.array([0, 7, split.n_items - 1])
    assert torch.allclose(user.rows(pos), item.rows(pos), atol=1e-4 * float(item.rows(pos).abs().max()))
    assert torch.allclose(user.rows(pos)[np.arange(3), pos], torch.zeros(3), atol=1e-5)  # zero diagonal


def test_restricted_only_when_neither_side_fits():
    split = wide_split()
    small = min(split.n_users, split.n_items) - 1
    model = EASE(lambdas=(100.0,), max_items=small).fit(split)
    assert model.form_ == RESTRICTED and len(model.items_) == small
    assert model.info_["form"] == RESTRICTED and model.info_["test targets cut off"] == model.uncovered_targets()
