"""Small CSV files that DVC plots, such as the training curves (mean over runs, one column per variant).
``dvc plots diff`` compares them across git revisions and experiments."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rsrepro.io import atomic_path, read_json
from rsrepro.papers import paper as registered_paper


def _epochs(paper: str, history_file: str | Path) -> list[dict[str, Any]]:
    history = read_json(history_file)
    if isinstance(history, list):
        return history
    return history["epochs"] if "epochs" in history else history["history"]


def curves(paper: str, history_files: Sequence[str | Path]) -> list[dict[str, Any]]:
    """epoch -> mean of the paper's curve metric (its ``targets.CURVE_METRIC``) over the runs of each
    variant.

    Every run layout keeps the variant three levels above its history (lsenet ``<variant>/<run>/``,
    swan ``<variant>/seed<s>/``, dsva ``<variant>/full/``).
    """
    by_variant: dict[str, list[list[float]]] = {}
    for path in history_files:
        values = [row[registered_paper(paper).CURVE_METRIC] for row in _epochs(paper, path)]
        by_variant.setdefault(Path(path).parts[-3], []).append(values)
    n_epochs = min(len(v) for runs in by_variant.values() for v in runs)
    return [
        {
            "epoch": epoch,
            **{variant: float(np.mean([r[epoch] for r in runs])) for variant, runs in by_variant.items()},
        }
        for epoch in range(n_epochs)
    ]


def write_csv(path: str | Path, rows: list[dict[str, Any]]) -> None:
    with atomic_path(path, ".csv") as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
