"""Command line: ``python -m recnb {data,report,bench} ...`` (``--help`` on each)."""

from __future__ import annotations

import argparse
import os
import sys
import time

from .env import DEVICE_CHOICES
from .profile import PROFILES


def _data(args: argparse.Namespace) -> int:
    from .data import available, load_dataset
    from .data.sources import SOURCES

    if args.action == "list":
        table = available(args.data_path)
        for row in table.itertuples():
            if row.status != "available":
                print(f"{row.dataset:18s} MISSING; get it: {row[4]}")
                continue
            size = ""
            if args.sizes:
                try:
                    s = load_dataset(row.dataset, data_path=args.data_path).summary()
                    size = (f"{s['events']:>11,} events {s['users']:>7,} users {s['items']:>7,} items, "
                            f"time: {s['time']}; ")
                except Exception as err:  # noqa: BLE001 - list every dataset even when one is broken
                    size = f"found but not loadable ({type(err).__name__}: {err}); "
            print(f"{row.dataset:18s} {size}at {row.where}")
        return 0
    if args.action == "fetch":
        src = SOURCES.get(args.name)
        if src is None:
            print(f"unknown dataset {args.name!r}; known: {', '.join(SOURCES)}", file=sys.stderr)
            return 2
        if src.fetch is None:
            print(f"{args.name} cannot be downloaded by recnb: {src.how_to_get}", file=sys.stderr)
            return 2
        if args.origin and args.name != "ml-100k":
            print(f"--from is an option of ml-100k; {args.name} comes from one place: {src.how_to_get}",
                  file=sys.stderr)
            return 2
        t0 = time.perf_counter()
        folder = src.fetch(source=args.origin) if args.origin else src.fetch()
        ds = load_dataset(args.name, data_path=str(folder.parent))
        print(f"{args.name}: files in {folder}, checksums verified: "
              + ", ".join(f"{k} {v[:12]}" for k, v in ds.files.items()))
        s = ds.summary()
        print(f"{s['events']:,} events, {s['users']:,} users, {s['items']:,} items "
              f"({time.perf_counter() - t0:.1f} s)")
        return 0
    if args.action == "prepare":
        from .scale.cli import prepare

        return prepare(args)
    if args.action == "export":
        from .data.export import export_split
        from .data.split import leave_last_out

        ds = load_dataset(args.dataset, data_path=args.data_path, fetch=True)
        split = leave_last_out(ds, target=args.target)
        for f in export_split(split, args.out, args.format):
            print(f)
        return 0
    raise AssertionError(args.action)


def _set_device(args: argparse.Namespace) -> None:
    """Put ``--device`` (when given) into ``RECNB_DEVICE``: this process and the notebook kernels it starts
    read it through :func:`recnb.env.device`. :class:`UsageError` for a device this machine lacks."""
    if getattr(args, "device", None):
        from .env import set_device

        try:
            set_device(args.device)
        except (ValueError, RuntimeError) as err:
            raise UsageError(f"--device {args.device}: {err}") from None


