"""Device choice, precision and seeding."""

from __future__ import annotations

import contextlib
import functools
import random

import numpy as np
import torch

from rsrepro.errors import RsreproError


def pick_device(requested: str = "auto") -> torch.device:
    """``auto`` takes the GPU when there is one; ``cuda`` without a GPU is an error, not a silent CPU run."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise RsreproError(
            f"device {requested!r} asked for, but no CUDA GPU is visible; set device: auto or cpu"
        )
    return torch.device(requested)


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a torch Generator for the caller's own sampling."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def autocast(device: torch.device, amp: bool) -> contextlib.AbstractContextManager:
    """bf16 autocast on CUDA when ``amp`` is set; full precision elsewhere (the CPU runs fp32)."""
    if amp and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


@functools.cache
def device_constant(values: tuple[float, ...] | tuple[int, ...], device: torch.device) -> torch.Tensor:
    """A tensor of fixed ``values`` on ``device``, made once: built from Python values at each use, it
    would be copied to a GPU each time, and the host would wait for the copy."""
    return torch.tensor(values, device=device)
