"""The `render-report` command used by every report rule."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rsrepro.cli import json_object


def add_commands(subparsers: Any) -> None:
    report = subparsers.add_parser("render-report", help="execute a report notebook and render it to HTML")
    report.add_argument("--notebook", type=Path, required=True)
    report.add_argument("--executed", type=Path, required=True, help="executed .ipynb to write")
    report.add_argument("--html", type=Path, required=True, help="HTML to write (no code cells)")
    report.add_argument("--params", type=json_object, default={}, help="notebook parameters as JSON")
    report.set_defaults(handler=_render)


def _render(args: argparse.Namespace) -> None:
    from rsrepro.reports.render import render_report

    render_report(args.notebook, args.executed, args.html, args.params)
