"""File lists of the report rules and the DAG's final targets (plain functions of the Snakemake config)."""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rsrepro.papers import PAPERS
from rsrepro.paths import FIGURES, METRICS, PLOTS, REPORTS, TABLES, report_file


def summary_files(config: dict[str, Any]) -> dict[str, list[str]]:
    """paper -> the per-dataset summary files its workflow writes (what its headline rows read)."""
    return {name: paper.summary_files(config) for name, paper in PAPERS.items()}


def curves_file(paper: str, dataset: str) -> str:
    return f"{PLOTS}/curves/{paper}_{dataset}.csv"


def table_files(paper: str) -> dict[str, str]:
    """A paper's main table as CSV and LaTeX."""
    return {"csv": f"{TABLES}/{paper}.csv", "tex": f"{TABLES}/{paper}.tex"}


def headline_summary_file() -> str:
    """Every paper's headlines, verdicts and the command of each row, as Markdown."""
    return f"{TABLES}/summary.md"


def paired_files(paper: str) -> dict[str, str]:
    """A paper's paired differences (rsrepro.reports.paired) as CSV and LaTeX; its report and the index
    show the CSV."""
    return {"csv": f"{TABLES}/{paper}_paired.csv", "tex": f"{TABLES}/{paper}_paired.tex"}


def paired_inputs(config: dict[str, Any], paper: str) -> list[str]:
    """The files a paper's paired table reads: its comparisons' runs, and what else they name (``reads``)."""
    comparisons = PAPERS[paper].paired_comparisons(config)
    files = [f for c in comparisons for f in [*(f for pair in c["pairs"] for f in pair), *c.get("reads", [])]]
    return list(dict.fromkeys(files))


def configfile_args(configfiles: Iterable[str | Path]) -> str:
    """``--configfile`` options of the headline-summary command: the run's own ``--configfile`` files,
    relative to the working directory where they lie inside it (a shell-quoted string)."""
    relative = [
        os.path.relpath(f) if Path(f).resolve().is_relative_to(Path.cwd()) else str(f) for f in configfiles
    ]
    return shlex.join([word for f in relative for word in ("--configfile", f)])


def plot_files(config: dict[str, Any]) -> list[str]:
    return [curves_file(name, dataset) for name in PAPERS for dataset in config[name]["datasets"]]


def metrics_file(paper: str) -> str:
    """A paper's headline numbers as DVC metrics JSON."""
    return f"{METRICS}/{paper}.json"


def metrics_files() -> list[str]:
    return [metrics_file(name) for name in PAPERS]


def restored_targets(config: dict[str, Any]) -> list[str]:
    """What dvc.yaml's stage versions (every final target but the rendered reports): after a pull their
    upstream jobs, the trained runs included, are marked up to date."""
    return [path for path in final_targets(config) if not path.startswith(f"{REPORTS}/")]


def data_targets(config: dict[str, Any]) -> list[str]:
    """Every split file the papers' runs use, and the synthetic dataset's contact sheet when it is used.
    (Pretrained weights are fetched as the inputs of the jobs that use them, and only those.)"""
    files = [
        f
        for name, paper in PAPERS.items()
        for d in config[name]["datasets"]
        for f in paper.split_files(config, d)
    ]
    if any("synthetic" in config[name]["datasets"] for name in PAPERS):
        files.append(f"{FIGURES}/synthetic/contact_sheet.png")
    return files


def final_targets(config: dict[str, Any]) -> list[str]:
    """What ``rule all`` asks for: the data, every paper's summaries and report, the DVC files, the index."""
    papers = [f for paper in PAPERS.values() for f in paper.final_targets(config)]
    tables = [f for name in PAPERS for f in table_files(name).values()]
    tables += [f for name in PAPERS for f in paired_files(name).values()]
    return (
        data_targets(config)
        + papers
        + tables
        + metrics_files()
        + [headline_summary_file()]
        + plot_files(config)
        + [report_file("index", "html")]
    )
