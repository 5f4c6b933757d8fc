"""Classification metrics: confusion matrix, overall accuracy, per-class and mean per-class accuracy."""

from __future__ import annotations

import numpy as np


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """``C[i, j]`` = number of images of true class i predicted as j."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    return np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes).reshape(
        n_classes, n_classes
    )


def overall_accuracy(confusion: np.ndarray) -> float:
    """Share of all images classified correctly (the OA of scene-classification papers)."""
    return float(np.trace(confusion) / max(confusion.sum(), 1))


def per_class_accuracy(confusion: np.ndarray) -> np.ndarray:
    """Recall of each class; NaN for classes without test images."""
    totals = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(confusion) / totals, np.nan)


def mean_per_class_accuracy(confusion: np.ndarray, classes: np.ndarray | None = None) -> float:
    """Mean of per-class accuracies over ``classes`` (default: classes that have test images).

    The zero-shot protocol's accuracy: averaging per class keeps large classes from dominating.
    """
    acc = per_class_accuracy(confusion)
    if classes is not None:
        acc = acc[np.asarray(classes)]
    return float(np.nanmean(acc))
