"""Student and teacher editions (issue 21, point 1): solutions removed / executed, exercises present."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from recnb.editions import ANSWER_BOX, exercises, student_edition, tags
from recnb.report import run_report

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PARAMS = 'profile = "smoke"\ndataset = "ml-100k"\nseed = 0\ndata_path = ""'


def _fixture(path: Path, solution: str) -> None:
    cells = [nbformat.v4.new_code_cell(PARAMS), nbformat.v4.new_markdown_cell("## Exercises"),
             nbformat.v4.new_markdown_cell("Write `double(x)`."), nbformat.v4.new_code_cell(solution)]
    cells[0].metadata["tags"] = ["parameters"]
    cells[2].metadata["tags"] = ["exercise"]
    cells[3].metadata["tags"] = ["solution"]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_student_edition_has_answer_boxes_and_no_solution(tmp_path):
    _fixture(tmp_path / "01_x.ipynb", "def double(x):\n    return 2 * x\nassert double(2) == 4")
    nb = nbformat.read(tmp_path / "01_x.ipynb", as_version=4)
    student = student_edition(nb)
    assert not any("solution" in tags(c) for c in student.cells)
    assert [c.source for c in student.cells if "answer" in tags(c)] == [ANSWER_BOX]
    assert "return 2 * x" not in json.dumps(student)
    assert exercises(nb) == [(2, 3)]


def test_teacher_edition_executes_solutions_and_a_wrong_one_fails(tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _fixture(nbs / "01_right.ipynb", "def double(x):\n    return 2 * x\nassert double(2) == 4")
    _fixture(nbs / "02_wrong.ipynb", "def double(x):\n    return x + 1\nassert double(3) == 6, 'double is wrong'")
    assert run_report("smoke", notebooks_dir=nbs, out_root=tmp_path / "r", edition="teacher") == 1
    manifest = json.loads((tmp_path / "r" / "smoke" / "manifest.json").read_text())
    ok = {n["notebook"]: n["ok"] for n in manifest["notebooks"]}
    assert ok == {"01_right": True, "02_wrong": False}
    # the student edition of the same notebooks runs (answer boxes are empty) and holds no solution
    assert run_report("smoke", notebooks_dir=nbs, out_root=tmp_path / "r", edition="student") == 0
    executed = nbformat.read(tmp_path / "r" / "smoke-student" / "02_wrong.ipynb", as_version=4)
    assert not any("solution" in tags(c) for c in executed.cells)
    assert "return x + 1" not in (tmp_path / "r" / "smoke-student" / "02_wrong.html").read_text()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_notebook_ends_with_three_to_five_exercises_each_with_a_solution(path):
    nb = nbformat.read(path, as_version=4)
    found = exercises(nb)
    assert 3 <= len(found) <= 5, f"{path.name}: {len(found)} exercises (3-5 expected)"
    assert all(sol is not None for _, sol in found), f"{path.name}: an exercise without a solution cell"
    heading = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## Exercises")]
    assert heading and heading[0] < found[0][0], f"{path.name}: exercises belong under '## Exercises'"
