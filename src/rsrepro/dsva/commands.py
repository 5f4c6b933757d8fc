"""DSVA commands: collect class attributes, train a stage, summarise a run, aggregate the runs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rsrepro.cli import json_object, use_threads
from rsrepro.dsva import SETTINGS, STAGES, VARIANTS
from rsrepro.io import read_json, write_json
from rsrepro.training.run import RunOutputs


def add_commands(subparsers: Any) -> None:
    collect = _torch_command(
        subparsers,
        "dsva-collect-attributes",
        "score images against attribute prompts",
        "dsva.collection with image_text's encoder settings",
        _collect,
    )
    collect.add_argument("--split", type=Path, required=True, help="zero-shot split JSON")
    collect.add_argument("--image-text", type=Path, help="embedded: the trained image-text model directory")

    train = _torch_command(
        subparsers, "dsva-train", "train one DSVA stage (full or select)", "dsva.train", _train, out=False
    )
    RunOutputs.add_arguments(train)
    train.add_argument("--split", type=Path, required=True)
    train.add_argument("--attributes", type=Path, required=True, help="collection directory")
    train.add_argument("--setting", choices=SETTINGS, required=True)
    train.add_argument("--stage", choices=STAGES, required=True)
    train.add_argument("--variant", choices=VARIANTS, required=True)

    summary = subparsers.add_parser(
        "dsva-summarize", help="ZSL and GZSL metrics of one split and variant under the three protocols"
    )
    for setting in SETTINGS:
        for stage in STAGES:
            summary.add_argument(
                f"--{setting}-{stage}",
                type=Path,
                nargs=2,
                required=True,
                metavar=("HISTORY", "TEST_OUTPUTS"),
                help=f"history.json and test_outputs.npz of the {setting} setting's {stage} stage",
            )
    summary.add_argument("--out", type=Path, required=True, help="metrics.json to write")
    summary.set_defaults(handler=_summarize)

    agg = subparsers.add_parser("dsva-aggregate", help="collect run metrics into one table")
    agg.add_argument("--metrics", type=Path, nargs="+", required=True)
    agg.add_argument("--out", type=Path, required=True)
    agg.set_defaults(handler=_aggregate)


def _torch_command(
    subparsers: Any, name: str, help_text: str, params_key: str, handler: Any, out: bool = True
) -> Any:
    """A command reading a prepared dataset, configured by one params section (writing ``--out``)."""
    parser = subparsers.add_parser(name, help=help_text)
    parser.add_argument("--prepared", type=Path, required=True, help="prepared dataset directory")
    if out:
        parser.add_argument("--out", type=Path, required=True, help="directory to write")
    parser.add_argument("--params", type=json_object, required=True, help=f"{params_key} as JSON")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (the rule's threads)")
    parser.set_defaults(handler=handler)
    return parser


def _seed(split: dict[str, Any], cfg: dict[str, Any]) -> int:
    return int(split["seed"]) + int(cfg["seed"])


def _collect(args: argparse.Namespace) -> None:
    from rsrepro.data.prepared import PreparedDataset
    from rsrepro.dsva.attributes import collect
    from rsrepro.training.device import pick_device

    use_threads(args.threads)

    split = read_json(args.split)
    collect(
        PreparedDataset.load(args.prepared),
        split,
        args.params,
        args.image_text,
        args.out,
        pick_device(args.params["device"]),
        _seed(split, args.params),
    )


def _train(args: argparse.Namespace) -> None:
    from rsrepro.data.prepared import PreparedDataset
    from rsrepro.dsva.train import train
    from rsrepro.training.device import pick_device
    from rsrepro.training.distributed import init_from_env

    use_threads(args.threads)
    context = init_from_env(args.params["device"])  # torchrun's ranks (launch --gpus 2+)

    split = read_json(args.split)
    cfg = {**args.params, "faithful": args.variant == "faithful"}
    train(
        PreparedDataset.load(args.prepared),
        split,
        args.attributes,
        cfg,
        args.setting,
        args.stage,
        RunOutputs.from_args(args),
        pick_device(cfg["device"]),
        _seed(split, cfg),
        context,
    )


def _summarize(args: argparse.Namespace) -> None:
    from rsrepro.dsva.summary import summarize_runs

    runs = {setting: {stage: getattr(args, f"{setting}_{stage}") for stage in STAGES} for setting in SETTINGS}
    write_json(args.out, summarize_runs(runs))


def _aggregate(args: argparse.Namespace) -> None:
    from rsrepro.dsva.summary import aggregate
    from rsrepro.dsva.targets import run_key

    write_json(args.out, aggregate([{"key": run_key(p), "metrics": read_json(p)} for p in args.metrics]))
