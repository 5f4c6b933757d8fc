"""Batches straight from the prepared image cache (a memory-mapped uint8 array).

No DataLoader workers: a batch is one fancy-indexed read of the memmap, copied once to the training device
as uint8 and converted there, then augmented there in batch (see :mod:`rsrepro.training.augment`).

On a GPU the next batch is read while the current one trains (:func:`read_ahead`), into pinned memory, so
its copy to the device is asynchronous: the host never waits for the GPU. On the CPU batches are read in
turn, as there is nothing to overlap with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

import numpy as np
import torch

Plan = TypeVar("Plan")
HostBatch = dict[str, torch.Tensor]


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


def pins(device: torch.device) -> bool:
    """Whether batches for ``device`` go through pinned memory and are read ahead (CUDA only)."""
    return device.type == "cuda"


def host_tensor(values: np.ndarray | torch.Tensor, pin: bool) -> torch.Tensor:
    """``values`` as a CPU tensor, in pinned memory when ``pin`` (the source of an asynchronous copy)."""
    tensor = torch.as_tensor(values)
    return tensor.pin_memory() if pin else tensor


def read_rows(images: np.ndarray, batch: np.ndarray, pin: bool = False) -> torch.Tensor:
    """uint8 B x H x W x 3 rows ``batch`` of ``images``, in batch order, read in sorted order (sequential
    on the memmap) straight into pinned memory when ``pin``."""
    rows = torch.empty((len(batch), *images.shape[1:]), dtype=torch.uint8, pin_memory=pin)
    order = np.argsort(batch)
    rows.numpy()[order] = images[batch[order]]
    return rows


def to_device(batch: Mapping[str, torch.Tensor], device: torch.device) -> HostBatch:
    """Each tensor of a host batch on ``device``; asynchronous from pinned memory."""
    return {name: tensor.to(device, non_blocking=True) for name, tensor in batch.items()}


def as_float(rows: torch.Tensor) -> torch.Tensor:
    """uint8 B x H x W x 3 -> float32 B x 3 x H x W in [0, 1], on the device ``rows`` are on."""
    return rows.permute(0, 3, 1, 2).float().div_(255.0)


def load_images(images: np.ndarray, batch: np.ndarray, device: torch.device) -> torch.Tensor:
    """uint8 N x H x W x 3 rows ``batch`` -> float32 B x 3 x H x W in [0, 1] on ``device``."""
    return as_float(read_rows(images, batch, pins(device)).to(device, non_blocking=True))


def read_ahead(plans: Iterable[Plan], read: Callable[[Plan], HostBatch], ahead: bool) -> Iterator[HostBatch]:
    """``read(plan)`` for each plan, the next one read in a background thread while the caller works on
    the current one when ``ahead``.

    The plans are drawn here, in the caller's thread and in order (drawing may use the run's generator,
    which must see the same sequence of draws either way); only the reads (memmap rows into pinned
    memory) run beside the training step.
    """
    if not ahead:
        yield from map(read, plans)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="batch-reader") as pool:
        pending: Future[HostBatch] | None = None
        try:
            for plan in plans:
                following = pool.submit(read, plan)
                if pending is not None:
                    yield pending.result()
                pending = following
            if pending is not None:
                yield pending.result()
        finally:
            if pending is not None:
                pending.cancel()
