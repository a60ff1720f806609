"""The report runner: Papermill executes the numbered notebooks and writes HTML reports.

``python -m recnb report --profile P [--only 01,03]`` runs ``notebooks/NN_*.ipynb`` in order with the
parameters ``profile`` (a name of :data:`recnb.profile.PROFILES`), ``dataset``, ``seed`` and ``data_path``
and writes, under ``reports/P/``:

* ``NN_name.html``: the executed notebook, figures embedded (the executed ``.ipynb`` lies beside it);
* ``metrics.json``: ``{"NN_name": {"metric name": number, ...}}`` from :func:`record` (and
  :func:`record_metrics`) calls;
* ``manifest.json``: git commit and dirty flag, Python and package versions, SHA-256 of every data file
  a notebook loaded, the parameters, every setting of the profile and the wall seconds per notebook;
* ``index.html``: the entry page (:func:`recnb.site.index_html`) and the docs rendered to HTML beside it;
* ``mathjax/``: MathJax, copied once, so that every page works offline (see :mod:`recnb.site`).

Notebooks whose data contract (:mod:`recnb.contract`) fails on the log are skipped (:func:`run_report`).
A failing notebook does not stop the others; the run then returns a non-zero exit code. The runner talks to
the notebooks' kernels through the environment variables of :mod:`recnb.env`.
"""

from __future__ import annotations

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
from .evaluate.names import HEADLINE
from .profile import get_profile

PACKAGES = ("recnb", "torch", "torch_geometric", "numpy", "scipy", "pandas", "pyarrow", "scikit-learn",
            "matplotlib", "seaborn", "papermill", "nbconvert", "ipykernel", "tqdm", "flwr", "opacus", "ray")

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


def record_metrics(prefix: str, results: Mapping[str, Any] | pd.DataFrame,
                   metrics: tuple[str, ...] = HEADLINE) -> dict[str, float]:
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


SEPARATE: dict[str, str] = {"12": "benchmark"}
"""Notebooks a run leaves out unless asked (``--only 12``) or run in their own profile, which runs them alone:
notebook 12 (every user of the S3-Rec benchmark files) is ``make benchmark``, outside ``make reports``."""


def notebooks(folder: Path, only: list[str] | None = None) -> list[Path]:
    """The numbered notebooks of ``folder`` in order, restricted to the prefixes in ``only``."""
    found = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
    if only:
        wanted = {o.strip().zfill(2) for o in only if o.strip()}
        found = [p for p in found if p.name[:2] in wanted]
    return found


def selected(folder: Path, profile: str, only: list[str] | None) -> list[Path]:
    """The notebooks a run of ``profile`` executes: those of ``only`` when given; else, for a :data:`SEPARATE`
    profile its own notebooks alone, for any other every notebook not in :data:`SEPARATE`."""
    found = notebooks(folder, only)
    if only:
        return found
    own = [p for p in found if SEPARATE.get(p.name[:2]) == profile]
    return own or [p for p in found if p.name[:2] not in SEPARATE]


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


