"""``python -m recnb bench --privacy``: time the privacy part of notebook 11 (Flower's federations, Opacus'
DP-SGD runs, the membership attack) at one profile on ML-100K, section by section, with the same calls and
settings as the notebook, and check the speed goal of issue 20 (:data:`recnb.bench.speed.PRIVACY_GOAL`:
Flower and Opacus together in the quick profile). Writes ``reports/bench-privacy.json``.

Speed goals live in benchmarks, never in tests (see :mod:`recnb.bench.speed`).
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import pandas as pd

from ..data.fetch import project_root
from ..profile import get_profile
from .speed import PRIVACY_GOAL, check_goals


def run_privacy_bench(profile: str = "quick", seed: int = 0, out: str | Path | None = None) -> pd.DataFrame:
    """Time each privacy section of notebook 11 at ``profile``; one row per step: ``section``, ``step``,
    ``seconds``; the last row is the Flower + Opacus total, named ``flower + opacus (<profile>)``, and its
    ``status`` against :data:`~recnb.bench.speed.PRIVACY_GOAL` (``pass``, ``short``, or ``not run`` outside quick)."""
    from .. import experiment
    from ..privacy.dp import train_private
    from ..privacy.federated import Federation, run_centralised, run_federated
    from ..privacy.membership import attack_runs, member_split

    cfg = get_profile(profile)
    rows: list[dict[str, object]] = []
    name = "ml-100k"
    split = experiment.prepare(name, "")
    t0 = time.perf_counter()
    run_centralised(split, epochs=cfg.fl_rounds, seed=seed)
    rows.append({"section": "1 federated", "step": "centralised comparator", "seconds": time.perf_counter() - t0})
    schemes = [s for s in cfg.fl_schemes if s != "genre" or split.categories]
    feds = [Federation.per_user(split, cfg.fl_rounds, cfg.fl_user_fraction) if s == "user" else
            Federation(n_clients=cfg.fl_clients, scheme=s, rounds=cfg.fl_rounds, local_epochs=1) for s in schemes]
    t0 = time.perf_counter()
    runs = run_federated(split, feds, seed=seed)
    flower = time.perf_counter() - t0
    rows.append({"section": "1 federated", "step": "ray.init", "seconds": runs[0].settings["ray start seconds"]})
    rows.append({"section": "1 federated", "step": "Ray + Flower + clients ready", "seconds": runs[0].startup_seconds})
    rows += [{"section": "1 federated", "step": r.name, "seconds": r.seconds} for r in runs]
    rows.append({"section": "1 federated", "step": "Flower total", "seconds": flower})
    members, nonmembers = member_split(split, 0.5, seed)
    t0 = time.perf_counter()
    dp_runs = [train_private(split, eps, epochs=cfg.dp_epochs, members=members, seed=seed)
               for eps in [None, *cfg.dp_epsilons]]
    opacus = time.perf_counter() - t0
    rows += [{"section": "2 differential privacy", "step": r.name, "seconds": r.seconds} for r in dp_runs]
    rows.append({"section": "2 differential privacy", "step": "Opacus total", "seconds": opacus})
    t0 = time.perf_counter()
    attack_runs(dp_runs, split, nonmembers, n_boot=cfg.n_boot, seed=seed)
    rows.append({"section": "3 membership attack", "step": "attack_runs", "seconds": time.perf_counter() - t0})
    rows.append({"section": "total", "step": f"flower + opacus ({profile})", "seconds": flower + opacus})
    table = pd.DataFrame(rows).assign(dataset=name)
    goal = check_goals(table.rename(columns={"step": "task"}), (PRIVACY_GOAL,)).iloc[0]
    table["status"] = ""
    table.loc[table.index[-1], "status"] = f"{goal['status']} (budget {goal['budget']:g} s)"
    status = str(goal["status"])
    path = Path(out) if out else project_root() / "reports" / "bench-privacy.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"platform": platform.platform(), "cpus": os.cpu_count(),
                                "load_average": os.getloadavg(), "profile": profile, "status": status,
                                "results": table.to_dict("records")}, indent=1))
    return table


__all__ = ["run_privacy_bench"]
