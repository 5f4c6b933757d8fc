"""LSE-Net inference on prepared images: test-time batches at full size, logits and throughput."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import torch

from rsrepro.training.augment import normalize
from rsrepro.training.batches import index_batches, load_images
from rsrepro.training.device import autocast


def prepare_batch(images: np.ndarray, batch: np.ndarray, device: torch.device, channels_last: bool):
    x = normalize(load_images(images, batch, device))
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


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
    """Logits (N x C, float32) of ``images[indices]`` and the throughput in images/s."""
    model.eval()
    outs = []
    start = time.perf_counter()
    for batch in index_batches(indices, batch_size, shuffle=False):
        with autocast(device, amp):
            outs.append(model(prepare_batch(images, batch, device, channels_last)).float().cpu())
    if device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    return torch.cat(outs).numpy(), len(indices) / max(seconds, 1e-9)
