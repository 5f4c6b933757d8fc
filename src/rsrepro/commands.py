"""Commands about the workflow as a whole rather than one stage of it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_commands(subparsers: Any) -> None:
    changes = subparsers.add_parser(
        "code-changes", help="which parts of each job's code changed since its outputs were made"
    )
    changes.add_argument(
        "--directory", type=Path, default=Path("."), help="the workflow's working directory (default: .)"
    )
    changes.set_defaults(handler=_code_changes)


def _code_changes(args: argparse.Namespace) -> None:
    from rsrepro.code_changes import code_changes, describe

    print(describe(code_changes(args.directory)))
