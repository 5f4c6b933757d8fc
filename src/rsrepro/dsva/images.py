"""Image batches for DSVA and its attribute collection: the original's Resize -> (Random|Center)Crop ->
flip, scaled to the preset (paper 256 -> 224; embedded 64 -> 56, the same 7/8 ratio), then normalised."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from rsrepro.training.augment import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    center_crop,
    normalize,
    random_crop,
    random_flip,
    resize,
)
from rsrepro.training.batches import load_images

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def image_batch(
    images: np.ndarray,
    batch: np.ndarray,
    device: torch.device,
    sizes: dict[str, Any],
    *,
    train: bool,
    generator: torch.Generator | None = None,
    clip_normalisation: bool = False,
) -> torch.Tensor:
    """``sizes``: ``resize`` and ``crop`` (pixels). DSVA itself uses ImageNet statistics even for the CLIP
    tower (as the released code does); the clip-rsicd attribute scorer uses CLIP's own."""
    x = resize(load_images(images, batch, device), sizes["resize"])
    if train:
        x = random_flip(random_crop(x, sizes["crop"], generator), generator)
    else:
        x = center_crop(x, sizes["crop"])
    if clip_normalisation:
        return normalize(x, CLIP_MEAN, CLIP_STD)
    return normalize(x, IMAGENET_MEAN, IMAGENET_STD)