def _run_one(nb: Path, out_dir: Path, params: dict[str, Any], kernel: str | None,
             cwd: Path | None = None, threads: int | None = None) -> dict[str, Any]:
    """Execute one notebook into ``out_dir`` (``threads``: torch threads of its kernel, default torch's)."""
    import papermill as pm

    stem = nb.stem
    rec_file = out_dir / ".records" / f"{stem}.jsonl"
    data_log = out_dir / ".records" / f"{stem}.data.jsonl"
    fit_log = out_dir / ".records" / f"{stem}.fits.jsonl"
    rec_file.parent.mkdir(parents=True, exist_ok=True)
    for f in (rec_file, data_log, fit_log):
        f.unlink(missing_ok=True)
    os.environ[env.RECORD_FILE], os.environ[env.DATA_LOG] = str(rec_file), str(data_log)
    os.environ[env.FIT_LOG] = str(fit_log)
    os.environ[env.NO_PROGRESS] = "1"  # progress bars would flood the HTML; the runner shows its own
    old_threads = os.environ.get(env.THREADS)
    if threads is not None:
        os.environ[env.THREADS] = str(threads)
    # the kernel imports the recnb that runs this report (a second checkout or worktree beside an
    # editable install would otherwise run the installed copy's code)
    old_path = os.environ.get("PYTHONPATH")
    code_root = str(Path(__file__).resolve().parents[1])
    os.environ["PYTHONPATH"] = os.pathsep.join([code_root, *([old_path] if old_path else [])])
    executed = out_dir / f"{stem}.ipynb"
    status: dict[str, Any] = {"notebook": stem, "ok": True, "status": "ok", "reason": None, "error": None}
    t0 = time.perf_counter()
    try:
        pm.execute_notebook(str(nb), str(executed), parameters=params, cwd=str(cwd or nb.parent),
                            kernel_name=kernel, progress_bar=False, log_output=False)
    except pm.PapermillExecutionError as err:
        status.update(ok=False, error={"cell": err.exec_count, "cell_index": err.cell_index,
                                       "ename": err.ename, "evalue": err.evalue})
    except Exception as err:  # noqa: BLE001 - a broken notebook file or kernel must not stop the run
        status.update(ok=False, error={"cell": None, "cell_index": None, "ename": type(err).__name__,
                                       "evalue": str(err)})
    finally:
        for var in (env.RECORD_FILE, env.DATA_LOG, env.FIT_LOG, env.NO_PROGRESS):
            os.environ.pop(var, None)
        for var, old in ((env.THREADS, old_threads), ("PYTHONPATH", old_path)):
            if old is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = old
    status["wall_s"] = round(time.perf_counter() - t0, 2)
    if executed.exists():
        try:
            from .site import install_mathjax, notebook_html

            notebook_html(executed, out_dir / f"{stem}.html", install_mathjax(out_dir))
            status["html"] = f"{stem}.html"
        except Exception as err:  # noqa: BLE001
            status.update(ok=False, error=status["error"] or {"cell": None, "ename": type(err).__name__,
                                                              "evalue": f"HTML conversion failed: {err}"})
    if not status["ok"]:
        status.update(status="failed", reason=_failure(status["error"]))
    status["metrics"] = {r["name"]: r["value"] for r in _read_lines(rec_file)}
    status["data"] = {d["dataset"]: d["files"] for d in _read_lines(data_log)}
    status["fits"] = _read_lines(fit_log)
    return status


def _failure(error: dict[str, Any] | None) -> str:
    """A failed notebook's reason in one line: where and what."""
    err = error or {}
    where = f"cell {err['cell']}" if err.get("cell") is not None else "before any cell ran"
    return f"{where}: {err.get('ename')}: {str(err.get('evalue'))[:300]}"


def skipped(nb: Path, out_dir: Path, reason: str) -> dict[str, Any]:
    """The result of a notebook the runner did not start because its data contract fails on this log
    (:mod:`recnb.contract`); pages left by an earlier run into ``out_dir`` are removed, so that no stale report
    stands beside the skip."""
    for suffix in (".ipynb", ".html"):
        (out_dir / f"{nb.stem}{suffix}").unlink(missing_ok=True)
    return {"notebook": nb.stem, "ok": False, "status": "skipped", "reason": reason, "error": None, "wall_s": 0.0,
            "metrics": {}, "data": {}, "fits": []}


def check_contracts(todo: list[Path], dataset: str, data_path: str) -> dict[str, str]:
    """``{notebook stem: reason}`` for each notebook of ``todo`` whose data contract fails on ``dataset``
    (:mod:`recnb.contract`). Raises :class:`~recnb.contract.Refused` when every notebook that reads the prepared
    split would be skipped, and what :func:`recnb.data.load_dataset` raises on a bad log, before anything runs."""
    from .contract import Refused, contract, facts, refusal

    numbers = [nb.name[:2] for nb in todo]
    if not any(contract(n).applies(dataset) for n in numbers):
        return {}
    f = facts(dataset, data_path)
    sentence = refusal(f, dataset, numbers)
    if sentence:
        raise Refused(sentence)
    reasons = {nb.stem: contract(nb.name[:2]).reason(f, dataset) for nb in todo}
    return {stem: r for stem, r in reasons.items() if r}


