"""`rsrepro rehearsal`: the paper preset end to end on stand-ins, then its cost per stage and the projected
cost of the full paper run (what `make rehearsal` calls)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_commands(subparsers: Any) -> None:
    rehearsal = subparsers.add_parser(
        "rehearsal", help="run the paper preset on stand-in data and weights; print costs and a projection"
    )
    rehearsal.add_argument("--workdir", type=Path, default=Path("results/rehearsal"), help="(emptied first)")
    rehearsal.add_argument(
        "--scale",
        choices=["full", "reduced"],
        default="full",
        help="reduced: 64 px and a narrow CLIP (tests)",
    )
    rehearsal.add_argument("--cores", default="all", help="Snakemake's --cores")
    rehearsal.set_defaults(handler=_rehearsal)


def _rehearsal(args: argparse.Namespace) -> None:
    from rsrepro.rehearsal.report import print_report
    from rsrepro.rehearsal.run import rehearse

    seconds = rehearse(args.workdir, args.scale, args.cores)
    print_report(args.workdir, seconds, args.scale)
