"""Zero-shot metrics: ZSL mean per-class top-1, GZSL U / S / H, from predictions or from scores.

The predictions come from :mod:`rsrepro.dsva.predictions`. ``faithful`` follows the released code
(``main_utils.test_zsl_proposal``, ``test_gzsl_proposal``) in the cases where a class has no test image:

- ZSL candidates and the U average are the unseen classes that have test images
  (``unseenclasses = unique(test_unseen_label)``), as the split's unseen classes when all have some;
- calibrated stacking lowers the classes present among the seen test images (``set(test_seen_label)``),
  and S is the plain mean over the seen classes, NaN when one of them has no test image (0 / 0).

Otherwise (corrected): the split's classes, and means over the classes that have test images.
"""

from __future__ import annotations

import numpy as np

from rsrepro.dsva.predictions import gzsl_predictions, zsl_candidates, zsl_predictions
from rsrepro.metrics.classification import confusion_matrix, mean_per_class_accuracy, per_class_accuracy


def harmonic_mean(u: float, s: float) -> float:
    """2US / (U + S); 0 when both are 0, NaN when either is (the released main.py's H)."""
    return 0.0 if u + s == 0 else 2 * u * s / (u + s)


def mean_accuracy(confusion: np.ndarray, classes: np.ndarray, faithful: bool) -> float:
    """Mean per-class accuracy over ``classes``: a plain mean (NaN if one has no test image) when
    ``faithful``, else over those that have test images."""
    if faithful:
        return float(np.mean(per_class_accuracy(confusion)[np.asarray(classes)]))
    return mean_per_class_accuracy(confusion, classes)


def zsl_accuracy_of(
    predictions: np.ndarray, labels: np.ndarray, candidates: np.ndarray, n_classes: int
) -> float:
    """Mean per-class top-1 over the ``candidates`` (the classes the predictions chose from)."""
    return mean_per_class_accuracy(confusion_matrix(labels, predictions, n_classes), candidates)


def gzsl_metrics_of(
    predictions: np.ndarray,
    labels: np.ndarray,
    seen: np.ndarray,
    unseen: np.ndarray,
    n_classes: int,
    faithful: bool,
) -> dict[str, float]:
    """U and S: mean per-class accuracy of the unseen / seen test images, and their harmonic mean H."""
    conf = confusion_matrix(labels, predictions, n_classes)
    u = mean_per_class_accuracy(conf, unseen)  # faithful too: its unseen classes are those with images
    s = mean_accuracy(conf, seen, faithful)
    return {"U": u, "S": s, "H": harmonic_mean(u, s)}


def zsl_accuracy(scores: np.ndarray, labels: np.ndarray, unseen: np.ndarray, faithful: bool = False) -> float:
    """Mean per-class top-1 over unseen-class images, only unseen classes as candidates."""
    candidates = zsl_candidates(unseen, labels, faithful)
    return zsl_accuracy_of(zsl_predictions(scores, candidates), labels, candidates, scores.shape[1])


def gzsl_metrics(
    scores: np.ndarray,
    labels: np.ndarray,
    seen: np.ndarray,
    unseen: np.ndarray,
    gamma: float,
    faithful: bool,
) -> dict[str, float]:
    """U, S and H with all classes as candidates, after calibrated stacking (on probabilities when
    ``faithful``, else on scores)."""
    predictions = gzsl_predictions(scores, labels, seen, gamma, faithful)
    return gzsl_metrics_of(predictions, labels, seen, unseen, scores.shape[1], faithful)
