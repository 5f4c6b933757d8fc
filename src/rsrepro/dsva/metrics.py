"""Zero-shot metrics: ZSL mean per-class top-1, GZSL U / S / H, calibrated stacking.

Scores are N x C over *all* classes of the dataset (columns in class-index order); the protocol decides
which columns are candidates.
"""

from __future__ import annotations

import numpy as np

from rsrepro.metrics.classification import confusion_matrix, mean_per_class_accuracy


def harmonic_mean(u: float, s: float) -> float:
    return 0.0 if u + s == 0 else 2 * u * s / (u + s)


def softmax(scores: np.ndarray) -> np.ndarray:
    z = scores - scores.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def zsl_accuracy(scores: np.ndarray, labels: np.ndarray, unseen: np.ndarray) -> float:
    """Mean per-class top-1 over unseen-class images, only unseen classes as candidates."""
    unseen = np.asarray(unseen)
    pred = unseen[np.argmax(scores[:, unseen], 1)]
    conf = confusion_matrix(labels, pred, scores.shape[1])
    return mean_per_class_accuracy(conf, unseen)


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
    on_probabilities: bool,
) -> dict[str, float]:
    """U and S: mean per-class accuracy of unseen / seen test images with all classes as candidates."""
    pred = np.argmax(calibrated_stacking(scores, seen, gamma, on_probabilities), 1)
    conf = confusion_matrix(labels, pred, scores.shape[1])
    u = mean_per_class_accuracy(conf, unseen)
    s = mean_per_class_accuracy(conf, seen)
    return {"U": u, "S": s, "H": harmonic_mean(u, s)}
