"""Project hygiene: environment.yml agrees with pyproject.toml; notebooks are committed clean and thin."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _split(spec: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
    assert m, spec
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_split(s) for s in project["dependencies"] + project["optional-dependencies"]["dev"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    have: dict[str, str] = {}
    for dep in env:
        if isinstance(dep, dict):
            have.update(_split(s) for s in dep["pip"] if not s.startswith("-e"))
        elif not dep.startswith(("python", "pip")):
            have.update([_split(dep)])
    assert have == wanted


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_clean_and_parameterised(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "strip outputs before committing"
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "exactly one cell tagged 'parameters'"
    for name in ("profile", "dataset", "seed", "data_path"):
        assert re.search(rf"^{name}\s*=", params[0].source, re.M), name
    first = nb.cells[0]
    assert first.cell_type == "markdown" and "What you will learn" in first.source
    assert re.search(r"\brecord(_metrics)?\(", "".join(c.source for c in code)), \
        "publish headline numbers with recnb.report.record or record_metrics"


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ has no NN_*.ipynb"
