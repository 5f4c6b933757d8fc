"""Evaluation of a trained LSE-Net run and aggregation over split seeds.

Test images are classified at full size with no crop (the group's protocol: 256 px in, 16x16 maps).
Metrics per run: OA, per-class accuracy, confusion matrix. Per dataset x variant x ratio: mean and std
(sample std, ddof=1, over split seeds; 0 for a single run) of OA, as in the paper's mean+-std tables.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rsrepro.io import read_json, write_json
from rsrepro.metrics.classification import (
    confusion_matrix,
    mean_per_class_accuracy,
    overall_accuracy,
    per_class_accuracy,
)
from rsrepro.metrics.runs import mean_and_std
from rsrepro.training.augment import normalize
from rsrepro.training.batches import index_batches, load_images


def autocast(device: torch.device, amp: bool) -> contextlib.AbstractContextManager:
    """bf16 autocast on CUDA when ``amp`` is set; full precision elsewhere."""
    if amp and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def prepare_batch(images: np.ndarray, batch: np.ndarray, device: torch.device, channels_last: bool):
    x = normalize(load_images(images, batch, device))
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


@torch.no_grad()
def predict_logits(
    model: torch.nn.Module,
    images: np.ndarray,
    indices: Sequence[int],
    device: torch.device,
    *,
    batch_size: int = 128,
    amp: bool = False,
    channels_last: bool = False,
) -> tuple[np.ndarray, float]:
    """Logits (N x C, float32) of ``images[indices]`` and the throughput in images/s."""
    model.eval()
    outs = []
    start = time.perf_counter()
    for batch in index_batches(indices, batch_size, shuffle=False):
        with autocast(device, amp):
            outs.append(model(prepare_batch(images, batch, device, channels_last)).float().cpu())
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    return torch.cat(outs).numpy(), len(indices) / max(seconds, 1e-9)


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> dict[str, Any]:
    cm = confusion_matrix(y_true, y_pred, n_classes)
    return {
        "oa": overall_accuracy(cm),
        "mean_per_class_accuracy": mean_per_class_accuracy(cm),
        "per_class_accuracy": [None if np.isnan(a) else float(a) for a in per_class_accuracy(cm)],
        "confusion": cm.tolist(),
    }


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
