"""The original's episodic ``CategoriesSampler``: each batch = ``ways`` classes x ``shots`` images."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch


def episodes(
    indices: np.ndarray, labels: np.ndarray, ways: int, shots: int, n_batches: int, generator: torch.Generator
) -> Iterator[np.ndarray]:
    """Yield ``n_batches`` index arrays of ways x shots images (class-major order).

    Classes are drawn without replacement per batch, images without replacement within a class: the
    distribution of the original's ``CategoriesSampler``, which draws both with
    ``np.random.choice(..., replace=False)`` from numpy's global generator. Here they come from the run's
    torch ``generator`` (``randperm``), whose state the checkpoints keep, so a resumed run draws the
    episodes an uninterrupted one would. A class with fewer than ``shots`` images gives all of them (the
    original stops with a ValueError).
    """
    indices, labels = np.asarray(indices), np.asarray(labels)
    classes = np.unique(labels)
    members = [indices[labels == c] for c in classes]
    ways = min(ways, len(classes))
    for _ in range(n_batches):
        picked = torch.randperm(len(classes), generator=generator)[:ways].numpy()
        batch = []
        for c in picked:
            pool = members[c]
            batch.append(pool[torch.randperm(len(pool), generator=generator)[:shots].numpy()])
        yield np.concatenate(batch)
