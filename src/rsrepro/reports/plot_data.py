"""Small CSV files that DVC plots: training curves (mean over runs, one column per variant) and LSE-Net's
per-class accuracy. ``dvc plots diff`` compares them across git revisions and experiments."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rsrepro.io import atomic_path, read_json

# The per-epoch value each paper's curve shows, and how to find the epochs in its history.json.
CURVE_METRIC = {"lsenet": "train_acc", "swan": "val_mR", "dsva": "zsl"}


def _epochs(paper: str, history_file: str | Path) -> list[dict[str, Any]]:
    history = read_json(history_file)
    return history["history"] if paper == "swan" else history


def curves(paper: str, history_files: Sequence[str | Path]) -> list[dict[str, Any]]:
    """epoch -> mean of the paper's curve metric over the runs of each variant.

    Every run layout keeps the variant three levels above its history (lsenet ``<variant>/<run>/``,
    swan ``<variant>/seed<s>/``, dsva ``<variant>/full/``).
    """
    by_variant: dict[str, list[list[float]]] = {}
    for path in history_files:
        values = [row[CURVE_METRIC[paper]] for row in _epochs(paper, path)]
        by_variant.setdefault(Path(path).parts[-3], []).append(values)
    n_epochs = min(len(v) for runs in by_variant.values() for v in runs)
    return [
        {
            "epoch": epoch,
            **{variant: float(np.mean([r[epoch] for r in runs])) for variant, runs in by_variant.items()},
        }
        for epoch in range(n_epochs)
    ]


def lsenet_per_class(summary_file: str | Path) -> list[dict[str, Any]]:
    """Per-class accuracy of the full model, from the confusion matrix summed over its runs."""
    summary = read_json(summary_file)
    confusion = sum(np.array(row["confusion_sum"]) for row in summary["rows"] if row["variant"] == "full")
    correct, total = np.diag(confusion), confusion.sum(axis=1)
    return [
        {"class": name, "accuracy": float(c / n) if n else float("nan")}
        for name, c, n in zip(summary["classes"], correct, total, strict=True)
    ]


def write_csv(path: str | Path, rows: list[dict[str, Any]]) -> None:
    with atomic_path(path, ".csv") as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
