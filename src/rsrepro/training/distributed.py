"""Data-parallel training with PyTorch DDP, launched by ``torchrun`` when a job is given several GPUs.

Equivalence with one process: every rank draws the same global batch (same seed, same augmentation) and
takes a contiguous slice of it (the global batch size and schedule do not change); DDP averages the
gradients. Three things make one optimiser step equal the single-process step, uneven batches included:

- a rank's batch-mean loss is weighted by its share of the batch (:func:`mean_loss_weight`);
- BatchNorm layers normalise with the global batch's statistics (:class:`GlobalBatchNorm`, put in by
  :func:`wrap`);
- a loss over in-batch pairs sees every rank's rows (:func:`gather_shards`, with gradients).

The main rank alone writes files. Jobs start through :mod:`rsrepro.training.launch`.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
import torch.distributed._functional_collectives as collectives
from torch import nn

from rsrepro.training.device import pick_device

CPU = torch.device("cpu")


@dataclass(frozen=True)
class DistContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    # The device this rank trains on, which its process group serves: every collective runs on tensors of
    # it (NCCL serves CUDA tensors only, gloo the CPU's).
    device: torch.device = CPU

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


SINGLE_PROCESS = DistContext()
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def init_from_env(requested_device: str = "auto") -> DistContext:
    """Join the process group that ``torchrun`` described in the environment (no-op for one process):
    NCCL on this rank's GPU when the run trains on CUDA (``requested_device``, as the trainer's
    ``device`` setting), else gloo on the CPU."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return SINGLE_PROCESS
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(requested_device)
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    context = DistContext(rank, world_size, local_rank, device)
    die_with_launcher()
    if not context.is_main:
        logging.getLogger().setLevel(logging.WARNING)  # the main rank's log tells the run once
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return context


def die_with_launcher() -> None:
    """Stop this rank when the process that started it dies.

    torchrun starts every rank in a session of its own, so killing torchrun alone (``kill -9``, the OOM
    killer) would leave the ranks training and writing on, into the checkpoint folder of the job that
    is run again. Linux's parent-death signal ends them with it.
    """
    if not sys.platform.startswith("linux"):
        return
    launcher = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != launcher:  # it died before the signal was armed (this rank was re-parented)
        os.kill(os.getpid(), signal.SIGKILL)


def shard(batch: np.ndarray, context: DistContext) -> np.ndarray:
    """This rank's contiguous slice of a global batch (sizes differ by at most one)."""
    return np.array_split(batch, context.world_size)[context.rank]


def shard_rows(global_size: int, context: DistContext) -> slice:
    """This rank's rows of a global batch of ``global_size`` (see :func:`shard`): a slice, so taking them
    is a view, not an index copied to the device."""
    sizes = shard_sizes(global_size, context)
    start = sum(sizes[: context.rank])
    return slice(start, start + sizes[context.rank])


def shard_sizes(global_size: int, context: DistContext) -> list[int]:
    """Every rank's number of rows of a global batch of ``global_size``, in rank order."""
    return [len(part) for part in np.array_split(np.arange(global_size), context.world_size)]


def shard_size(rows: slice) -> int:
    return rows.stop - rows.start


def seed_rank_stream(seed: int, epoch: int, context: DistContext) -> None:
    """Give every rank but the main one its own stream of torch's global RNG for ``epoch``.

    Batches and augmentation come from an explicit generator that all ranks share; the global RNG draws
    dropout masks, which would otherwise repeat on every rank's slice. The main rank keeps the
    single-process stream; the others' seeds depend only on (seed, epoch, rank), so a resumed run
    draws the same masks.
    """
    if context.rank > 0:
        torch.manual_seed(int(np.random.SeedSequence([seed, epoch, context.rank]).generate_state(1)[0]))


def mean_loss_weight(local_size: int, global_size: int, context: DistContext) -> float:
    """Factor for a rank's batch-mean loss so that DDP's gradient average equals the global-batch mean."""
    return local_size * context.world_size / global_size


def barrier(context: DistContext) -> None:
    """Wait for every rank (e.g. until the main rank has prepared a folder the others read): an all-reduce
    of a token on the rank's device, which completes on no rank before every rank has sent it."""
    if context.enabled:
        token = torch.zeros(1, device=context.device)
        dist.all_reduce(token)
        if token.is_cuda:  # NCCL queues the all-reduce on the GPU: the host waits for it here
            torch.cuda.synchronize(token.device)


def mean_over_ranks(values: torch.Tensor, context: DistContext) -> torch.Tensor:
    """``values`` averaged over the ranks (logged figures of a DDP run describe the whole batch), on the
    device they are on: the rank's, which its process group serves."""
    if not context.enabled:
        return values
    total = values.clone()
    dist.all_reduce(total)
    return total / context.world_size


