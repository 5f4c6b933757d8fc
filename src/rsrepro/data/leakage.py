"""The zero-shot guard: no image of a split's unseen classes is ever used for training (DSVA's training,
the image-text model it and the baselines use)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rsrepro.errors import RsreproError


class LeakError(RsreproError):
    """An unseen-class image or caption was about to be used for training."""


def require_seen_only(indices: np.ndarray, class_idx: np.ndarray, unseen: Sequence[int], what: str) -> None:
    """Stop before ``what`` trains on an image of an ``unseen`` class of a zero-shot split."""
    leaked = np.intersect1d(np.unique(class_idx[np.asarray(indices, dtype=np.int64)]), unseen)
    if len(leaked):
        raise LeakError(f"{what} would use images of unseen classes {leaked.tolist()}; only seen classes may")
