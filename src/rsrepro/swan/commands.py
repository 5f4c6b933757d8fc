"""SWAN commands called by workflow/rules/swan.smk: vocabulary, training, evaluation, aggregation."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rsrepro.cli import json_object, use_threads
from rsrepro.swan import VARIANTS
from rsrepro.training.run import RunOutputs


def add_commands(subparsers: Any) -> None:
    vocab = subparsers.add_parser("swan-vocab", help="build SWAN's vocabulary from a dataset's captions")
    vocab.add_argument("--prepared", type=Path, required=True)
    vocab.add_argument("--out", type=Path, required=True, help="vocab.json to write")
    vocab.add_argument("--params", type=json_object, required=True, help="swan.vocab as JSON")
    vocab.set_defaults(handler=_vocab)

    glove = subparsers.add_parser("glove-subset", help="GloVe vectors of one vocabulary (streams the zip)")
    glove.add_argument("--archive", type=Path, required=True, help="glove.840B.300d.zip")
    glove.add_argument("--vocab", type=Path, required=True, help="JSON list of words or {word2idx: ...}")
    glove.add_argument("--out", type=Path, required=True, help=".npz with words, vectors, found")
    glove.set_defaults(handler=_glove_subset)

    train = subparsers.add_parser("swan-train", help="train one SWAN run (resuming from its checkpoints)")
    train.add_argument("--prepared", type=Path, required=True)
    train.add_argument("--split", type=Path, required=True, help="retrieval split JSON")
    train.add_argument("--vocab", type=Path, required=True)
    RunOutputs.add_arguments(train)
    train.add_argument("--variant", choices=VARIANTS, required=True)
    train.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    train.add_argument("--params", type=json_object, required=True, help="{model, train} as JSON")
    train.add_argument("--vectors", type=Path, help="extracted word vectors (word_vectors: glove)")
    train.set_defaults(handler=_train)

    evaluate = subparsers.add_parser("swan-evaluate", help="a run's test metrics from its test embeddings")
    evaluate.add_argument("--test-outputs", type=Path, required=True, help="the run's test_outputs.npz")
    evaluate.add_argument("--history", type=Path, required=True, help="the run's history.json")
    evaluate.add_argument("--out", type=Path, required=True, help="metrics.json to write")
    evaluate.set_defaults(handler=_evaluate)

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
    from rsrepro.swan.train import train_run
    from rsrepro.training.distributed import init_from_env

    use_threads(args.threads)
    context = init_from_env(args.params["train"]["device"])  # torchrun's ranks (launch --gpus 2+)
    outputs = RunOutputs.from_args(args)
    train_run(
        args.prepared, args.split, args.vocab, outputs, args.params, args.variant, args.vectors, context
    )


def _evaluate(args: argparse.Namespace) -> None:
    from rsrepro.swan.evaluate import evaluate_run

    evaluate_run(args.test_outputs, args.history, args.out)


def _aggregate(args: argparse.Namespace) -> None:
    from rsrepro.swan.aggregate import aggregate_runs

    aggregate_runs(args.metrics, args.out)


def _glove_subset(args: argparse.Namespace) -> None:
    import numpy as np

    from rsrepro.io import atomic_path
    from rsrepro.pretrained.glove import glove_subset, read_vocabulary

    words = read_vocabulary(args.vocab)
    vectors, found = glove_subset(args.archive, words)
    with atomic_path(args.out, ".npz") as tmp, open(tmp, "wb") as f:
        np.savez(f, words=np.asarray(words), vectors=vectors, found=found)
    print(f"GloVe covers {found.sum()} of {sum(1 for w in words if w)} words")
