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
    crop,
    flip,
    normalize,
    resize,
    uniforms,
)
from rsrepro.training.batches import load_images

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def draw_augmentation(batch: int, generator: torch.Generator) -> torch.Tensor:
    """A training batch's random numbers: crop top, crop left, flip (the transforms' order and stream)."""
    return uniforms(generator, 3, batch)


def prepare(
    x: torch.Tensor,
    sizes: dict[str, Any],
    draws: torch.Tensor | None = None,
    clip_normalisation: bool = False,
) -> torch.Tensor:
    """A float batch in [0, 1]: resized, then randomly cropped and flipped with its
    :func:`draw_augmentation` numbers (training), or centre-cropped (``draws`` None), then normalised.
    ``sizes``: ``resize`` and ``crop`` (pixels). DSVA itself uses ImageNet statistics even for the CLIP
    tower (as the released code does); the clip-rsicd attribute scorer uses CLIP's own."""
    x = resize(x, sizes["resize"])
    if draws is not None:
        x = flip(crop(x, sizes["crop"], draws[0], draws[1]), draws[2])
    else:
        x = center_crop(x, sizes["crop"])
    if clip_normalisation:
        return normalize(x, CLIP_MEAN, CLIP_STD)
    return normalize(x, IMAGENET_MEAN, IMAGENET_STD)


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
    """Rows ``batch`` of the image cache as :func:`prepare` makes them, drawing the training
    augmentation from ``generator``."""
    draws = draw_augmentation(len(batch), generator).to(device, non_blocking=True) if train else None
    return prepare(load_images(images, batch, device), sizes, draws, clip_normalisation)
