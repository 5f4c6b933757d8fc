"""Training throughput from steady-state steps, as the trainers record it and the benchmarks measure it.

A loop's first steps pay once for what later steps reuse (CUDA context and kernels, cuDNN and cuBLAS
set-up, the caching allocator's growth, a DataLoader's first batches); counting them makes a GPU look
10-100x slower than it is over a real run. :class:`SteadyClock` leaves the first ``warmup`` steps out of
the rate and synchronises the device only where its timed window opens and where the rate is read, so
the steps in between run exactly as untimed steps do (no extra host syncs).
"""

from __future__ import annotations

import time

import torch


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work (CUDA runs asynchronously; the CPU has nothing to wait for)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class SteadyClock:
    """Samples per second of a loop's steps after its first ``warmup`` steps.

    Call :meth:`step` after each step with the samples it processed; :meth:`record` then gives the
    steady-state figures. ``all_*`` count every step, warm-up included (what the loop took).
    """

    def __init__(self, device: torch.device, warmup: int = 1) -> None:
        self.device, self.warmup = device, warmup
        self.steps = self.samples = self.all_samples = 0
        synchronize(device)
        self.started = self.opened = time.perf_counter()

    def step(self, samples: int) -> None:
        self.steps += 1
        self.all_samples += samples
        if self.steps == self.warmup:
            synchronize(self.device)
            self.opened = time.perf_counter()
        elif self.steps > self.warmup:
            self.samples += samples

    def seconds(self) -> float:
        """Seconds of the timed steps (the device synchronised first)."""
        synchronize(self.device)
        return time.perf_counter() - self.opened if self.samples else 0.0

    def rate(self) -> float:
        """Steady-state samples per second (0.0 before any step past the warm-up)."""
        seconds = self.seconds()
        return self.samples / seconds if self.samples else 0.0

    def record(self, rate_key: str) -> dict[str, float]:
        """An epoch record's throughput: ``rate_key`` over the steady-state steps (an epoch too short to
        have any: over all its steps), ``steady_samples`` and ``steady_seconds`` (what a projection sums
        over epochs and runs), and ``train_samples`` and ``train_seconds`` over every step."""
        steady = self.seconds()
        total = time.perf_counter() - self.started
        rate = self.samples / steady if self.samples else self.all_samples / max(total, 1e-9)
        return {
            rate_key: rate,
            "steady_samples": self.samples,
            "steady_seconds": steady,
            "train_samples": self.all_samples,
            "train_seconds": total,
        }
