"""fit_loop: one loop that early-stops on any validation quantity, upwards or downwards, and restores the
weights of the best epoch; the Trainer is the hand-written loop (seeded batch order, Adam steps)."""

from __future__ import annotations

import torch

from recnb.train import Trainer, adam, fit_loop


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


class _Line(torch.nn.Module):
    """y = w x fitted by squared error: a model that keeps the trainer's protocol (``batch_loss``)."""

    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))

    def batch_loss(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, int]:
        return ((self.w * x - y) ** 2).mean(), len(x)


def test_trainer_is_the_hand_written_loop_with_the_seeded_batch_order():
    x = torch.linspace(0, 1, 10)
    y = 3 * x
    model, trainer = _Line(), Trainer(7)
    res = trainer.fit(model, lambda: ((x[b], y[b]) for b in trainer.order(10, 4)), lambda: float(model.w.item()),
                      lr=0.1, max_epochs=3, patience=3, progress=False)
    hand, gen = _Line(), torch.Generator().manual_seed(7)
    opt = adam(hand.parameters(), lr=0.1)
    losses = []
    for _ in range(3):
        total = 0.0
        for b in torch.randperm(10, generator=gen).split(4):
            loss, n = hand.batch_loss(x[b], y[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * n
        losses.append(total / 10)
    assert torch.equal(model.w, hand.w) and list(res.history["loss"]) == losses
    assert res.best_epoch == 3  # the score w rises towards 3 every epoch: the last weights are kept