def fit_summary(fits: list[dict[str, Any]]) -> dict[str, Any]:
    """A notebook's model fits for the manifest (lines of ``RECNB_FIT_LOG``, see
    :func:`recnb.modelcache.log_fit`): ``fit_s`` (seconds spent fitting in this run), ``fits`` (how many
    were fitted) and ``cached_fits`` (served by the model cache), and ``fit_seconds_by_model`` (seconds per
    model class, largest first)."""
    fresh = [f for f in fits if not f.get("cached")]
    by_model: dict[str, float] = {}
    for f in fresh:
        by_model[f["model"]] = by_model.get(f["model"], 0.0) + float(f["seconds"])
    return {"fit_s": round(sum(by_model.values()), 2), "fits": len(fresh), "cached_fits": len(fits) - len(fresh),
            "fit_seconds_by_model": {k: round(v, 2) for k, v in sorted(by_model.items(), key=lambda kv: -kv[1])}}


def _write_site(profile: str, out_dir: Path, results: list[dict[str, Any]], manifest: dict[str, Any],
                metrics: dict[str, dict[str, float]]) -> bool:
    """Write the docs pages and ``index.html`` (see :mod:`recnb.site`); False when the docs failed to render."""
    from .data.fetch import project_root
    from .site import index_html, install_mathjax, write_docs

    mathjax_url = install_mathjax(out_dir)
    problems, docs = [], {}
    try:
        docs = write_docs(project_root() / "docs", out_dir, mathjax_url)
    except Exception as err:  # noqa: BLE001 - the index must still be written after hours of notebooks
        problems.append(f"The docs pages could not be rendered: {type(err).__name__}: {err}")
    page = index_html(profile, out_dir, results, manifest, metrics, docs, mathjax_url, problems)
    (out_dir / "index.html").write_text(page, encoding="utf-8")
    return not problems


SERVES: dict[str, tuple[str, ...]] = {"04": ("09", "10")}
"""Chapters whose fits later ones reuse through the model cache: notebook 04's SASRec is 09's ID-only SASRec,
and its width sweep gives 10's whole-data scaling points where the profile's caps agree. :func:`start_order`
starts each before the first of them, so a shared fit is charged to the chapter that owns it, not to whichever
notebook asked for it first."""


def start_order(names: list[str], previous: dict[str, float]) -> list[int]:
    """Indices of ``names`` (notebook stems ``NN_name``) in the order a pool starts them: longest first by
    ``previous`` (wall seconds of the last run into the same folder), so that the workers finish together
    (Graham's longest-processing-time rule); a notebook without a previous time starts before those with
    one, and among equals the higher number first (the later chapters run longest and take the earlier
    chapters' models from the model cache, whichever fits them first). Then each chapter of :data:`SERVES`
    moves to just before the first of its readers that would start earlier."""
    order = sorted(range(len(names)), key=lambda i: (-previous.get(names[i], float("inf")), -int(names[i][:2])))
    for owner, readers in SERVES.items():
        at = {names[i][:2]: k for k, i in enumerate(order)}
        first = min((at[r] for r in readers if r in at), default=None)
        if owner in at and first is not None and first < at[owner]:
            order.insert(first, order.pop(at[owner]))
    return order


def previous_times(out_dir: Path) -> dict[str, float]:
    """``{notebook: wall seconds}`` from the manifest a previous run left in ``out_dir`` (empty when none)."""
    try:
        return {n["notebook"]: float(n["wall_s"]) for n in json.loads((out_dir / "manifest.json").read_text())
                ["notebooks"] if n.get("wall_s")}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _run_all(sources: list[tuple[Path, Path]], out_dir: Path, params: dict[str, Any], kernel: str | None,
             jobs: int, desc: str) -> list[dict[str, Any]]:
    """Execute ``(notebook to run, its folder)`` pairs, ``jobs`` at a time: with one job in this process in
    number order, with more in a pool of ``jobs`` worker processes started in :func:`start_order`, each
    notebook's kernel with an equal share of the cores (:func:`recnb.env.notebook_threads`); results in the
    input order.

    Notebooks that need the same fitted model or baseline results wait for each other through the caches'
    locks (:mod:`recnb.filelock`), so each is computed once whatever the order."""
    from concurrent.futures import ProcessPoolExecutor, as_completed
    import multiprocessing as mp

    from tqdm.auto import tqdm

    bar = tqdm(total=len(sources), desc=desc, unit="notebook")
    results: list[dict[str, Any] | None] = [None] * len(sources)

    def done(i: int, result: dict[str, Any]) -> None:
        results[i] = result
        bar.update(1)
        bar.set_postfix_str(result["notebook"])
        if not result["ok"]:
            tqdm.write(f"FAILED {result['notebook']}: {result['error']}")

    if jobs == 1:
        for i, (source, folder) in enumerate(sources):
            bar.set_postfix_str(source.stem)
            done(i, _run_one(source, out_dir, params, kernel, cwd=folder))
    else:
        threads = env.notebook_threads(jobs)
        with ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn")) as pool:
            order = start_order([source.stem for source, _ in sources], previous_times(out_dir))
            futures = {pool.submit(_run_one, sources[i][0], out_dir, params, kernel, sources[i][1], threads): i
                       for i in order}
            for fut in as_completed(futures):
                done(futures[fut], fut.result())
    bar.close()
    return [r for r in results if r is not None]


