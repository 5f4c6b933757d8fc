"""`rsrepro launch`: run a training command on the GPUs its job was given (see training.launch)."""

from __future__ import annotations

import argparse
from typing import Any


def add_commands(subparsers: Any) -> None:
    launch = subparsers.add_parser(
        "launch", help="claim free GPUs, then run an rsrepro command (under torchrun for several GPUs)"
    )
    launch.add_argument("--gpus", type=int, required=True, help="GPUs of the job (0: CPU only)")
    launch.add_argument("argv", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    launch.set_defaults(handler=_launch)


def _launch(args: argparse.Namespace) -> None:
    from rsrepro.training.launch import launch

    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    launch(args.gpus, argv)
