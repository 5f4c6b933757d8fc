"""Data-parallel training with PyTorch DDP, launched by ``torchrun`` when a job is given several GPUs.

Equivalence with one process: every rank takes a contiguous slice of the same global batch (the global
batch size and schedule do not change), DDP averages the gradients, and a rank's mean loss is weighted by
its share of the batch (:func:`mean_loss_weight`), so one optimiser step equals the single-process step
even when the batch does not divide evenly. The main rank alone writes files. Jobs start through
:mod:`rsrepro.training.launch`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


SINGLE_PROCESS = DistContext()


def init_from_env() -> DistContext:
    """Join the process group that ``torchrun`` described in the environment (no-op for one process)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return SINGLE_PROCESS
    context = DistContext(int(os.environ["RANK"]), world_size, int(os.environ.get("LOCAL_RANK", "0")))
    if not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        if backend == "nccl":
            torch.cuda.set_device(context.local_rank)
        dist.init_process_group(backend=backend)
    return context


def shard(batch: np.ndarray, context: DistContext) -> np.ndarray:
    """This rank's contiguous slice of a global batch (sizes differ by at most one)."""
    return np.array_split(batch, context.world_size)[context.rank]


def mean_loss_weight(local_size: int, global_size: int, context: DistContext) -> float:
    """Factor for a rank's batch-mean loss so that DDP's gradient average equals the global-batch mean."""
    return local_size * context.world_size / global_size


def barrier(context: DistContext) -> None:
    """Wait for every rank (e.g. until the main rank has prepared a folder the others read)."""
    if context.enabled:
        dist.barrier()


def mean_over_ranks(values: dict[str, float], context: DistContext) -> dict[str, float]:
    """Each value averaged over the ranks (logged figures of a DDP run describe the whole batch)."""
    if not context.enabled or not values:
        return values
    tensor = torch.tensor(list(values.values()), dtype=torch.float64)
    dist.all_reduce(tensor)
    return dict(zip(values, (tensor / context.world_size).tolist(), strict=True))


def wrap(model: torch.nn.Module, context: DistContext) -> torch.nn.Module:
    if not context.enabled:
        return model
    device_ids = [context.local_rank] if torch.cuda.is_available() else None
    return torch.nn.parallel.DistributedDataParallel(model, device_ids=device_ids)