def run_report(profile: str = "full", only: list[str] | None = None, notebooks_dir: str | Path | None = None,
               out_root: str | Path | None = None, dataset: str = "ml-100k", seed: int = 0,
               data_path: str = "", kernel: str | None = None, edition: str = "teacher",
               jobs: int | None = None) -> int:
    """Run the notebooks and write the reports; return 0 when none failed (a notebook whose data contract fails
    on this log is ``skipped``, with the reason, not run: :mod:`recnb.contract`), 1 otherwise. Raises
    :class:`~recnb.contract.Refused` (one sentence) before any notebook starts when the log is too small for
    every notebook asked for, and ``DataValidationError`` when the log is malformed.

    ``edition``: ``teacher`` (solutions executed; ``reports/<profile>/``) or ``student`` (solution cells
    replaced by answer boxes; ``reports/<profile>-student/``), see :mod:`recnb.editions`. ``jobs``:
    notebooks executed at once (:func:`recnb.env.report_jobs`: ``RECNB_JOBS``, else 2 on a machine with two
    or more cores), each with an equal share of the cores; the manifest records both."""
    from . import editions
    from .data.fetch import project_root

    cfg = get_profile(profile)
    root = project_root()
    nb_dir = Path(notebooks_dir) if notebooks_dir else root / "notebooks"
    if edition not in editions.EDITIONS:
        raise ValueError(f"edition {edition!r}: expected one of {', '.join(editions.EDITIONS)}")
    out_dir = (Path(out_root) if out_root else root / "reports") / (
        profile if edition == "teacher" else f"{profile}-{edition}")
    out_dir.mkdir(parents=True, exist_ok=True)
    todo = selected(nb_dir, profile, only)
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
    jobs = env.report_jobs(jobs)
    t0 = time.perf_counter()
    skips = check_contracts(todo, dataset, params["data_path"])
    run = [nb for nb in todo if nb.stem not in skips]
    jobs = max(1, min(jobs, len(run)))
    sources = [(editions.prepare(nb, edition, out_dir / ".edition"), nb.parent) for nb in run]
    ran = {r["notebook"]: r for r in (_run_all(sources, out_dir, params, kernel, jobs, f"reports/{profile}")
                                      if run else [])}
    results = [ran[nb.stem] if nb.stem in ran else skipped(nb, out_dir, skips[nb.stem]) for nb in todo
               if nb.stem in ran or nb.stem in skips]
    metrics_path = out_dir / "metrics.json"
    old = json.loads(metrics_path.read_text()) if only and metrics_path.exists() else {}
    metrics = {**old, **{r["notebook"]: r["metrics"] for r in results}}
    metrics_path.write_text(json.dumps(metrics, indent=1, sort_keys=True))
    data = {dataset: files for r in results for dataset, files in r["data"].items()}
    manifest = {
        "profile": profile, "edition": edition, "settings": cfg.as_dict(), "parameters": params, "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "wall_s": round(time.perf_counter() - t0, 2),
        "git": git,
        "platform": platform.platform(), "cpus": os.cpu_count(), "versions": _versions(),
        "jobs": jobs, "threads_per_notebook": env.notebook_threads(jobs),
        "device": str(env.device()), "malloc_reuse": env.tune_allocator(),
        "data_sha256": data, "command": " ".join(sys.argv),
        "notebooks": [{k: r[k] for k in ("notebook", "status", "reason", "ok", "error", "wall_s")} | {"parameters": params}
                      | fit_summary(r["fits"]) for r in results],
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1, default=str))
    site_ok = _write_site(profile, out_dir, results, manifest, metrics)
    return 0 if site_ok and all(r["status"] != "failed" for r in results) else 1
