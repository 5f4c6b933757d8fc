"""SWAN commands called by workflow/rules/swan.smk: vocabulary, training, evaluation, aggregation."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rsrepro.cli import json_object, use_threads


def add_commands(subparsers: Any) -> None:
    vocab = subparsers.add_parser("swan-vocab", help="build SWAN's vocabulary from a dataset's captions")
    vocab.add_argument("--prepared", type=Path, required=True)
    vocab.add_argument("--out", type=Path, required=True, help="vocab.json to write")
    vocab.add_argument("--params", type=json_object, required=True, help="swan.vocab as JSON")
    vocab.set_defaults(handler=_vocab)

    for name, handler, what in (
        ("swan-train", _train, "train one SWAN run (resuming from its checkpoints), then evaluate it once"),
        ("swan-evaluate", _evaluate, "evaluate a trained SWAN checkpoint (model.pt) on the test split"),
    ):
        cmd = subparsers.add_parser(name, help=what)
        cmd.add_argument("--prepared", type=Path, required=True)
        cmd.add_argument("--split", type=Path, required=True, help="retrieval split JSON")
        cmd.add_argument("--vocab", type=Path, required=True)
        cmd.add_argument("--out-dir", type=Path, required=True)
        cmd.add_argument("--variant", choices=["faithful", "corrected"], required=True)
        cmd.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
        cmd.add_argument("--params", type=json_object, required=True, help="{model, train} as JSON")
        if name == "swan-train":
            cmd.add_argument("--vectors", type=Path, help="extracted word vectors (word_vectors: glove)")
        else:
            cmd.add_argument("--weights", type=Path, required=True, help="model.pt of the run")
        cmd.set_defaults(handler=handler)

    agg = subparsers.add_parser("swan-aggregate", help="mean and std of the test metrics over runs")
    agg.add_argument("--out", type=Path, required=True)
    agg.add_argument("metrics", type=Path, nargs="+")
    agg.set_defaults(handler=_aggregate)


def _vocab(args: argparse.Namespace) -> None:
    from rsrepro.data.prepared import PreparedDataset
    from rsrepro.swan.text import build_vocabulary, vocabulary_captions

    data = PreparedDataset.load(args.prepared)
    captions = vocabulary_captions(data.captions, data.meta["official_split"], args.params["source"])
    build_vocabulary(captions, args.params["min_count"]).save(args.out)


def _train(args: argparse.Namespace) -> None:
    from rsrepro.swan.train import evaluate_run, train_run
    from rsrepro.training.distributed import init_from_env

    use_threads(args.threads)
    context = init_from_env()  # several processes under torchrun (rsrepro launch --gpus 2+)
    train_run(
        args.prepared, args.split, args.vocab, args.out_dir, args.params, args.variant, args.vectors, context
    )
    if not context.is_main:
        return
    # the best-validation checkpoint, evaluated once on the test split (in this job: one torch start-up)
    weights = args.out_dir / "model.pt"
    evaluate_run(args.prepared, args.split, args.vocab, weights, args.out_dir, args.params, args.variant)


def _evaluate(args: argparse.Namespace) -> None:
    from rsrepro.swan.train import evaluate_run

    use_threads(args.threads)
    evaluate_run(args.prepared, args.split, args.vocab, args.weights, args.out_dir, args.params, args.variant)


def _aggregate(args: argparse.Namespace) -> None:
    from rsrepro.swan.aggregate import aggregate_runs

    aggregate_runs(args.metrics, args.out)
