"""Batches straight from the prepared image cache (a memory-mapped uint8 array).

No DataLoader workers: a batch is one fancy-indexed read of the memmap, converted once to a tensor on
the training device, and augmented there in batch (see :mod:`rsrepro.training.augment`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import torch


def index_batches(
    indices: Sequence[int] | np.ndarray,
    batch_size: int,
    *,
    shuffle: bool,
    generator: torch.Generator | None = None,
    drop_last: bool = False,
) -> Iterator[np.ndarray]:
    """Yield arrays of dataset indices; shuffled with ``generator`` when asked (reproducible per seed)."""
    indices = np.asarray(indices)
    if shuffle:
        indices = indices[torch.randperm(len(indices), generator=generator).numpy()]
    stop = len(indices) - batch_size + 1 if drop_last else len(indices)
    for start in range(0, max(stop, 0), batch_size):
        yield indices[start : start + batch_size]


def load_images(images: np.ndarray, batch: np.ndarray, device: torch.device) -> torch.Tensor:
    """uint8 N x H x W x 3 rows ``batch`` -> float32 B x 3 x H x W in [0, 1] on ``device``."""
    order = np.argsort(batch)  # sorted reads are sequential on the memmap
    rows = np.empty((len(batch), *images.shape[1:]), dtype=np.uint8)
    rows[order] = images[batch[order]]
    x = torch.from_numpy(rows).to(device, non_blocking=True)
    return x.permute(0, 3, 1, 2).float().div_(255.0)
