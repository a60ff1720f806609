"""Run profiles: one frozen object per profile, the same names for the runner, the CLI and the notebooks."""

from __future__ import annotations

import dataclasses

import pytest

from recnb.__main__ import main
from recnb.profile import PROFILES, Profile, get_profile
from recnb.report import run_report


def test_every_profile_is_a_frozen_profile_named_by_its_key():
    assert list(PROFILES) == ["smoke", "quick", "full", "gpu", "benchmark"]
    for name, cfg in PROFILES.items():
        assert isinstance(cfg, Profile) and cfg.name == name and get_profile(name) is cfg
        with pytest.raises(dataclasses.FrozenInstanceError):
            cfg.n_boot = 1  # type: ignore[misc]


def test_the_gpu_profile_is_full_plus_what_only_a_gpu_does_in_time():
    full, gpu = PROFILES["full"], PROFILES["gpu"]
    differ = {f.name for f in dataclasses.fields(Profile) if getattr(full, f.name) != getattr(gpu, f.name)}
    assert differ <= {"name", "gen_epochs", "semantic_codebook", "gen_datasets", "scale_depths", "scale_widths",
                      "scale_fractions", "scale_datasets", "bench_seeds", "bench_fusions"}, differ
    assert gpu.gen_datasets and not full.gen_datasets and not PROFILES["quick"].gen_datasets
    assert gpu.bench_seeds == 3 and set(full.bench_fusions) < set(gpu.bench_fusions)


def test_the_benchmark_profile_is_full_under_its_own_name_with_every_user():
    full, bench = PROFILES["full"], PROFILES["benchmark"]
    assert dataclasses.replace(bench, name="full") == full
    assert bench.bench_users == 0 and 0 < PROFILES["quick"].bench_users and 0 < PROFILES["smoke"].bench_users


def test_budgets_grow_from_smoke_to_full():
    smoke, quick, full = (PROFILES[n] for n in ("smoke", "quick", "full"))
    for field in ("n_boot", "bpr_epochs", "ease_items", "ae_epochs", "seq_epochs", "graph_epochs", "fusion_epochs",
                  "text_seq_epochs",
                  "shop_epochs", "analytics_ae_epochs"):
        assert getattr(smoke, field) <= getattr(quick, field) <= getattr(full, field), field
    assert not smoke.shops and quick.shops and full.shops
    assert full.shops_softmax and not quick.shops_softmax and full.seeds >= quick.seeds >= 1


def test_unknown_profile_is_a_clear_error_everywhere(tmp_path, capsys):
    with pytest.raises(ValueError, match="expected one of smoke, quick, full"):
        get_profile("fast")
    with pytest.raises(ValueError, match="'fast'"):
        run_report("fast", notebooks_dir=tmp_path, out_root=tmp_path)
    with pytest.raises(SystemExit):
        main(["report", "--profile", "fast"])
    assert "invalid choice: 'fast'" in capsys.readouterr().err
