"""The `rsrepro` command: one sub-command per workflow step (the Snakemake rules call these).

Every module named ``commands`` in the package (``rsrepro/<paper>/commands.py``, ...) exposes
``add_commands(subparsers)`` and keeps heavy imports (torch) inside the handlers, so `rsrepro --help`
stays fast. They are found by file name, not imported by name here, so no job's code depends on
another's commands. A handler receives the parsed arguments; settings arrive as a JSON object in
``--params`` (the rule's slice of params.yaml), paths as explicit options.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import resource
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rsrepro.errors import RsreproError
from rsrepro.io import exit_on_sigterm

PACKAGE_ROOT = Path(__file__).resolve().parent


def command_modules() -> list[str]:
    """Every ``commands`` module of the package, by dotted name."""
    return sorted(
        ".".join(("rsrepro", *path.relative_to(PACKAGE_ROOT).with_suffix("").parts))
        for path in PACKAGE_ROOT.rglob("commands.py")
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
    return _parser_and_commands()[0]


def _parser_and_commands() -> tuple[argparse.ArgumentParser, Any]:
    parser = argparse.ArgumentParser(prog="rsrepro", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in command_modules():
        importlib.import_module(name).add_commands(subparsers)
    return parser, subparsers


def command_handlers() -> dict[str, Callable[[argparse.Namespace], None]]:
    """Sub-command name -> the function that runs it (what a workflow job's code starts from)."""
    return {name: sub.get_default("handler") for name, sub in _parser_and_commands()[1].choices.items()}


def resources_used(started: float) -> str:
    """Wall time, CPU time and peak memory of this process and the children it waited for, exactly as
    the kernel counts them. Snakemake's benchmark files sample the job (every second, then every 30 s), so
    they miss what a job does after its last sample: a job's log ends with this line instead."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    per_unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    peak_mb = max(own.ru_maxrss, children.ru_maxrss) * per_unit / 1e6
    return f"wall {time.perf_counter() - started:.2f} s, cpu {cpu:.2f} s, peak memory {peak_mb:.0f} MB"


def main(argv: Sequence[str] | None = None) -> int:
    """The ``rsrepro`` command: run one sub-command in this process (``argv``: its arguments)."""
    started = time.perf_counter()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    args = build_parser().parse_args(argv)
    try:
        with exit_on_sigterm():  # a terminated job still removes its temporary files
            args.handler(args)
    except RsreproError as error:
        print(f"rsrepro {args.command}: error: {error}", file=sys.stderr)
        return 1
    finally:
        logging.getLogger("rsrepro").info("%s used %s", args.command, resources_used(started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
