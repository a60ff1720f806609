"""Diff two reports' metrics.json files: how many numbers are identical, which changed, which are new or gone.

    python tools/diff_metrics.py reports/quick-before/metrics.json reports/quick/metrics.json
"""

from __future__ import annotations

import json
import sys


def flat(path: str) -> dict[str, float]:
    """``{"NN_notebook:name": value}`` from a metrics.json (``{notebook: {name: value}}``)."""
    with open(path, encoding="utf-8") as f:
        return {f"{nb}:{k}": v for nb, d in json.load(f).items() for k, v in d.items()}


def main(before: str, after: str) -> None:
    a, b = flat(before), flat(after)
    changed = [k for k in a if k in b and a[k] != b[k]]
    print(f"{sum(k in b and a[k] == b[k] for k in a)} identical, {len(changed)} changed, "
          f"{len(set(a) - set(b))} only before, {len(set(b) - set(a))} only after")
    for k in changed:
        print(f"  {k}: {a[k]:.4g} -> {b[k]:.4g}")
    for k in sorted(set(a) - set(b)):
        print(f"  only before: {k} = {a[k]:.4g}")
    for k in sorted(set(b) - set(a)):
        print(f"  only after: {k} = {b[k]:.4g}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
