"""Student and teacher editions of the notebooks (issue 21: exercises with tested solutions).

Each notebook ends with ``## Exercises``: every exercise is a Markdown cell tagged ``exercise`` followed by
one code cell tagged ``solution`` that solves it and checks itself with ``assert`` statements.

* ``teacher``: the notebook as written; the solutions run with the rest, so a report run (and the smoke
  test in CI) checks every solution against the package's API.
* ``student``: each ``solution`` cell is replaced by an empty *answer box* (a code cell tagged ``answer``
  that holds only a comment), so the exercises stay and the solutions are gone.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

EDITIONS = ("teacher", "student")
ANSWER_BOX = "# Your answer here: write and run your code, then compare with the teacher edition."


def tags(cell: nbformat.NotebookNode) -> list[str]:
    """The cell's metadata tags."""
    return list(cell.get("metadata", {}).get("tags", []))


def exercises(nb: nbformat.NotebookNode) -> list[tuple[int, int | None]]:
    """``(exercise cell index, index of its solution cell or None)`` for every exercise of ``nb``: the
    solution is the next cell when it is a code cell tagged ``solution``."""
    out = []
    cells = nb.cells
    for i, c in enumerate(cells):
        if "exercise" in tags(c):
            nxt = i + 1 if i + 1 < len(cells) else None
            ok = nxt is not None and cells[nxt].cell_type == "code" and "solution" in tags(cells[nxt])
            out.append((i, nxt if ok else None))
    return out


def student_edition(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` with every ``solution`` cell replaced by an empty answer box."""
    out = nbformat.from_dict(nb)
    cells = []
    for c in out.cells:
        if c.cell_type == "code" and "solution" in tags(c):
            box = nbformat.v4.new_code_cell(ANSWER_BOX)
            box.metadata["tags"] = ["answer"]
            cells.append(box)
        else:
            cells.append(c)
    out.cells = cells
    return out


def prepare(nb_path: Path, edition: str, folder: Path) -> Path:
    """The notebook to execute for ``edition``: ``nb_path`` itself for the teacher edition, else the
    student edition written to ``folder`` under the same name."""
    if edition not in EDITIONS:
        raise ValueError(f"edition {edition!r}: expected one of {', '.join(EDITIONS)}")
    if edition == "teacher":
        return nb_path
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / nb_path.name
    nbformat.write(student_edition(nbformat.read(nb_path, as_version=4)), target)
    return target


__all__ = ["EDITIONS", "ANSWER_BOX", "tags", "exercises", "student_edition", "prepare"]
