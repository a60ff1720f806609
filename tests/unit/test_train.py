"""fit_loop: one loop that early-stops on any validation quantity, upwards or downwards, and restores the
weights of the best epoch."""

from __future__ import annotations

import torch

from recnb.train import fit_loop


def _run(values: list[float], maximise: bool, patience: int = 2, min_delta: float = 0.0):
    module = torch.nn.Linear(1, 1, bias=False)
    seen = iter(values)

    def epoch_fn(epoch: int) -> float:
        with torch.no_grad():
            module.weight.fill_(float(epoch))  # the weights remember the epoch they come from
        return 0.0

    res = fit_loop(module, epoch_fn, lambda: next(seen), max_epochs=len(values), patience=patience,
                   progress=False, maximise=maximise, min_delta=min_delta, score_name="valid x")
    return res, float(module.weight.item())


def test_maximising_restores_the_best_epoch_and_stops_after_patience():
    res, weight = _run([0.1, 0.3, 0.2, 0.25, 0.9], maximise=True)
    assert (res.best_epoch, res.best_score, weight) == (2, 0.3, 2.0)
    assert list(res.history["epoch"]) == [1, 2, 3, 4] and "valid x" in res.history


def test_minimising_a_loss_and_min_delta():
    res, weight = _run([5.0, 3.0, 2.9999, 1.0, 4.0, 4.0], maximise=False, patience=2)
    assert (res.best_epoch, res.best_score, weight) == (4, 1.0, 4.0)
    res, weight = _run([5.0, 3.0, 2.9999, 2.9998, 1.0], maximise=False, patience=2, min_delta=1e-3)
    assert (res.best_epoch, weight) == (2, 2.0)  # improvements below min_delta do not count
