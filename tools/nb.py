"""Tiny helper to write a notebook from a list of (kind, source) cells; outputs empty.

Usage inside a build script: ``write("notebooks/01_x.ipynb", [("md", "# Title"), ("params", "profile = 'quick'"),
("code", "x = 1")])``. Notebooks may equally be edited in JupyterLab; strip outputs before committing
(``python tools/nb.py --strip notebooks/*.ipynb``).
"""

from __future__ import annotations

import sys

import nbformat


def write(path: str, cells: list[tuple[str, str]]) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                   "language_info": {"name": "python"}}
    for kind, src in cells:
        src = src.strip("\n")
        if kind == "md":
            nb.cells.append(nbformat.v4.new_markdown_cell(src))
        else:
            cell = nbformat.v4.new_code_cell(src)
            if kind == "params":
                cell.metadata["tags"] = ["parameters"]
            nb.cells.append(cell)
    for i, c in enumerate(nb.cells):
        c["id"] = f"c{i:03d}"
    nbformat.write(nb, path)


def strip(path: str) -> None:
    nb = nbformat.read(path, as_version=4)
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    nbformat.write(nb, path)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--strip"]:
        for p in sys.argv[2:]:
            strip(p)