class _Parser(argparse.ArgumentParser):
    """argparse with its errors in one line on stderr (exit code 2), without the usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _one_line(err: BaseException) -> str:
    """A data error as one line: ``file:row:column: problem; expected ...`` for a ``DataValidationError``."""
    from .data.schema import DataValidationError

    if isinstance(err, DataValidationError):
        return err.one_line()
    return f"{type(err).__name__}: {err}" if not isinstance(err, (FileNotFoundError, ValueError)) else str(err)


def _bench(args: argparse.Namespace) -> int:
    import pandas as pd

    if args.scale:
        from .bench.scale import run_scale_bench

        sizes = [int(float(x)) for x in args.scale.split(",")]
        table = run_scale_bench(sizes, args.workdir, args.memory_limit, int(args.eval_cap_mb * 2**20))
        print(table.T.to_string(header=False, float_format=lambda x: f"{x:,.3f}"))
        print("written: reports/bench-scale.json, reports/bench-scale.png")
        return 0
    if args.privacy:
        from .bench.privacy import run_privacy_bench

        table = run_privacy_bench(args.privacy)
        print(table.to_string(index=False, float_format=lambda x: f"{x:.1f}"))
        print("written: reports/bench-privacy.json")
        return 0
    if args.data:
        from .bench.ingest import run_data_bench

        table = run_data_bench(args.events)
        print(table.T.to_string(header=False, float_format=lambda x: f"{x:,.1f}"))
        print("written: reports/bench-data.json")
        return 0
    from .bench.speed import run_bench

    table, goals = run_bench(args.repeats, train_epochs=args.epochs, patience=args.patience, only=args.only,
                             log=lambda line: print(line, file=sys.stderr, flush=True))
    with pd.option_context("display.max_colwidth", 120, "display.width", 250):
        print(table.to_string(index=False, na_rep="", float_format=lambda x: f"{x:.3f}"))
    print("\nspeed goals (pass: within budget, short: over it):")
    for g in goals.itertuples():
        unit = " s" if g.measure == "seconds" else f" x ({g.measure})"
        print(f"{g.status:7s} {g.dataset:8s} {g.task:20s} {g.value:8.3f}{unit} (budget {g.budget:g}; {g.origin})")
    print("written: reports/bench.json")
    return 0


class UsageError(Exception):
    """A command-line argument that cannot work; ``str()`` is the one line printed (exit code 2)."""


def _check_report_args(args: argparse.Namespace) -> None:
    """Every argument of ``report`` checked before anything runs (:class:`UsageError` with one sentence)."""
    from pathlib import Path

    from .data.cache import FILE_SOURCES
    from .data.fetch import project_root
    from .data.sources import SOURCES
    from .report import notebooks

    if args.dataset not in SOURCES and args.dataset not in FILE_SOURCES:
        raise UsageError(f"--dataset {args.dataset!r}: unknown dataset; known: {', '.join([*SOURCES, *FILE_SOURCES])}")
    if args.dataset in FILE_SOURCES:
        files = [p for p in (args.data_path or "").split(os.pathsep) if p]
        if not files:
            raise UsageError(f"--dataset {args.dataset} reads your own log: give --data-path naming the file")
        if not any(Path(p).expanduser().is_file() for p in files):
            raise UsageError(f"--data-path {args.data_path!r}: no such file (--dataset {args.dataset} reads one file)")
    nb_dir = Path(args.notebooks) if args.notebooks else project_root() / "notebooks"
    have = [p.name[:2] for p in notebooks(nb_dir)]
    if not have:
        raise UsageError(f"--notebooks {str(nb_dir)!r}: no notebooks NN_*.ipynb there")
    if args.only:
        asked = [o.strip() for o in args.only.split(",") if o.strip()]
        bad = [o for o in asked if not o.isdigit() or o.zfill(2) not in have]
        if bad or not asked:
            raise UsageError(f"--only {args.only!r}: {', '.join(bad) or 'no number'} names no notebook; "
                             f"expected comma-separated numbers among {', '.join(have)}")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs}: expected a whole number of notebooks run at once, at least 1")
    try:
        from .env import report_jobs

        report_jobs(args.jobs)
    except ValueError as err:
        raise UsageError(str(err)) from None


def _report(args: argparse.Namespace) -> int:
    from .report import run_report

    _check_report_args(args)
    only = args.only.split(",") if args.only else None
    return run_report(args.profile, only=only, dataset=args.dataset, seed=args.seed, data_path=args.data_path,
                      notebooks_dir=args.notebooks, out_root=args.out, edition=args.edition, jobs=args.jobs)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m recnb`` and the ``recnb`` script."""
    p = _Parser(prog="recnb", description=__doc__)
    p.add_argument("--debug", action="store_true", help="on an error, print the Python traceback too")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    d = sub.add_parser("data", help="list or fetch datasets")
    dsub = d.add_subparsers(dest="action", required=True)
    lst = dsub.add_parser("list", help="which datasets are available, and how to get the missing ones")
    lst.add_argument("--data-path", default=None, help="extra folders to search (os.pathsep-separated)")
    lst.add_argument("--no-sizes", dest="sizes", action="store_false",
                     help="do not load the datasets found to count their events, users and items")
    f = dsub.add_parser("fetch", help="download a dataset and verify its checksums")
    f.add_argument("name")
    f.add_argument("--from", dest="origin", choices=["pypi", "grouplens"], default=None,
                   help="ml-100k: the PyPI wheel recbole==1.2.1 (default) or the official GroupLens zip")
    e = dsub.add_parser("export", help="write a dataset's leave-last-out split (parquet or RecBole atomic files)")
    e.add_argument("--dataset", default="ml-100k")
    e.add_argument("--format", choices=["parquet", "recbole"], default="parquet")
    e.add_argument("--target", default=None, help="target event type, e.g. purchase (default: all events)")
    e.add_argument("--data-path", default=None)
    e.add_argument("--out", required=True)
    from .scale.cli import add_prepare_parser, add_train_parser

    add_prepare_parser(dsub)
    add_train_parser(sub)
    b = sub.add_parser("bench", help="time evaluation and model fits, check the speed goals; writes reports/bench.json")
    b.add_argument("--repeats", type=int, default=3)
    b.add_argument("--device", choices=DEVICE_CHOICES, default=None,
                   help="where models train and evaluate (default: $RECNB_DEVICE, else auto = cuda when available)")
    b.add_argument("--epochs", type=int, default=None,
                   help="epoch cap of the GRU/SASRec/LightGCN training runs on ML-100K (default: 100 on cuda, 5 on cpu)")
    b.add_argument("--patience", type=int, default=10, help="early-stopping patience of those runs")
    b.add_argument("--only", choices=["ml-100k", "sim-1M"], default=None, help="bench one dataset only")
    b.add_argument("--data", action="store_true",
                   help="instead: time and peak memory of loading a simulated canonical CSV (writes reports/bench-data.json)")
    b.add_argument("--privacy", choices=["smoke", "quick", "full"], default=None,
                   help="instead: time notebook 11's Flower, Opacus and attack sections at this profile and check "
                   "issue 20's goal in quick (writes reports/bench-privacy.json)")
    b.add_argument("--events", type=int, default=10_000_000, help="--data: events in the CSV (default 10 million)")
    b.add_argument("--scale", default=None, help="instead: comma-separated event counts, e.g. 1e6,1e7: simulated "
                   "Parquet chunks prepared with DuckDB, evaluated and trained (writes reports/bench-scale.json)")
    b.add_argument("--workdir", default="data/scale", help="--scale: folder for the chunks (removed after each size)")
    b.add_argument("--memory-limit", default="6GB", help="--scale: DuckDB memory_limit")
    b.add_argument("--eval-cap-mb", type=float, default=1024, help="--scale: memory cap of one evaluation batch")
    r = sub.add_parser("report", help="run the notebooks with Papermill and write HTML reports")
    r.add_argument("--profile", default="full", choices=list(PROFILES), help="settings: see recnb/profile.py")
    r.add_argument("--only", default=None, help="comma-separated notebook numbers, e.g. 01,03")
    r.add_argument("--dataset", default="ml-100k",
                   help="a dataset of `data list`, or canonical with --data-path naming your CSV/TSV/Parquet file")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--data-path", default="",
                   help="extra data folders passed to the notebooks, or (with --dataset canonical) your log file")
    r.add_argument("--notebooks", default=None, help="notebook folder (default: notebooks/)")
    r.add_argument("--out", default=None, help="report root (default: reports/)")
    r.add_argument("--edition", default="teacher", choices=["teacher", "student"],
                   help="teacher: exercises with their solutions executed (reports/PROFILE/); student: solutions "
                        "replaced by answer boxes (reports/PROFILE-student/)")
    r.add_argument("--jobs", type=int, default=None,
                   help="notebooks run at once, each with an equal share of the cores (default: $RECNB_JOBS, "
                        "else 2 on a machine with two or more cores)")
    r.add_argument("--device", choices=DEVICE_CHOICES, default=None,
                   help="where models train and evaluate, passed to the notebooks as $RECNB_DEVICE "
                        "(default: $RECNB_DEVICE, else auto = cuda when available)")
    r.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="on an error, print the Python traceback too")
    args = p.parse_args(argv)
    try:
        _set_device(args)
        return _dispatch(args)
    except UsageError as err:
        print(f"recnb {args.command}: error: {err}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError, KeyError) as err:  # a data error (DataValidationError is a ValueError)
        from .data.schema import DataValidationError
        from .contract import Refused

        if args.debug:
            raise
        if not isinstance(err, (DataValidationError, Refused)) and args.command != "report":
            raise  # a bug of another command keeps its traceback
        print(f"recnb {args.command}: {_one_line(err)}", file=sys.stderr)
        return 1


def _dispatch(args: argparse.Namespace) -> int:
    """Run the command ``args`` names."""
    if args.command == "data":
        return _data(args)
    if args.command == "bench":
        return _bench(args)
    if args.command == "train":
        from .scale.distributed import main_train

        return main_train(args)
    return _report(args)


if __name__ == "__main__":
    sys.exit(main())
