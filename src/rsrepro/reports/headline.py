"""Each paper's headline numbers, read from the summary files its workflow writes (one adapter per paper).

An adapter turns one summary file into :class:`Headline` rows (percent): LSE-Net's overall accuracy per
train ratio, SWAN's mR per variant, DSVA's ZSL accuracy and GZSL H per split, variant and epoch-selection
protocol. The index report tabulates them beside the papers' numbers; :func:`metrics_file_content` is the
same rows as the nested JSON that DVC's ``metrics show/diff`` reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rsrepro.io import read_json
from rsrepro.reports import paper_numbers

# DSVA: "paper" picks epochs on the test set as the released code does (comparable with the paper's
# number); "validation" is the honest selection on pseudo-unseen validation classes.
DSVA_PROTOCOLS = ("paper", "validation")


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

    @property
    def difference(self) -> float | None:
        return None if self.paper_value is None else self.reproduced - self.paper_value


def lsenet_headlines(summary_file: str | Path) -> list[Headline]:
    """Overall accuracy of the full model per dataset and train ratio (``lsenet/<ds>/summary.json``)."""
    summary = read_json(summary_file)
    return [
        Headline(
            paper="lsenet",
            dataset=dataset,
            setting=f"train {round(100 * row['train_ratio'])}%",
            metric="OA",
            reproduced=100 * row["oa_mean"],
            runs=row["n_runs"],
            note=paper_numbers.LSENET_RECORDS_NOTE if dataset in paper_numbers.LSENET_RECORDS else "",
        )
        for dataset in summary["datasets"]
        for row in summary["rows"]
        if row["variant"] == "full"
    ]


def swan_headlines(metrics_file: str | Path) -> list[Headline]:
    """mR per variant, mean over runs (``results/swan/<ds>/metrics.json``; the dataset is the folder name)."""
    dataset = Path(metrics_file).parent.name
    return [
        Headline(
            paper="swan",
            dataset=dataset,
            setting=variant,
            metric="mR",
            reproduced=result["mean"]["mR"],
            runs=result["runs"],
            paper_value=paper_numbers.swan_paper_mr(dataset),
        )
        for variant, result in read_json(metrics_file).items()
    ]


def dsva_headlines(metrics_file: str | Path) -> list[Headline]:
    """ZSL accuracy and GZSL H per split, variant and protocol (``results/dsva/<ds>/metrics.json``)."""
    return [
        Headline(
            paper="dsva",
            dataset=row["dataset"],
            setting=f"{row['split']} {row['variant']}, {row['protocol']} epochs",
            metric=label,
            reproduced=100 * row[key],
            runs=row["runs"],
            paper_value=paper_numbers.dsva_paper_number(row["dataset"], row["split"], key),
            note="the paper picks epochs on the test set" if row["protocol"] == "validation" else "",
        )
        for row in read_json(metrics_file)["mean_over_seeds"]
        if row["protocol"] in DSVA_PROTOCOLS
        for key, label in (("zsl", "ZSL"), ("H", "GZSL H"))
    ]


ADAPTERS: dict[str, Callable[[str | Path], list[Headline]]] = {
    "lsenet": lsenet_headlines,
    "swan": swan_headlines,
    "dsva": dsva_headlines,
}


def collect(summary_files: dict[str, Iterable[str | Path]]) -> list[Headline]:
    """Headline rows of every paper from its summary files (paper -> files)."""
    return [row for paper, files in summary_files.items() for path in files for row in ADAPTERS[paper](path)]


def as_records(rows: Iterable[Headline]) -> list[dict[str, Any]]:
    return [{**asdict(row), "difference": row.difference} for row in rows]


def metrics_file_content(rows: Iterable[Headline]) -> dict[str, Any]:
    """dataset -> setting -> {metric: value, runs}: nested numbers that ``dvc metrics show/diff`` flattens."""
    nested: dict[str, Any] = {}
    for row in rows:
        cell = nested.setdefault(row.dataset, {}).setdefault(row.setting, {"runs": row.runs})
        cell[row.metric] = round(row.reproduced, 4)
    return nested
