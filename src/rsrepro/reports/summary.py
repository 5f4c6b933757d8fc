"""``results/tables/summary.md``: every headline of every paper in one Markdown table (reproduced, the
paper's number, the verdict, the baseline) with the exact command that rebuilds each row, for a README or a
paper's appendix."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Sequence
from pathlib import Path

from rsrepro.io import atomic_path
from rsrepro.papers import PAPERS, paper
from rsrepro.reports.verdicts import RULE, verdict_records

COLUMNS = ("paper", "dataset", "setting", "metric", "reproduced", "runs", "paper's number", "verdict",
           "re-runs", "baseline")  # fmt: skip


def rebuild_command(configfiles: Sequence[str], target: str) -> str:
    """The Snakemake command that rebuilds ``target`` (a summary file) with the same config files."""
    words = ["snakemake", "--cores", "all"]
    for configfile in configfiles:
        words += ["--configfile", configfile]
    return shlex.join([*words, target])


def markdown_cell(value: object) -> str:
    return str(value).replace("|", r"\|")


def summary_markdown(summary_files: dict[str, Iterable[str]], preset: str, configfiles: Sequence[str]) -> str:
    lines = [
        f"# Headline results ({preset} preset)",
        "",
        "Percent; reproduced: mean ± sample std over the runs. " + RULE,
        "",
        "| " + " | ".join([*COLUMNS, "command"]) + " |",
        "|" + "---|" * (len(COLUMNS) + 1),
    ]
    for name in [name for name in PAPERS if name in summary_files]:  # the registry's order
        for path in summary_files[name]:
            command = f"`{rebuild_command(configfiles, str(path))}`"
            for record in verdict_records(paper(name).headlines(str(path)), preset):
                record["paper"] = PAPERS[name].TITLE
                cells = [markdown_cell(record[column]) for column in COLUMNS]
                lines.append("| " + " | ".join([*cells, command]) + " |")
    return "\n".join(lines) + "\n"


def write_summary(
    out: str | Path, summary_files: dict[str, Iterable[str]], preset: str, configfiles: Sequence[str]
) -> None:
    with atomic_path(out, ".md") as tmp:
        tmp.write_text(summary_markdown(summary_files, preset, configfiles))
