"""Batch augmentation on the training device, from random numbers drawn before the batch is touched.

A pipeline draws all of a batch's random numbers at once from the run's CPU generator
(:func:`uniforms`, in the order the transforms use them, so the stream is the one a transform-by-transform
draw gives), and they reach the device in the batch's one host-to-device copy; the transforms below then
take them as device tensors. So an augmentation never copies a scalar to the device, never reads one back
(no host sync), and whether the batch was read ahead (:mod:`rsrepro.training.batches`) changes nothing.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from rsrepro.training.device import device_constant

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def uniforms(generator: torch.Generator | None, rows: int, batch: int) -> torch.Tensor:
    """``rows`` x ``batch`` floats uniform in [0, 1): the same numbers as ``rows`` calls of
    ``torch.rand(batch)`` on the generator (the CPU generator fills a tensor in order)."""
    return torch.rand(rows * batch, generator=generator).view(rows, batch)


def normalize(
    x: torch.Tensor, mean: tuple[float, ...] = IMAGENET_MEAN, std: tuple[float, ...] = IMAGENET_STD
) -> torch.Tensor:
    shape = (1, -1, 1, 1)
    return (x - device_constant(mean, x.device).view(shape)) / device_constant(std, x.device).view(shape)


def resize(x: torch.Tensor, size: int) -> torch.Tensor:
    if x.shape[-1] == size and x.shape[-2] == size:
        return x
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)


def flip(x: torch.Tensor, u: torch.Tensor, vertical: bool = False) -> torch.Tensor:
    """Mirror image ``i`` where ``u[i] < 0.5`` (torchvision's RandomHorizontalFlip / RandomVerticalFlip)."""
    return torch.where((u < 0.5).view(-1, 1, 1, 1), x.flip(-2 if vertical else -1), x)


def rot90(x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Rotate square image ``i`` by ``k[i]`` x 90 degrees (``k`` may exceed 3: LSE-Net's code draws 0..4).
    A select per quarter turn, not an index of the images each one applies to (that would be a host sync)."""
    quarter = (k % 4).view(-1, 1, 1, 1)
    out = x
    for turns in range(1, 4):
        out = torch.where(quarter == turns, torch.rot90(x, turns, dims=(-2, -1)), out)
    return out


def crop(x: torch.Tensor, size: int, u_top: torch.Tensor, u_left: torch.Tensor) -> torch.Tensor:
    """A ``size`` x ``size`` window per image at offsets ``floor(u x (free + 1))`` (one gather per axis)."""
    b, _, h, w = x.shape
    top = (u_top * (h - size + 1)).long()
    left = (u_left * (w - size + 1)).long()
    offsets = torch.arange(size, device=x.device)
    rows = (top.view(b, 1) + offsets).view(b, 1, size, 1).expand(-1, x.shape[1], -1, w)
    x = x.gather(2, rows)
    cols = (left.view(b, 1) + offsets).view(b, 1, 1, size)
    return x.gather(3, cols.expand(-1, x.shape[1], size, -1))


def center_crop(x: torch.Tensor, size: int) -> torch.Tensor:
    top = (x.shape[-2] - size) // 2
    left = (x.shape[-1] - size) // 2
    return x[..., top : top + size, left : left + size]


def rotation(x: torch.Tensor, max_degrees: float, u: torch.Tensor, mode: str = "bilinear") -> torch.Tensor:
    """Rotate image ``i`` by ``u[i]`` x ``max_degrees`` (torchvision's RandomRotation((0, d))),
    counter-clockwise about its centre, zeros outside; ``mode``: ``bilinear`` or ``nearest`` (torchvision's
    default)."""
    return rotate(x, u * max_degrees, mode)


def rotate(x: torch.Tensor, degrees: torch.Tensor, mode: str = "bilinear") -> torch.Tensor:
    """Rotate image ``i`` by ``degrees[i]`` counter-clockwise about its centre (zeros outside)."""
    angles = torch.deg2rad(degrees.to(x.device, torch.float32))
    cos, sin = torch.cos(angles), torch.sin(angles)
    zeros = torch.zeros_like(cos)
    theta = torch.stack([torch.stack([cos, -sin, zeros], 1), torch.stack([sin, cos, zeros], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)


def brightness(x: torch.Tensor, delta: float, u: torch.Tensor) -> torch.Tensor:
    """Add ``(2 u[i] - 1) x delta`` to image ``i`` (on the 0..1 scale), clamped to [0, 1]."""
    return (x + (u * 2 - 1).view(-1, 1, 1, 1) * delta).clamp_(0, 1)
