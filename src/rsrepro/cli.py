"""The `rsrepro` command: one sub-command per workflow step (the Snakemake rules call these).

Each command module exposes ``add_commands(subparsers)`` and keeps heavy imports (torch) inside the
handlers, so `rsrepro --help` stays fast. A handler receives the parsed arguments; settings arrive as a
JSON object in ``--params`` (the rule's slice of params.yaml), paths as explicit options.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

from rsrepro.errors import RsreproError

COMMAND_MODULES = (
    "rsrepro.data.commands",
    "rsrepro.data.sources.commands",
    "rsrepro.dsva.commands",
    "rsrepro.reports.commands",
    "rsrepro.lsenet.commands",
    "rsrepro.swan.commands",
    "rsrepro.training.commands",
)


def json_object(text: str) -> dict[str, Any]:
    """argparse type for ``--params``: a JSON object."""
    value = json.loads(text)
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"--params must be a JSON object, got {text!r}")
    return value


def use_threads(threads: int) -> None:
    """Give torch the job's CPU threads (0 keeps torch's default). One thread per Snakemake thread: jobs
    that each take every core stall each other badly on a small machine. torch is imported here, not at
    start-up, so `rsrepro --help` stays fast."""
    import torch

    if threads > 0:
        torch.set_num_threads(threads)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rsrepro", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_commands(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    args = build_parser().parse_args(argv)
    try:
        args.handler(args)
    except RsreproError as error:
        print(f"rsrepro {args.command}: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
