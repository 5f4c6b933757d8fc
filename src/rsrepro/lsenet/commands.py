"""LSE-Net commands: train one run, evaluate it, aggregate a dataset's runs, its per-class plot data."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rsrepro.cli import json_object
from rsrepro.lsenet import VARIANTS
from rsrepro.training.run import RunOutputs


def add_commands(subparsers: Any) -> None:
    train = subparsers.add_parser("lsenet-train", help="train one LSE-Net run (resumable)")
    train.add_argument("--prepared", type=Path, required=True, help="prepared dataset directory")
    train.add_argument("--split", type=Path, required=True, help="classification split JSON")
    RunOutputs.add_arguments(train)
    train.add_argument("--variant", choices=VARIANTS, required=True)
    train.add_argument("--params", type=json_object, required=True, help='{"model": .., "train": ..}')
    train.set_defaults(handler=_train)

    evaluate = subparsers.add_parser("lsenet-evaluate", help="metrics.json of a run from its test logits")
    evaluate.add_argument("--test-outputs", type=Path, required=True, help="the run's test_outputs.npz")
    evaluate.add_argument("--history", type=Path, required=True, help="the run's history.json")
    evaluate.add_argument("--out", type=Path, required=True, help="metrics.json to write")
    evaluate.set_defaults(handler=_evaluate)

    agg = subparsers.add_parser("lsenet-aggregate", help="mean/std of OA over split seeds")
    agg.add_argument("--metrics", type=Path, nargs="+", required=True, help="per-run metrics.json files")
    agg.add_argument("--out", type=Path, required=True, help="summary JSON to write")
    agg.set_defaults(handler=_aggregate)

    per_class = subparsers.add_parser(
        "lsenet-per-class", help="per-class accuracy of a summary as CSV for DVC"
    )
    per_class.add_argument("--summary", type=Path, required=True, help="the dataset's summary.json")
    per_class.add_argument("--out", type=Path, required=True, help="CSV to write")
    per_class.set_defaults(handler=_per_class)


def _train(args: argparse.Namespace) -> None:
    from rsrepro.lsenet.train import train_run
    from rsrepro.training.distributed import init_from_env

    context = init_from_env(args.params["train"]["device"])  # torchrun's ranks (launch --gpus 2+)
    train_run(args.prepared, args.split, RunOutputs.from_args(args), args.params, args.variant, context)


def _evaluate(args: argparse.Namespace) -> None:
    from rsrepro.lsenet.evaluate import evaluate_run

    evaluate_run(args.test_outputs, args.history, args.out)


def _aggregate(args: argparse.Namespace) -> None:
    from rsrepro.lsenet.evaluate import aggregate

    aggregate(args.metrics, args.out)


def _per_class(args: argparse.Namespace) -> None:
    from rsrepro.lsenet.evaluate import per_class_rows
    from rsrepro.reports.plot_data import write_csv

    write_csv(args.out, per_class_rows(args.summary))
