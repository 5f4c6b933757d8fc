"""Report commands: render a notebook, and the small files DVC reads (headline metrics, plot data)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rsrepro.cli import json_object


def json_list(text: str) -> list:
    """A JSON list argument (the workflow passes the comparisons of rsrepro.reports.paired this way)."""
    value = json.loads(text)
    if not isinstance(value, list):
        raise argparse.ArgumentTypeError(f"expected a JSON list, got {text[:60]!r}")
    return value


def add_commands(subparsers: Any) -> None:
    report = subparsers.add_parser("render-report", help="execute a report notebook and render it to HTML")
    report.add_argument("--notebook", type=Path, required=True)
    report.add_argument("--executed", type=Path, required=True, help="executed .ipynb to write")
    report.add_argument("--html", type=Path, required=True, help="HTML to write (no code cells)")
    report.add_argument("--params", type=json_object, default={}, help="notebook parameters as JSON")
    report.set_defaults(handler=_render)

    headline = subparsers.add_parser(
        "headline-metrics", help="a paper's headline numbers as DVC metrics JSON"
    )
    headline.add_argument("--paper", required=True, help="a paper of rsrepro.papers")
    headline.add_argument("--out", type=Path, required=True)
    headline.add_argument("summaries", nargs="+", help="the paper's summary files")
    headline.set_defaults(handler=_headline)

    summary = subparsers.add_parser(
        "headline-summary", help="every paper's headlines, verdicts and commands as one Markdown table"
    )
    summary.add_argument("--summaries", type=json_object, required=True, help="paper -> summary files (JSON)")
    summary.add_argument("--preset", required=True, help="the config's preset (embedded / paper)")
    summary.add_argument("--configfile", action="append", default=[], help="the run's --configfile (repeat)")
    summary.add_argument("--out", type=Path, required=True)
    summary.set_defaults(handler=_summary)

    paired = subparsers.add_parser(
        "paired-table", help="a paper's paired differences (bootstrap over test items, then seeds)"
    )
    paired.add_argument("--paper", required=True, help="a paper of rsrepro.papers")
    paired.add_argument("--comparisons", type=json_list, required=True, help="its paired_comparisons (JSON)")
    paired.add_argument("--csv", type=Path, required=True)
    paired.add_argument("--tex", type=Path, required=True)
    paired.set_defaults(handler=_paired)

    tables = subparsers.add_parser("paper-table", help="a paper's main table as CSV and LaTeX (booktabs)")
    tables.add_argument("--paper", required=True, help="a paper of rsrepro.papers")
    tables.add_argument("--csv", type=Path, required=True)
    tables.add_argument("--tex", type=Path, required=True)
    tables.add_argument("summaries", nargs="+", help="the paper's summary files")
    tables.set_defaults(handler=_table)

    curves = subparsers.add_parser("plot-curves", help="training curves (mean per variant) as CSV for DVC")
    curves.add_argument("--paper", required=True, help="a paper of rsrepro.papers")
    curves.add_argument("--out", type=Path, required=True)
    curves.add_argument("histories", nargs="+", help="history.json of every run")
    curves.set_defaults(handler=_curves)


def _render(args: argparse.Namespace) -> None:
    from rsrepro.reports.render import render_report

    render_report(args.notebook, args.executed, args.html, args.params)


def _headline(args: argparse.Namespace) -> None:
    from rsrepro.io import write_json
    from rsrepro.papers import headline_rows
    from rsrepro.reports.headline import metrics_file_content

    write_json(args.out, metrics_file_content(headline_rows({args.paper: args.summaries})))


def _summary(args: argparse.Namespace) -> None:
    from rsrepro.reports.summary import write_summary

    write_summary(args.out, args.summaries, args.preset, args.configfile)


def _paired(args: argparse.Namespace) -> None:
    from rsrepro.papers import paper
    from rsrepro.reports.paired import PAIRED_COLUMNS, paired_rows
    from rsrepro.reports.tables import write_tables

    rows = paired_rows(args.comparisons, paper(args.paper).item_scores)
    caption = "Paired differences (percentage points) over the same test items: bootstrap over the items "
    caption += "within each run (within class for a mean per-class accuracy), then over seeds; 95% interval."
    write_tables(args.csv, args.tex, PAIRED_COLUMNS, rows, caption)


def _curves(args: argparse.Namespace) -> None:
    from rsrepro.reports.plot_data import curves, write_csv

    write_csv(args.out, curves(args.paper, args.histories))


def _table(args: argparse.Namespace) -> None:
    from rsrepro.papers import paper
    from rsrepro.reports.tables import write_tables

    caption, columns, rows = paper(args.paper).main_table([str(p) for p in args.summaries])
    write_tables(args.csv, args.tex, columns, rows, caption)