def all_gather_rows(tensor: torch.Tensor) -> torch.Tensor:
    """Every rank's ``tensor`` (same shape on all) stacked along dim 0 in rank order, with gradients: the
    backward pass sums each rank's gradient for a rank's rows and returns it to that rank."""
    # torch's replacement for the deprecated torch.distributed.nn.functional.all_gather (its own advice)
    return collectives.all_gather_single(tensor.contiguous(), 0, dist.group.WORLD)


def gather_shards(local: torch.Tensor, global_size: int, context: DistContext) -> torch.Tensor:
    """The global batch rebuilt from every rank's shard (sizes may differ by one), with gradients.

    A loss computed from it is the same on every rank; DDP's average of the ranks' gradients then equals
    the single-process gradient, because the gather's backward sums what each rank sends back.
    """
    if not context.enabled:
        return local
    sizes = shard_sizes(global_size, context)
    padded = torch.nn.functional.pad(local, (0, 0) * (local.dim() - 1) + (0, sizes[0] - len(local)))
    stacked = all_gather_rows(padded).view(context.world_size, sizes[0], *local.shape[1:])
    return torch.cat([stacked[rank, :size] for rank, size in enumerate(sizes)])


class GlobalBatchNorm(nn.modules.batchnorm._BatchNorm):
    """BatchNorm that normalises with the global batch's statistics in DDP training, on any device.

    ``torch.nn.SyncBatchNorm`` does the same with CUDA-only kernels, so it cannot run (or be tested) with
    gloo on a CPU. Here each rank's count, mean and centred sum of squares are gathered with gradients and
    combined exactly (Chan et al.'s pairwise update), so a rank holding few rows (or, in a masked BN, none)
    is weighted by its count. Outside DDP training it is the plain BatchNorm it replaced.
    """

    def _check_input_dim(self, input: torch.Tensor) -> None:
        if input.dim() < 2:
            raise ValueError(f"expected at least 2-D input (N x C x ...), got {input.dim()}-D")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(x)
        self._check_input_dim(x)
        shape = (1, -1) + (1,) * (x.dim() - 2)
        mean, var, count = global_moments(x)
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                factor = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
                self.running_mean.lerp_(mean, factor)
                self.running_var.lerp_(var * count / (count - 1).clamp(min=1), factor)  # unbiased, as torch
        out = (x.float() - mean.view(shape)) * torch.rsqrt(var.view(shape) + self.eps)
        if self.affine:
            out = out * self.weight.view(shape) + self.bias.view(shape)
        return out.to(x.dtype)


def global_moments(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-channel mean and biased variance of ``x`` (N x C x ...) over every rank, and the row count."""
    channels, dims = x.shape[1], [0, *range(2, x.dim())]
    x32 = x.float()
    n = x.numel() // channels
    var, mean = torch.var_mean(x32, dims, correction=0) if n else (x32.new_zeros(channels),) * 2
    count = x32.new_full((1,), n)
    m2 = var * n
    ranks = all_gather_rows(torch.cat([count, mean, m2]).unsqueeze(0))
    counts, means, m2s = ranks[:, :1], ranks[:, 1 : 1 + channels], ranks[:, 1 + channels :]
    total = counts.sum()
    global_mean = (counts * means).sum(0) / total
    global_m2 = (m2s + counts * (means - global_mean).square()).sum(0)
    return global_mean, global_m2 / total, total


def with_global_batchnorm(module: nn.Module) -> nn.Module:
    """``module`` with every BatchNorm replaced by :class:`GlobalBatchNorm` sharing its parameters and
    buffers (so optimisers and state-dict keys are unchanged); already-replaced layers are kept."""
    if isinstance(module, nn.modules.batchnorm._BatchNorm) and not isinstance(module, GlobalBatchNorm):
        replaced = GlobalBatchNorm(
            module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats
        )
        replaced.weight, replaced.bias = module.weight, module.bias
        for name in ("running_mean", "running_var", "num_batches_tracked"):
            setattr(replaced, name, getattr(module, name))
        replaced.train(module.training)
        return replaced
    for name, child in module.named_children():
        module.add_module(name, with_global_batchnorm(child))
    return module


def wrap(model: torch.nn.Module, context: DistContext) -> torch.nn.Module:
    """``model`` for training on this rank: in a DDP run, with global BatchNorm and wrapped in DDP."""
    if not context.enabled:
        return model
    with_global_batchnorm(model)
    device_ids = [context.device.index] if context.device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(model, device_ids=device_ids)
