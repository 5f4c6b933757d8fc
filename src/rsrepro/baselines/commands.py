"""Baseline commands: the image-text model's zero-shot classification (DSVA) and retrieval (SWAN), its
image features and a linear probe on them (LSE-Net)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rsrepro.cli import json_object, use_threads


def add_commands(subparsers: Any) -> None:
    def command(name: str, help_text: str, handler: Any, model: bool = True) -> argparse.ArgumentParser:
        parser = subparsers.add_parser(name, help=help_text)
        parser.add_argument("--prepared", type=Path, required=True, help="prepared dataset directory")
        parser.add_argument("--params", type=json_object, required=True, help="the baseline's settings")
        if model:
            parser.add_argument("--image-text", type=Path, help="embedded: the image-text model directory")
            parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
        parser.set_defaults(handler=handler)
        return parser

    trained_on = {"type": Path, "nargs": "*", "default": [], "help": "what the model trained on (lists)"}
    zero_shot = command("baseline-zero-shot", "zero-shot ZSL / GZSL with class-name prompts", _zero_shot)
    zero_shot.add_argument("--split", type=Path, required=True, help="zero-shot split JSON")
    zero_shot.add_argument("--held-out", type=int, required=True, help="seen classes that calibrate gamma")
    zero_shot.add_argument("--trained-on", **trained_on)
    zero_shot.add_argument("--out", type=Path, required=True, help="metrics.json to write")
    zero_shot.add_argument("--scores", type=Path, required=True, help="test_outputs.npz to write")

    retrieval = command("baseline-retrieval", "zero-shot image-text retrieval on the test split", _retrieval)
    retrieval.add_argument("--split", type=Path, required=True, help="retrieval split JSON")
    retrieval.add_argument("--trained-on", **trained_on)
    retrieval.add_argument("--out", type=Path, required=True, help="metrics.json to write")
    retrieval.add_argument("--embeddings", type=Path, required=True, help="test_outputs.npz to write")

    features = command("baseline-features", "the image-text model's image features of a dataset", _features)
    features.add_argument("--out", type=Path, required=True, help=".npz to write")

    probe = command(
        "baseline-linear-probe", "a linear probe on image features, one split", _probe, model=False
    )
    probe.add_argument("--features", type=Path, required=True, help="baseline-features' .npz")
    probe.add_argument("--split", type=Path, required=True, help="classification split JSON")
    probe.add_argument("--trained-on", **trained_on)
    probe.add_argument("--out", type=Path, required=True, help="metrics.json to write")
    probe.add_argument("--logits", type=Path, required=True, help="test_outputs.npz to write")


def _zero_shot(args: argparse.Namespace) -> None:
    from rsrepro.baselines.zero_shot import zero_shot_baseline
    from rsrepro.data.prepared import PreparedDataset
    from rsrepro.io import read_json
    from rsrepro.training.device import pick_device

    use_threads(args.threads)
    data, split = PreparedDataset.load(args.prepared), read_json(args.split)
    device = pick_device(args.params["device"])
    zero_shot_baseline(
        data,
        split,
        args.params,
        args.image_text,
        args.trained_on,
        args.held_out,
        args.out,
        args.scores,
        device,
    )


def _retrieval(args: argparse.Namespace) -> None:
    from rsrepro.baselines.retrieval import retrieval_baseline
    from rsrepro.data.prepared import PreparedDataset
    from rsrepro.training.device import pick_device

    use_threads(args.threads)
    data, device = PreparedDataset.load(args.prepared), pick_device(args.params["device"])
    retrieval_baseline(
        data, args.split, args.params, args.image_text, args.trained_on, args.out, args.embeddings, device
    )


def _features(args: argparse.Namespace) -> None:
    from rsrepro.baselines.linear_probe import image_features
    from rsrepro.data.prepared import PreparedDataset
    from rsrepro.training.device import pick_device

    use_threads(args.threads)
    data = PreparedDataset.load(args.prepared)
    image_features(data, args.params, args.image_text, args.out, pick_device(args.params["device"]))


def _probe(args: argparse.Namespace) -> None:
    from rsrepro.baselines.linear_probe import linear_probe
    from rsrepro.data.prepared import PreparedDataset

    linear_probe(
        PreparedDataset.load(args.prepared),
        args.features,
        args.split,
        args.trained_on,
        args.params,
        args.out,
        args.logits,
    )
