"""The report runner: Papermill executes the numbered notebooks and writes HTML reports.

``python -m recnb report --profile P [--only 01,03]`` runs ``notebooks/NN_*.ipynb`` in order with the
parameters ``profile`` (a name of :data:`recnb.profile.PROFILES`), ``dataset``, ``seed`` and ``data_path``
and writes, under ``reports/P/``:

* ``NN_name.html``: the executed notebook, figures embedded (the executed ``.ipynb`` lies beside it);
* ``metrics.json``: ``{"NN_name": {"metric name": number, ...}}`` from :func:`record` (and
  :func:`record_metrics`) calls;
* ``manifest.json``: git commit and dirty flag, Python and package versions, SHA-256 of every data file
  a notebook loaded, the parameters, every setting of the profile and the wall seconds per notebook;
* ``index.html``: one table of the recorded numbers, links to each report, failures in red with the
  failing cell.

A failing notebook does not stop the others; the run then returns a non-zero exit code. The runner talks to
the notebooks' kernels through the environment variables of :mod:`recnb.env`.
"""

from __future__ import annotations

import html
import json
import math
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from . import env
from .profile import get_profile

PACKAGES = ("recnb", "torch", "torch_geometric", "numpy", "scipy", "pandas", "pyarrow", "scikit-learn",
            "matplotlib", "seaborn", "papermill", "nbconvert", "ipykernel", "tqdm")

_recorded: dict[str, float] = {}


def record(name: str, value: float) -> float:
    """Publish one headline number of a notebook (shown in the index and written to metrics.json).

    Inside a report run the value is appended to the file named by ``RECNB_RECORD_FILE``; in an
    interactive session it is kept in memory (see :func:`recorded`). Returns ``value`` as a float.
    """
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"record({name!r}): {value!r} is not a finite number")
    _recorded[name] = v
    path = os.environ.get(env.RECORD_FILE)
    if path:
        with open(path, "a") as f:
            f.write(json.dumps({"name": name, "value": v}) + "\n")
    return v


METRICS = ("ndcg@10", "hr@10", "mrr@10")
"""The accuracy metrics a notebook records per model by default."""


def record_metrics(prefix: str, results: Mapping[str, Any] | pd.DataFrame,
                   metrics: tuple[str, ...] = METRICS) -> dict[str, float]:
    """Record the mean of each of ``metrics`` for every model of ``results`` as ``{prefix}/{model}/{metric}``.

    ``results`` is ``{model name: Evaluation}`` (the mean over users of each per-user metric is recorded), or
    a table with a ``model`` column (or the models as index) and one column per metric, such as
    :func:`~recnb.evaluate.results_table`. Returns the recorded ``{name: value}``.
    """
    if isinstance(results, pd.DataFrame):
        table = results.set_index("model") if "model" in results.columns else results
        values = {(str(m), k): table.loc[m, k] for m in table.index for k in metrics}
    else:
        values = {(name, k): e.per_user[k].mean() for name, e in results.items() for k in metrics}
    return {f"{prefix}/{m}/{k}": record(f"{prefix}/{m}/{k}", v) for (m, k), v in values.items()}


def recorded() -> dict[str, float]:
    """Numbers recorded in this process so far."""
    return dict(_recorded)


def notebooks(folder: Path, only: list[str] | None = None) -> list[Path]:
    """The numbered notebooks of ``folder`` in order, restricted to the prefixes in ``only``."""
    found = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
    if only:
        wanted = {o.strip().zfill(2) for o in only if o.strip()}
        found = [p for p in found if p.name[:2] in wanted]
    return found


def _git(root: Path, *args: str) -> str:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def _read_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _to_html(ipynb: Path, target: Path) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(ipynb, as_version=4)
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    target.write_text(body, encoding="utf-8")


def _run_one(nb: Path, out_dir: Path, params: dict[str, Any], kernel: str | None) -> dict[str, Any]:
    import papermill as pm

    stem = nb.stem
    rec_file = out_dir / ".records" / f"{stem}.jsonl"
    data_log = out_dir / ".records" / f"{stem}.data.jsonl"
    rec_file.parent.mkdir(parents=True, exist_ok=True)
    rec_file.unlink(missing_ok=True)
    data_log.unlink(missing_ok=True)
    os.environ[env.RECORD_FILE], os.environ[env.DATA_LOG] = str(rec_file), str(data_log)
    os.environ[env.NO_PROGRESS] = "1"  # progress bars would flood the HTML; the runner shows its own
    executed = out_dir / f"{stem}.ipynb"
    status: dict[str, Any] = {"notebook": stem, "ok": True, "error": None}
    t0 = time.perf_counter()
    try:
        pm.execute_notebook(str(nb), str(executed), parameters=params, cwd=str(nb.parent),
                            kernel_name=kernel, progress_bar=False, log_output=False)
    except pm.PapermillExecutionError as err:
        status.update(ok=False, error={"cell": err.exec_count, "cell_index": err.cell_index,
                                       "ename": err.ename, "evalue": err.evalue})
    except Exception as err:  # noqa: BLE001 - a broken notebook file or kernel must not stop the run
        status.update(ok=False, error={"cell": None, "cell_index": None, "ename": type(err).__name__,
                                       "evalue": str(err)})
    finally:
        for var in (env.RECORD_FILE, env.DATA_LOG, env.NO_PROGRESS):
            os.environ.pop(var, None)
    status["wall_s"] = round(time.perf_counter() - t0, 2)
    if executed.exists():
        try:
            _to_html(executed, out_dir / f"{stem}.html")
            status["html"] = f"{stem}.html"
        except Exception as err:  # noqa: BLE001
            status.update(ok=False, error=status["error"] or {"cell": None, "ename": type(err).__name__,
                                                              "evalue": f"HTML conversion failed: {err}"})
    status["metrics"] = {r["name"]: r["value"] for r in _read_lines(rec_file)}
    status["data"] = {d["dataset"]: d["files"] for d in _read_lines(data_log)}
    return status


