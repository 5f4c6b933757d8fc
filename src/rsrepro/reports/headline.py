"""Each paper's headline numbers, read from the summary files its workflow writes.

Each paper's ``targets.headlines`` turns one summary file into :class:`Headline` rows (percent): LSE-Net's
overall accuracy per train ratio, SWAN's mR per variant, DSVA's ZSL accuracy and GZSL H per split,
variant and epoch-selection protocol (:func:`rsrepro.papers.headline_rows` reads every paper's). The
index report tabulates them beside the papers' numbers; :func:`metrics_file_content` is the same rows as
the nested JSON that DVC's ``metrics show/diff`` reads. This module imports no paper: the papers import
it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Headline:
    paper: str
    dataset: str
    setting: str
    metric: str
    reproduced: float
    runs: int
    std: float | None = None  # sample std over the runs (percent); None for a single run
    paper_value: float | None = None
    note: str = ""
    baseline: float | None = None  # the image-text model's baseline on the same splits and metric
    differs: str = ""  # how this row's protocol differs from the paper's (then it is not comparable)
    reruns: tuple[float, ...] = ()  # the authors' released re-runs of this number, where the notes give them

    @property
    def difference(self) -> float | None:
        return None if self.paper_value is None else self.reproduced - self.paper_value


def as_records(rows: Iterable[Headline]) -> list[dict[str, Any]]:
    return [{**asdict(row), "difference": row.difference} for row in rows]


def metrics_file_content(rows: Iterable[Headline]) -> dict[str, Any]:
    """dataset -> setting -> {metric: value, runs}: nested numbers that ``dvc metrics show/diff`` flattens."""
    nested: dict[str, Any] = {}
    for row in rows:
        cell = nested.setdefault(row.dataset, {}).setdefault(row.setting, {"runs": row.runs})
        cell[row.metric] = round(row.reproduced, 4)
    return nested
