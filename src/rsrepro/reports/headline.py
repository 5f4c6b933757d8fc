"""Each paper's headline numbers, read from the summary files its workflow writes.

Each paper's ``targets.headlines`` turns one summary file into :class:`Headline` rows (percent): LSE-Net's
overall accuracy per train ratio, SWAN's mR per variant, DSVA's ZSL accuracy and GZSL H per split,
variant and epoch-selection protocol. The index report tabulates them beside the papers' numbers;
:func:`metrics_file_content` is the same rows as the nested JSON that DVC's ``metrics show/diff`` reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Headline:
    paper: str
    dataset: str
    setting: str
    metric: str
    reproduced: float
    runs: int
    paper_value: float | None = None
    note: str = ""
    baseline: float | None = None  # the image-text model's baseline on the same splits and metric

    @property
    def difference(self) -> float | None:
        return None if self.paper_value is None else self.reproduced - self.paper_value


def collect(summary_files: dict[str, Iterable[str | Path]]) -> list[Headline]:
    """Headline rows of every paper from its summary files (paper -> files), read by the paper's
    ``targets.headlines``."""
    from rsrepro.papers import paper  # the papers' targets build Headline rows: import them after it

    return [
        row
        for name, files in summary_files.items()
        for path in files
        for row in paper(name).headlines(str(path))
    ]


def as_records(rows: Iterable[Headline]) -> list[dict[str, Any]]:
    return [{**asdict(row), "difference": row.difference} for row in rows]


def metrics_file_content(rows: Iterable[Headline]) -> dict[str, Any]:
    """dataset -> setting -> {metric: value, runs}: nested numbers that ``dvc metrics show/diff`` flattens."""
    nested: dict[str, Any] = {}
    for row in rows:
        cell = nested.setdefault(row.dataset, {}).setdefault(row.setting, {"runs": row.runs})
        cell[row.metric] = round(row.reproduced, 4)
    return nested
