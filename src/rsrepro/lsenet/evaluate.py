"""Evaluation of a trained LSE-Net run and aggregation over split seeds, with NumPy alone.

The training job leaves the selected model's test logits (``test_outputs.npz``, see
:mod:`rsrepro.training.run`); test images are classified at full size with no crop (the group's
protocol: 256 px in, 16x16 maps). Metrics per run: OA, per-class accuracy, confusion matrix. Per dataset
x variant x ratio: mean and std (sample std, ddof=1, over split seeds; 0 for a single run) of OA, as in
the paper's mean+-std tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rsrepro.io import read_json, write_json
from rsrepro.metrics.classification import (
    confusion_matrix,
    mean_per_class_accuracy,
    overall_accuracy,
    per_class_accuracy,
)
from rsrepro.metrics.runs import mean_and_std
from rsrepro.training.run import read_history, read_outputs


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> dict[str, Any]:
    cm = confusion_matrix(y_true, y_pred, n_classes)
    return {
        "oa": overall_accuracy(cm),
        "mean_per_class_accuracy": mean_per_class_accuracy(cm),
        "per_class_accuracy": [None if np.isnan(a) else float(a) for a in per_class_accuracy(cm)],
        "confusion": cm.tolist(),
    }


def evaluate_run(test_outputs: str | Path, history_file: str | Path, out: str | Path) -> dict[str, Any]:
    """``metrics.json`` of one run from its test logits and its history."""
    outputs, history = read_outputs(test_outputs), read_history(history_file)
    classes = [str(name) for name in outputs["classes"]]
    metrics = {
        **history["run"],
        "variant": history["variant"],
        "selection": history["selection"],
        "selected_epoch": history["selected_epoch"],
        "epochs": len(history["epochs"]),
        "classes": classes,
        "train_images_per_s": float(np.mean([e["train_images_per_s"] for e in history["epochs"]])),
        **classification_metrics(outputs["labels"], outputs["logits"].argmax(1), len(classes)),
    }
    write_json(out, metrics)
    return metrics


def summarize(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (variant, train_ratio): OA mean/std over split seeds, and the runs behind it."""
    groups: dict[tuple[str, float], list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault((run["variant"], run["train_ratio"]), []).append(run)
    rows = []
    for (variant, ratio), members in sorted(groups.items()):
        members = sorted(members, key=lambda r: r["seed"])
        oas = [float(m["oa"]) for m in members]
        oa_mean, oa_std = mean_and_std(oas)
        rows.append(
            {
                "variant": variant,
                "train_ratio": ratio,
                "selection": members[0]["selection"],
                "n_runs": len(members),
                "seeds": [m["seed"] for m in members],
                "oa": oas,
                "oa_mean": oa_mean,
                "oa_std": oa_std,
                "confusion_sum": np.sum([m["confusion"] for m in members], axis=0).tolist(),
            }
        )
    return rows


def aggregate(metric_files: Sequence[str | Path], out: str | Path) -> None:
    """Write the dataset's summary JSON from its per-run metrics files."""
    runs = [read_json(p) for p in metric_files]
    datasets = sorted({r["dataset"] for r in runs})
    write_json(out, {"datasets": datasets, "classes": runs[0]["classes"], "rows": summarize(runs)})


def per_class_rows(summary_file: str | Path) -> list[dict[str, Any]]:
    """Per-class accuracy of the full model, from the confusion matrix summed over its runs (a DVC plot)."""
    summary = read_json(summary_file)
    confusion = sum(np.array(row["confusion_sum"]) for row in summary["rows"] if row["variant"] == "full")
    correct, total = np.diag(confusion), confusion.sum(axis=1)
    return [
        {"class": name, "accuracy": float(c / n) if n else float("nan")}
        for name, c, n in zip(summary["classes"], correct, total, strict=True)
    ]
