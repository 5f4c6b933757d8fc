"""Small CSV files that DVC plots, such as the training curves (mean over runs, one column per variant).
``dvc plots diff`` compares them across git revisions and experiments."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rsrepro.io import atomic_path
from rsrepro.papers import paper as registered_paper
from rsrepro.training.run import read_history


def curves(paper: str, history_files: Sequence[str | Path]) -> list[dict[str, Any]]:
    """epoch -> mean of the paper's curve metric (its ``targets.CURVE_METRIC``) over the runs of each
    variant (as each run's history names it)."""
    metric = registered_paper(paper).CURVE_METRIC
    by_variant: dict[str, list[list[float]]] = {}
    for path in history_files:
        history = read_history(path)
        by_variant.setdefault(history["variant"], []).append([row[metric] for row in history["epochs"]])
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
