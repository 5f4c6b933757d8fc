"""The paper registry: the papers this pipeline reproduces, for everything shared that lists them.

A paper is a package ``rsrepro.<name>`` (its models, training, commands in ``commands.py``, and a
``targets`` module with the names of :class:`PaperTargets`), a rule file ``workflow/rules/<name>.smk``,
a report notebook ``notebooks/<name>.ipynb`` and its section of params.yaml with the schema
``workflow/schemas/<name>.schema.yaml``. Registering it is its entry in :data:`PAPERS`; the Snakefile,
the params checks, the headline metrics, the DVC plots and the index report read the registry.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from rsrepro.dsva import targets as dsva
from rsrepro.errors import RsreproError
from rsrepro.lsenet import targets as lsenet
from rsrepro.reports.headline import Headline
from rsrepro.reports.paired import ItemScores
from rsrepro.swan import targets as swan


class PaperTargets(Protocol):
    """What the shared workflow needs to know of a paper (a ``rsrepro.<name>.targets`` module)."""

    NAME: str  # params section, results folder, rule file and notebook name
    TITLE: str  # as the paper spells it
    LAYOUTS: tuple[str, ...]  # the dataset layouts it reads (rsrepro.data.own.dataset_layout)
    VARIANTS: tuple[str, ...]  # what the paper's ``variant`` wildcard and CLI accept
    CURVE_METRIC: str  # the per-epoch value of a run's history that its DVC curve plots

    def split_files(self, config: dict[str, Any], dataset: str) -> list[str]: ...

    def history_files(self, config: dict[str, Any], dataset: str) -> list[str]: ...

    def summary_files(self, config: dict[str, Any]) -> list[str]: ...

    def final_targets(self, config: dict[str, Any]) -> list[str]: ...

    def global_batch(self, config: dict[str, Any]) -> tuple[str, int]: ...

    def params_problems(self, config: dict[str, Any]) -> list[str]: ...  # what its schema cannot express

    def headlines(self, summary_file: str) -> list[Headline]: ...

    def main_table(self, summary_files: list[str]) -> tuple[str, list[str], list[dict[str, Any]]]: ...

    # Paired differences (rsrepro.reports.paired): the comparisons, each with its runs per seed, and
    # one run's test items scored (with a comparison's ``scored_as`` options).
    def paired_comparisons(self, config: dict[str, Any]) -> list[dict[str, Any]]: ...

    def item_scores(self, run: str, **scored_as: str) -> ItemScores: ...


PAPERS: dict[str, PaperTargets] = {paper.NAME: paper for paper in (lsenet, swan, dsva)}


def paper(name: str) -> PaperTargets:
    """The registered paper ``name``, or an error that lists the registered ones."""
    if name not in PAPERS:
        raise RsreproError(f"unknown paper {name!r}; registered papers (rsrepro.papers): {', '.join(PAPERS)}")
    return PAPERS[name]


def headline_rows(summary_files: dict[str, Iterable[str | Path]]) -> list[Headline]:
    """Headline rows of every paper from its summary files (paper -> files), read by the paper's
    ``targets.headlines``."""
    return [
        row
        for name, files in summary_files.items()
        for path in files
        for row in paper(name).headlines(str(path))
    ]
