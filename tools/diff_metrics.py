"""Diff two reports' metrics.json files: how many numbers are identical, which changed, which are new or gone.

    python tools/diff_metrics.py reports/quick-before/metrics.json reports/quick/metrics.json

When the executed notebooks of the first report lie beside its metrics.json, each changed number is also
checked against the 95% confidence interval that report printed for it: the results tables (columns like
``ndcg@10`` and ``ndcg@10 CI``) are read from the notebooks' HTML outputs, and a row counts as the number's
when its model matches and its mean equals the recorded value. The last column says whether the new value
lies inside that interval ("in CI", "OUTSIDE CI") or that no interval was printed for it ("no CI").
"""

from __future__ import annotations

import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path


def flat(path: str) -> dict[str, float]:
    """``{"NN_notebook:name": value}`` from a metrics.json (``{notebook: {name: value}}``)."""
    with open(path, encoding="utf-8") as f:
        return {f"{nb}:{k}": v for nb, d in json.load(f).items() for k, v in d.items()}


class _Tables(HTMLParser):
    """The rows (lists of cell texts, header row first) of every <table> in a piece of HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def intervals(notebook: Path) -> list[tuple[str, str, float, float, float]]:
    """``(model, metric, mean, low, high)`` of every results-table row with a CI in an executed notebook."""
    rows = []
    for cell in json.loads(notebook.read_text(encoding="utf-8")).get("cells", []):
        for out in cell.get("outputs", []):
            html = "".join(out.get("data", {}).get("text/html", ""))
            if " CI" not in html:
                continue
            parser = _Tables()
            parser.feed(html)
            for table in parser.tables:
                if not table or "model" not in table[0]:
                    continue
                head = table[0]
                for row in table[1:]:
                    cells = dict(zip(head, row))
                    for col, ci in cells.items():
                        m = re.fullmatch(r"\[\s*(-?[\d.]+),\s*(-?[\d.]+)\]", ci)
                        metric = col[:-3] if col.endswith(" CI") else None
                        if m and metric in cells:
                            try:
                                rows.append((cells["model"], metric, float(cells[metric]), float(m[1]), float(m[2])))
                            except ValueError:
                                continue
    return rows


def ci_check(key: str, before: float, after: float, folder: Path) -> str:
    """Whether ``after`` lies in the interval the report in ``folder`` printed for ``key``'s ``before``."""
    nb, name = key.split(":", 1)
    parts = name.split("/")
    if len(parts) < 3 or not (folder / f"{nb}.ipynb").exists():
        return "no CI"
    model, metric = parts[-2], parts[-1]
    for m, met, mean, lo, hi in intervals(folder / f"{nb}.ipynb"):
        if m == model and met == metric and abs(mean - before) <= 5e-5 + 1e-4 * abs(before):
            return f"in CI [{lo:.4f}, {hi:.4f}]" if lo <= after <= hi else f"OUTSIDE CI [{lo:.4f}, {hi:.4f}]"
    return "no CI"


def main(before: str, after: str) -> None:
    a, b = flat(before), flat(after)
    folder = Path(before).parent
    changed = [k for k in a if k in b and a[k] != b[k]]
    checks = {k: ci_check(k, a[k], b[k], folder) for k in changed}
    print(f"{sum(k in b and a[k] == b[k] for k in a)} identical, {len(changed)} changed "
          f"({sum(c.startswith('in CI') for c in checks.values())} inside the first report's 95% CI, "
          f"{sum(c.startswith('OUTSIDE') for c in checks.values())} outside, "
          f"{sum(c == 'no CI' for c in checks.values())} without a printed CI), "
          f"{len(set(a) - set(b))} only before, {len(set(b) - set(a))} only after")
    for k in changed:
        print(f"  {k}: {a[k]:.4g} -> {b[k]:.4g}  {checks[k]}")
    for k in sorted(set(a) - set(b)):
        print(f"  only before: {k} = {a[k]:.4g}")
    for k in sorted(set(b) - set(a)):
        print(f"  only after: {k} = {b[k]:.4g}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