def _index_html(profile: str, results: list[dict[str, Any]], manifest: dict[str, Any]) -> str:
    e = html.escape
    rows = []
    for r in results:
        link = f'<a href="{e(r["html"])}">{e(r["notebook"])}</a>' if r.get("html") else e(r["notebook"])
        if r["ok"]:
            state = '<td class="ok">ok</td>'
        else:
            err = r["error"] or {}
            where = (f'cell In [{err.get("cell")}] (cell {err.get("cell_index", 0) + 1} of the executed notebook)'
                     if err.get("cell") is not None else "before any cell ran")
            state = (f'<td class="fail">FAILED at {e(where)}: {e(str(err.get("ename")))}: '
                     f'{e(str(err.get("evalue"))[:400])}</td>')
        rows.append(f"<tr><td>{link}</td>{state}<td>{r['wall_s']:.1f}</td><td>{len(r['metrics'])}</td></tr>")
    mrows = [f"<tr><td>{e(r['notebook'])}</td><td>{e(k)}</td><td>{v:.4g}</td></tr>"
             for r in results for k, v in r["metrics"].items()]
    failed = sum(not r["ok"] for r in results)
    verdict = (f'<p class="fail">{failed} notebook(s) failed.</p>' if failed
               else "<p class='ok'>All notebooks ran.</p>")
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>recnb reports: {e(profile)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left}}
.fail{{color:#b00020;font-weight:bold}}.ok{{color:#1b5e20}}code{{background:#f4f4f4}}</style></head><body>
<h1>recnb reports, profile <code>{e(profile)}</code></h1>
<p>Generated {e(manifest['finished'])} from commit <code>{e(manifest['git']['commit'][:12] or 'unknown')}</code>
{'(with uncommitted changes)' if manifest['git']['dirty'] else ''}; total {manifest['wall_s']:.0f} s.
See <a href="manifest.json">manifest.json</a> and <a href="metrics.json">metrics.json</a>.</p>{verdict}
<h2>Notebooks</h2><table><tr><th>notebook</th><th>status</th><th>wall s</th><th>numbers</th></tr>
{''.join(rows)}</table>
<h2>Recorded numbers</h2><table><tr><th>notebook</th><th>metric</th><th>value</th></tr>{''.join(mrows)}</table>
</body></html>"""


def run_report(profile: str = "full", only: list[str] | None = None, notebooks_dir: str | Path | None = None,
               out_root: str | Path | None = None, dataset: str = "ml-100k", seed: int = 0,
               data_path: str = "", kernel: str | None = None) -> int:
    """Run the notebooks and write the reports; return 0 when all succeeded, 1 otherwise."""
    from tqdm.auto import tqdm

    from .data.fetch import project_root

    cfg = get_profile(profile)
    root = project_root()
    nb_dir = Path(notebooks_dir) if notebooks_dir else root / "notebooks"
    out_dir = (Path(out_root) if out_root else root / "reports") / profile
    out_dir.mkdir(parents=True, exist_ok=True)
    todo = notebooks(nb_dir, only)
    if not todo:
        raise FileNotFoundError(f"no notebooks NN_*.ipynb in {nb_dir}" + (f" matching {only}" if only else ""))
    params = {"profile": profile, "dataset": dataset, "seed": seed, "data_path": data_path}
    os.environ.setdefault(env.ROOT, str(root))
    # notebooks run with cwd=notebooks/: make relative search-path entries absolute first
    os.environ[env.DATA_PATH] = os.pathsep.join(
        str(Path(p).resolve()) for p in os.environ.get(env.DATA_PATH, "").split(os.pathsep) if p)
    if data_path:
        params["data_path"] = os.pathsep.join(str(Path(p).resolve()) for p in data_path.split(os.pathsep) if p)
    started = datetime.now(timezone.utc)
    # the commit the notebooks are read from: taken before they run, not after (work may go on meanwhile)
    git = {"commit": _git(root, "rev-parse", "HEAD"),
           "dirty": bool(_git(root, "status", "--porcelain", "--untracked-files=no"))}
    t0 = time.perf_counter()
    results = []
    bar = tqdm(todo, desc=f"reports/{profile}", unit="notebook")
    for nb in bar:
        bar.set_postfix_str(nb.stem)
        results.append(_run_one(nb, out_dir, params, kernel))
        if not results[-1]["ok"]:
            tqdm.write(f"FAILED {nb.stem}: {results[-1]['error']}")
    metrics = {r["notebook"]: r["metrics"] for r in results}
    metrics_path = out_dir / "metrics.json"
    old = json.loads(metrics_path.read_text()) if only and metrics_path.exists() else {}
    (out_dir / "metrics.json").write_text(json.dumps({**old, **metrics}, indent=1, sort_keys=True))
    data: dict[str, dict[str, str]] = {}
    for r in results:
        data.update(r["data"])
    manifest = {
        "profile": profile, "settings": cfg.as_dict(), "parameters": params, "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "wall_s": round(time.perf_counter() - t0, 2),
        "git": git,
        "platform": platform.platform(), "cpus": os.cpu_count(), "versions": _versions(),
        "device": str(env.device()),
        "data_sha256": data, "command": " ".join(sys.argv),
        "notebooks": [{k: r[k] for k in ("notebook", "ok", "error", "wall_s")} | {"parameters": params}
                      for r in results],
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1, default=str))
    (out_dir / "index.html").write_text(_index_html(profile, results, manifest), encoding="utf-8")
    return 0 if all(r["ok"] for r in results) else 1
