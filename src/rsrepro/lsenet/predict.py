"""LSE-Net inference on prepared images: test-time batches at full size, logits and throughput."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import torch

from rsrepro.training.augment import normalize
from rsrepro.training.batches import as_float, index_batches, pins, read_ahead, read_rows
from rsrepro.training.device import autocast


@torch.no_grad()
def predict_logits(
    model: torch.nn.Module,
    images: np.ndarray,
    indices: Sequence[int],
    device: torch.device,
    *,
    batch_size: int = 128,
    amp: bool = False,
    channels_last: bool = False,
) -> tuple[np.ndarray, float]:
    """Logits (N x C, float32) of ``images[indices]`` and the throughput in images/s. The logits stay on
    the device until the last batch is done (one wait, not one per batch); on a GPU the next batch is
    read while the current one runs."""
    model.eval()
    pin = pins(device)
    outs = []
    start = time.perf_counter()
    batches = index_batches(indices, batch_size, shuffle=False)
    for host in read_ahead(batches, lambda batch: {"images": read_rows(images, batch, pin)}, ahead=pin):
        x = normalize(as_float(host["images"].to(device, non_blocking=True)))
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with autocast(device, amp):
            outs.append(model(x).float())
    logits = torch.cat(outs).cpu().numpy()
    return logits, len(indices) / max(time.perf_counter() - start, 1e-9)
