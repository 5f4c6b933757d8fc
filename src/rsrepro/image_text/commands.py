"""The image-text stage's command: train the embedded image-text model for the zero-shot splits it serves."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rsrepro.cli import json_object, use_threads
from rsrepro.io import read_json


def add_commands(subparsers: Any) -> None:
    train = subparsers.add_parser(
        "image-text-train", help="train the embedded image-text model on the splits' seen training images"
    )
    train.add_argument("--prepared", type=Path, required=True, help="prepared dataset directory")
    train.add_argument(
        "--splits", type=Path, nargs="+", required=True, help="zero-shot split JSONs it serves"
    )
    train.add_argument("--out", type=Path, required=True, help="directory to write")
    train.add_argument("--params", type=json_object, required=True, help="image_text's training settings")
    train.add_argument("--threads", type=int, default=1, help="torch CPU threads (the rule's threads)")
    train.set_defaults(handler=_train)


def _train(args: argparse.Namespace) -> None:
    from rsrepro.data.prepared import PreparedDataset
    from rsrepro.image_text.model import fit_image_text
    from rsrepro.training.device import pick_device

    use_threads(args.threads)
    splits = [read_json(p) for p in args.splits]
    fit_image_text(
        PreparedDataset.load(args.prepared),
        splits,
        args.params,
        args.out,
        pick_device(args.params["device"]),
        int(splits[0]["seed"]) + int(args.params["seed"]),  # the splits share one split seed
    )
