"""Zero-shot predictions from class scores: which classes are candidates, and calibrated stacking.

A training run keeps, for every epoch, the predicted class of each test image under its protocol
(``test_outputs.npz``, :mod:`rsrepro.training.run`); :mod:`rsrepro.dsva.metrics` scores them. Scores are
N x C over *all* classes (columns in class-index order). ``faithful`` follows the released code
(``main_utils.test_zsl_proposal``, ``test_gzsl_proposal``, ``calibrated_stacking``) where a class has no
test image: the ZSL candidates are the unseen classes that have test images, and calibrated stacking
lowers the seen classes present among the test images.
"""

from __future__ import annotations

import numpy as np


def softmax(scores: np.ndarray) -> np.ndarray:
    z = scores - scores.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def zsl_candidates(unseen: np.ndarray, labels: np.ndarray, faithful: bool) -> np.ndarray:
    """The classes a ZSL prediction chooses from: the unseen classes (those with test images, faithful)."""
    return np.intersect1d(unseen, labels) if faithful else np.asarray(unseen)


def zsl_predictions(scores: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """The best-scoring class among ``candidates`` for each image."""
    candidates = np.asarray(candidates)
    return candidates[np.argmax(scores[:, candidates], 1)]


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


def gzsl_predictions(
    scores: np.ndarray, labels: np.ndarray, seen: np.ndarray, gamma: float, faithful: bool
) -> np.ndarray:
    """All classes as candidates after calibrated stacking (on probabilities when ``faithful``, of the
    seen classes present among the test images; else on scores, of the split's seen classes)."""
    calibrated = np.intersect1d(seen, labels) if faithful else np.asarray(seen)
    return np.argmax(calibrated_stacking(scores, calibrated, gamma, on_probabilities=faithful), 1)
