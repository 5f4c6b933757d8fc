"""Data commands: make the prepared datasets and their split files."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rsrepro.cli import json_object
from rsrepro.io import write_json


def add_commands(subparsers: Any) -> None:
    synth = subparsers.add_parser("prepare-synthetic", help="generate the embedded synthetic dataset")
    synth.add_argument("--out", type=Path, required=True, help="prepared dataset directory to write")
    synth.add_argument("--contact-sheet", type=Path, required=True, help="PNG with one sample per class")
    synth.add_argument("--params", type=json_object, required=True, help="data.synthetic as JSON")
    synth.add_argument("--threads", type=int, default=1, help="processes drawing the images")
    synth.set_defaults(handler=_prepare_synthetic)

    own = subparsers.add_parser("prepare-own", help="convert your own dataset (data.<name>: layout, path)")
    own.add_argument("name", help="the dataset's name in params.yaml's data section")
    own.add_argument("--out", type=Path, required=True, help="prepared dataset directory to write")
    own.add_argument("--params", type=json_object, required=True, help="data.<name> as JSON")
    own.set_defaults(handler=_prepare_own)

    split = subparsers.add_parser("split", help="write one split file of a prepared dataset")
    split.add_argument("protocol", choices=["classification", "retrieval", "zero-shot"])
    split.add_argument("--prepared", type=Path, required=True, help="prepared dataset directory")
    split.add_argument("--out", type=Path, required=True, help="split JSON to write")
    split.add_argument("--seed", type=int, required=True)
    split.add_argument("--ratio", type=float, help="classification: train ratio")
    split.add_argument("--val-fraction", type=float, help="retrieval: share of official train used as val")
    split.add_argument("--split", help="zero-shot: paper split seen/unseen, e.g. 60/10")
    split.add_argument("--seen-test-fraction", type=float, help="zero-shot: seen images held out for GZSL")
    split.add_argument(
        "--classes",
        type=json_object,
        default={},
        help='zero-shot: seen/unseen classes listed by name, {"unseen": [...], "seen": [...]} ({}: drawn)',
    )
    split.set_defaults(handler=_split)


def _prepare_synthetic(args: argparse.Namespace) -> None:
    from rsrepro.data.synthetic import prepare_synthetic

    prepare_synthetic(
        args.out, contact_sheet_path=args.contact_sheet, progress=True, workers=args.threads, **args.params
    )


def _prepare_own(args: argparse.Namespace) -> None:
    from rsrepro.data.own import prepare_own

    prepare_own(args.name, args.params, args.out)


def _split(args: argparse.Namespace) -> None:
    from rsrepro.data import splits
    from rsrepro.data.prepared import PreparedDataset

    data = PreparedDataset.load(args.prepared)
    if args.protocol == "classification":
        result = splits.classification_split(data.class_idx, args.ratio, args.seed, data.classes)
    elif args.protocol == "retrieval":
        result = splits.retrieval_split(data.meta["official_split"], args.val_fraction, args.seed)
    else:
        seen, unseen = (int(n) for n in args.split.split("/"))
        predefined = data.zero_shot_splits.get(args.split) if data.has("zero_shot_splits") else None
        where = f"data.{data.name}.zero_shot_splits[{args.split!r}]"
        listed = (
            splits.listed_classes(data.classes, args.classes, args.split, where) if args.classes else None
        )
        result = splits.zero_shot_split(
            data.class_idx,
            seen,
            unseen,
            args.seed,
            args.seen_test_fraction,
            predefined=predefined,
            listed=listed,
            classes=data.classes,
        )
    write_json(args.out, {"dataset": data.name, **result})
