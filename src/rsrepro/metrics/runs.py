"""Summaries over repeated runs (split seeds, k re-splits), as the papers' mean +- std tables."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def mean_and_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1); the std of a single run is 0, not NaN."""
    array = np.asarray(values, dtype=np.float64)
    return float(array.mean()), float(array.std(ddof=1)) if len(array) > 1 else 0.0
