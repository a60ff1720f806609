"""Notebook shape: settings come from recnb.profile (no per-profile table in a notebook), cells stay short."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from recnb.profile import PROFILES

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MAX_LINES = 25


def _code_cells(path: Path) -> list[tuple[int, str]]:
    nb = nbformat.read(path, as_version=4)
    return [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def profile_tables(source: str) -> list[str]:
    """Per-profile settings written in ``source``: a dict keyed by profile names, a comparison or membership
    test on ``profile``, or a profile name as a literal next to it. Returns one description per find."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if keys & set(PROFILES):
                found.append(f"line {node.lineno}: a dict keyed by profile names {sorted(keys & set(PROFILES))}")
        elif isinstance(node, ast.Compare):
            names = [n.id for n in (node.left, *node.comparators) if isinstance(n, ast.Name)]
            consts = [n.value for n in (node.left, *node.comparators) if isinstance(n, ast.Constant)]
            if "profile" in names or set(consts) & set(PROFILES):
                found.append(f"line {node.lineno}: a comparison on the profile")
    return found


def test_the_profile_table_check_catches_the_old_patterns():
    assert profile_tables('epochs = {"smoke": 2, "quick": 30, "full": 100}[profile]')
    assert profile_tables('x = 20 if profile == "smoke" else 300')
    assert profile_tables('shops = [] if profile != "full" else shops')
    assert profile_tables('if profile in ("smoke",):\n    pass')
    assert not profile_tables("cfg = get_profile(profile)\nepochs = cfg.seq_epochs\nprint(profile)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_notebook_holds_a_per_profile_table(path):
    bad = [f"cell {i}, {what}" for i, src in _code_cells(path)
           for what in profile_tables(src)]
    assert not bad, f"{path.name}: read settings from cfg = get_profile(profile) (recnb/profile.py): {bad}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_code_cell_is_longer_than_25_lines(path):
    long = {i: len(src.splitlines()) for i, src in _code_cells(path) if len(src.splitlines()) > MAX_LINES}
    assert not long, f"{path.name}: code cells over {MAX_LINES} lines (cell index: lines): {long}"
