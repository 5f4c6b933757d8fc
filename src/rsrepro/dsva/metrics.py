"""Zero-shot metrics: ZSL mean per-class top-1, GZSL U / S / H, calibrated stacking.

Scores are N x C over *all* classes of the dataset (columns in class-index order); the protocol decides
which columns are candidates. ``faithful`` follows the released code (``main_utils.test_zsl_proposal``,
``test_gzsl_proposal``, ``calibrated_stacking``) in the cases where a class has no test image:

- ZSL candidates and the U average are the unseen classes that have test images
  (``unseenclasses = unique(test_unseen_label)``), as the split's unseen classes when all have some;
- calibrated stacking lowers the classes present among the seen test images (``set(test_seen_label)``),
  and S is the plain mean over the seen classes, NaN when one of them has no test image (0 / 0).

Otherwise (corrected): the split's classes, and means over the classes that have test images.
"""

from __future__ import annotations

import numpy as np

from rsrepro.metrics.classification import confusion_matrix, mean_per_class_accuracy, per_class_accuracy


def harmonic_mean(u: float, s: float) -> float:
    """2US / (U + S); 0 when both are 0, NaN when either is (the released main.py's H)."""
    return 0.0 if u + s == 0 else 2 * u * s / (u + s)


def softmax(scores: np.ndarray) -> np.ndarray:
    z = scores - scores.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def mean_accuracy(confusion: np.ndarray, classes: np.ndarray, faithful: bool) -> float:
    """Mean per-class accuracy over ``classes``: a plain mean (NaN if one has no test image) when
    ``faithful``, else over those that have test images."""
    if faithful:
        return float(np.mean(per_class_accuracy(confusion)[np.asarray(classes)]))
    return mean_per_class_accuracy(confusion, classes)


def zsl_accuracy(scores: np.ndarray, labels: np.ndarray, unseen: np.ndarray, faithful: bool = False) -> float:
    """Mean per-class top-1 over unseen-class images, only unseen classes as candidates."""
    unseen = np.intersect1d(unseen, labels) if faithful else np.asarray(unseen)
    pred = unseen[np.argmax(scores[:, unseen], 1)]
    return mean_per_class_accuracy(confusion_matrix(labels, pred, scores.shape[1]), unseen)


def calibrated_stacking(
    scores: np.ndarray, seen: np.ndarray, gamma: float, on_probabilities: bool
) -> np.ndarray:
    """Subtract ``gamma`` from the seen columns (Chao et al. 2016), pushing predictions toward unseen.

    The released DSVA code subtracts it from softmax probabilities (``on_probabilities``), where a
    fixed gamma means something different for every score scale; the usual form works on the scores.
    """
    out = softmax(scores) if on_probabilities else np.array(scores, dtype=np.float64)
    out[:, np.asarray(seen)] -= gamma
    return out


def gzsl_metrics(
    scores: np.ndarray,
    labels: np.ndarray,
    seen: np.ndarray,
    unseen: np.ndarray,
    gamma: float,
    faithful: bool,
) -> dict[str, float]:
    """U and S: mean per-class accuracy of unseen / seen test images with all classes as candidates,
    after calibrated stacking (on probabilities when ``faithful``, else on scores)."""
    calibrated = np.intersect1d(seen, labels) if faithful else np.asarray(seen)
    pred = np.argmax(calibrated_stacking(scores, calibrated, gamma, on_probabilities=faithful), 1)
    conf = confusion_matrix(labels, pred, scores.shape[1])
    u = mean_per_class_accuracy(conf, unseen)  # faithful too: its unseen classes are those with images
    s = mean_accuracy(conf, seen, faithful)
    return {"U": u, "S": s, "H": harmonic_mean(u, s)}
