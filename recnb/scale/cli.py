"""Argument parsers and entry of ``python -m recnb data prepare`` (and the parser of ``train``), kept here so
that :mod:`recnb.__main__` only wires them in."""

from __future__ import annotations

import argparse

import pandas as pd


def add_prepare_parser(dsub: argparse._SubParsersAction) -> None:
    """``data prepare``: clean, k-core and split a log into the prepared Parquet layout."""
    p = dsub.add_parser("prepare", help="clean, k-core and split a log (in memory with pandas, or out of core "
                        "with DuckDB) into Parquet files (recnb/scale/prepared.py)")
    p.add_argument("--engine", choices=["duckdb", "pandas"], default="duckdb")
    p.add_argument("--dataset", default="canonical",
                   help="pandas: any dataset of `data list`; duckdb: canonical (CSV/TSV/Parquet or a glob of "
                        "Parquet chunks) or taobao (the original UserBehavior.csv layout, no header)")
    p.add_argument("--path", default=None, help="the log file (canonical, or the Taobao CSV with --dataset taobao)")
    p.add_argument("--data-path", default=None, help="pandas engine: extra data folders")
    p.add_argument("--user-k", type=int, default=0, help="k-core: users with at least this many distinct items")
    p.add_argument("--item-k", type=int, default=0, help="k-core: items with at least this many distinct users")
    p.add_argument("--target", default=None, help="target event type (default: every type present)")
    p.add_argument("--memory-limit", default="6GB", help="duckdb: memory_limit (spills to disk above it)")
    p.add_argument("--out", required=True)


def prepare(args: argparse.Namespace) -> int:
    """Run ``data prepare`` and print the ledger and the split's size."""
    from .duckdb_prep import prepare_duckdb, prepare_pandas

    if args.engine == "duckdb":
        if not args.path:
            raise SystemExit("data prepare --engine duckdb needs --path (the log file or a glob of Parquet files)")
        res = prepare_duckdb(args.path, args.out, layout=args.dataset, user_k=args.user_k, item_k=args.item_k,
                             target=args.target, memory_limit=args.memory_limit)
    else:
        res = prepare_pandas(args.dataset, args.out, path=args.path, data_path=args.data_path, user_k=args.user_k,
                             item_k=args.item_k, target=args.target)
    print(pd.read_csv(f"{args.out}/ledger.csv").to_string(index=False))
    print(f"{args.engine}: {res['rows']:,} events, {res['users']:,} users, {res['items']:,} items "
          f"written to {args.out} ({res['seconds']:.1f} s)")
    return 0


def add_train_parser(sub: argparse._SubParsersAction) -> None:
    """``train``: one model on one split, data-parallel under ``torchrun`` (recnb/scale/distributed.py)."""
    t = sub.add_parser(
        "train", help="train a sequence model or LightGCN, data-parallel (DDP) when started by torchrun "
        "(torchrun --nproc-per-node 2 -m recnb train ...)",
        description="Train one model on one split. Under torchrun every process holds a full replica of the "
        "model and the split and trains on its share of the batches: the users' sequences (rnn, gru, lstm, "
        "sasrec), or for LightGCN the users with train items (--loss ce) or the train interactions, the BPR "
        "triples (--loss bpr); LightGCN propagates over the full graph in every process. DDP averages the "
        "gradients. Example: torchrun --nproc-per-node 2 -m recnb train --model lightgcn --loss bpr "
        "--dataset ml-100k (docs/scale.md).")
    t.add_argument("--model", default="gru", choices=["rnn", "gru", "lstm", "sasrec", "lightgcn"])
    t.add_argument("--dataset", default="ml-100k", help="a dataset of `data list` (split leave-last-out)")
    t.add_argument("--prepared", default=None, help="instead: a folder written by `data prepare`")
    t.add_argument("--data-path", default=None)
    t.add_argument("--target", default=None)
    t.add_argument("--epochs", type=int, default=30)
    t.add_argument("--patience", type=int, default=10)
    t.add_argument("--dim", type=int, default=64)
    t.add_argument("--lr", type=float, default=None, help="Adam step size (default: the model's)")
    t.add_argument("--batch-size", type=int, default=None,
                   help="global batch, split over the processes: sequences (default 128) or, for LightGCN "
                   "--loss bpr, BPR triples (default 4096)")
    t.add_argument("--loss", default="ce", choices=["ce", "bpr"],
                   help="LightGCN: full-softmax cross-entropy over user batches (ce) or BPR over triples (bpr)")
    t.add_argument("--user-batch", type=int, default=None,
                   help="LightGCN --loss ce: global batch of users, split over the processes "
                   "(default: GraphRecommender's user_batch)")
    t.add_argument("--layers", type=int, default=2, help="LightGCN: propagation layers")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--backend", default="gloo", help="torch.distributed backend: gloo (CPU, default) or nccl "
                   "(one GPU per process: LOCAL_RANK's)")
    t.add_argument("--save", default=None, help="rank 0 writes the trained state_dict here")
