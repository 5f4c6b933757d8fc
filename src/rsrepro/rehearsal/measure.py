"""Measuring a workload (:mod:`rsrepro.rehearsal.workloads`): steady-state training rates of the trainer's
own epoch loop and of the fair baseline, evaluation rate, FLOPs per sample, peak memory and checkpoint
time; and the device's peak FLOP/s that MFU and the projection's floors divide by.
"""

from __future__ import annotations

import math
import resource
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from rsrepro.rehearsal.workloads import Workload, baseline_batches, precision_mode
from rsrepro.training.throughput import SteadyClock, synchronize

# Dense bf16 tensor-core peaks from NVIDIA's datasheets, FLOP/s, most specific name first (a name holding
# none of these is measured instead: :func:`gemm_flops`).
DATASHEET_BF16 = (
    ("H200 NVL", 835e12),
    ("H200", 989.4e12),
    ("H100 NVL", 835e12),
    ("H100 PCIe", 756.5e12),
    ("H100", 989.4e12),
    ("A100", 312e12),
)


def device_name(device: torch.device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"


def gemm_flops(device: torch.device, dtype: torch.dtype, n: int = 4096, reps: int = 10) -> float:
    """FLOP/s of an ``n`` x ``n`` matrix product in ``dtype`` (fp32 with PyTorch's defaults: no TF32
    for matmuls), the practical ceiling of dense work here."""
    a, b = (torch.randn(n, n, device=device, dtype=dtype) for _ in range(2))
    a @ b
    synchronize(device)
    start = time.perf_counter()
    for _ in range(reps):
        a @ b
    synchronize(device)
    return 2 * n**3 * reps / (time.perf_counter() - start)


def gemm_ceilings(device: torch.device) -> dict[str, float]:
    """Measured matmul FLOP/s: bf16, TF32 and fp32 on CUDA; fp32 on the CPU."""
    if device.type != "cuda":
        return {"fp32": gemm_flops(device, torch.float32, n=1024, reps=3)}
    out = {
        "bf16": gemm_flops(device, torch.bfloat16, 8192),
        "fp32": gemm_flops(device, torch.float32, 8192, 3),
    }
    previous = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = True
    try:
        out["tf32"] = gemm_flops(device, torch.float32, 8192)
    finally:
        torch.backends.cuda.matmul.allow_tf32 = previous
    return out


def device_peak(device: torch.device, ceilings: dict[str, float]) -> tuple[float, str]:
    """The peak FLOP/s MFU and floors are quoted against, and where it comes from: the datasheet's dense
    bf16 peak of a known GPU, else the fastest measured GEMM (the CPU: fp32)."""
    name = device_name(device)
    if device.type == "cuda":
        for key, flops in DATASHEET_BF16:
            if key in name:
                return flops, f"{key} datasheet, dense bf16"
    kind = max(ceilings, key=ceilings.get)
    return ceilings[kind], f"measured {kind} GEMM"


def peak_memory_mb(device: torch.device) -> float:
    """CUDA: the caching allocator's peak since its last reset; CPU: this process's peak resident set."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def steady_rate(
    step: Callable, batches: Iterator, per_step: int, device: torch.device, warmup: int, steps: int
) -> float:
    """Samples/s of ``step(*batch)`` over ``steps`` batches after ``warmup`` untimed ones
    (:class:`SteadyClock`)."""
    clock = SteadyClock(device, warmup)
    for _ in range(warmup + steps):
        step(*next(batches))
        clock.step(per_step)
    return clock.rate()


def prefetched(workers: int) -> int:
    """Batches a DataLoader holds ready before the first step (``prefetch_factor`` 2 per worker)."""
    return 2 * workers


def evaluation_rate(workload: Workload, model: torch.nn.Module, images: np.ndarray, n: int) -> float:
    """Images/s of the paper's evaluation over ``n`` images, after an untimed warm-up batch."""
    device = next(model.parameters()).device
    rows = np.arange(min(n, len(images)))
    workload.evaluate(model, images, rows[: workload.cfg["eval_batch_size"]])
    synchronize(device)
    start = time.perf_counter()
    workload.evaluate(model, images, rows)
    synchronize(device)
    return len(rows) / (time.perf_counter() - start)


def flops_per_sample(run: Callable[[], Any], samples: int) -> float:
    """FLOPs of ``run`` per sample as ``torch.utils.flop_counter`` counts them (matrix products,
    convolutions and attention, forward and backward). cuDNN is off meanwhile: its fused RNN kernel (SWAN's
    GRU on CUDA) is invisible to the counter, which counts convolutions the same either way; should an op
    have no kernel without cuDNN, the count is taken with it (less the GRU's few percent)."""
    from torch.utils.flop_counter import FlopCounterMode

    try:
        with torch.backends.cudnn.flags(enabled=False), FlopCounterMode(display=False) as counter:
            run()
    except RuntimeError:
        with FlopCounterMode(display=False) as counter:
            run()
    return counter.get_total_flops() / samples


def count_flops(
    workload: Workload, model: torch.nn.Module, optimizer: torch.optim.Optimizer, images: np.ndarray
) -> tuple[float, float | None]:
    """Per training sample (one step of the trainer's epoch loop on two of ``images``) and per evaluated
    image (two)."""
    rows, cache, generator = np.arange(2), workload.cache(images[:2]), torch.Generator().manual_seed(0)
    train = flops_per_sample(lambda: workload.epoch(model, optimizer, cache, 1, generator, batch=2), 2)
    if workload.eval_key is None:
        return train, None
    return train, flops_per_sample(lambda: workload.evaluate(model, images, rows), 2)


def checkpoint_seconds(
    workload: Workload, model: torch.nn.Module, optimizer: torch.optim.Optimizer, folder: Path
) -> float:
    """Seconds to write the trainer's after-epoch checkpoint (its EpochLoop's ``last.pt``) to ``folder``."""
    from rsrepro.training.checkpoint import save_torch

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{workload.paper}_last.pt"
    synchronize(next(model.parameters()).device)
    start = time.perf_counter()
    save_torch(workload.checkpoint(model, optimizer), path)
    seconds = time.perf_counter() - start
    path.unlink()
    return seconds


@dataclass
class Measured:
    """What :func:`measure` finds for one workload (rates in samples/s, FLOPs per sample)."""

    key: str
    precision: str
    batch: int
    first_step_s: float  # the first step's wall time: start-up work a rate must not include
    loss: float
    rate: float
    train_flops: float
    peak_mb: float  # allocated, training
    reserved_mb: float  # the allocator's reservation, training and evaluation: a job's footprint
    checkpoint_s: float
    eval_rate: float | None = None
    eval_flops: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def reserved_mb(device: torch.device) -> float:
    """CUDA: the caching allocator's peak reservation since its last reset; CPU: the peak resident set."""
    return torch.cuda.max_memory_reserved(device) / 2**20 if device.type == "cuda" else peak_memory_mb(device)


def measure(
    workload: Workload,
    images: np.ndarray,
    device: torch.device,
    *,
    warmup: int,
    steps: int,
    eval_images: int,
    scratch: Path | None,
) -> tuple[Measured, torch.nn.Module, torch.optim.Optimizer]:
    """The trainer's own epoch loop and the paper's evaluation for ``workload``, under its precision
    policy: a first one-step epoch (the smoke test: its loss must be finite), a ``warmup``-step epoch,
    then an epoch of ``steps`` + 1 whose rate the trainer's clock gives (its first step left out), peak
    memory, FLOPs per sample, a checkpoint's write time (none without ``scratch``) and the evaluation's
    rate over ``eval_images`` (none with 0). Returns the model and optimiser too."""
    reset_peak_memory(device)
    generator, cache = torch.Generator().manual_seed(0), workload.cache(images)
    with precision_mode(workload.policy, device):
        model = workload.build(device)
        optimizer = workload.optimizer(model)
        start = time.perf_counter()
        first = workload.epoch(model, optimizer, cache, 1, generator)  # its loss read: the device synced
        first_s = time.perf_counter() - start
        if not math.isfinite(first.loss):
            raise FloatingPointError(f"{workload.train_key}: the first step's loss is {first.loss}")
        if warmup:
            workload.epoch(model, optimizer, cache, warmup, generator)
        timed = workload.epoch(model, optimizer, cache, steps + 1, generator)
        peak = peak_memory_mb(device)
        train_flops, eval_flops = count_flops(workload, model, optimizer, images)
        measured = Measured(
            workload.train_key,
            workload.precision(device),
            workload.batch,
            first_s,
            first.loss,
            timed.record["rate"],
            train_flops,
            peak,
            0.0,
            checkpoint_seconds(workload, model, optimizer, scratch) if scratch else 0.0,
        )
        if workload.eval_key is not None and eval_images:
            measured.eval_rate = evaluation_rate(workload, model, images, eval_images)
            measured.eval_flops = eval_flops
    measured.reserved_mb = reserved_mb(device)
    return measured, model, optimizer


def baseline_rate(
    workload: Workload, images: np.ndarray, device: torch.device, *, workers: int, warmup: int, steps: int
) -> float:
    """Samples/s of a fresh fp32 eager model of the workload's architecture fed by a torchvision
    DataLoader (``workers`` processes, pinned memory on CUDA), timed once its prefetched batches are
    used up (``warmup`` more steps after them), under PyTorch's default math modes."""
    with precision_mode(None, device):
        model = workload.build_baseline(device)
        optimizer = workload.optimizer(model)
        batches = baseline_batches(workload, images, workers, device)
        step = workload.baseline_step(model, optimizer)
        return steady_rate(step, batches, workload.batch, device, prefetched(workers) + warmup, steps)
