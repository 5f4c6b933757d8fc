"""Batch augmentation on the training device (each op draws from an explicit torch Generator)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _rand(n: int, generator: torch.Generator | None) -> torch.Tensor:
    return torch.rand(n, generator=generator)


def normalize(
    x: torch.Tensor, mean: tuple[float, ...] = IMAGENET_MEAN, std: tuple[float, ...] = IMAGENET_STD
):
    m = torch.tensor(mean, device=x.device).view(1, -1, 1, 1)
    s = torch.tensor(std, device=x.device).view(1, -1, 1, 1)
    return (x - m) / s


def resize(x: torch.Tensor, size: int) -> torch.Tensor:
    if x.shape[-1] == size and x.shape[-2] == size:
        return x
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)


def random_flip(x: torch.Tensor, generator: torch.Generator | None, vertical: bool = False) -> torch.Tensor:
    flip = (_rand(len(x), generator) < 0.5).to(x.device).view(-1, 1, 1, 1)
    return torch.where(flip, x.flip(-2 if vertical else -1), x)


def random_rot90(x: torch.Tensor, generator: torch.Generator | None, choices: int = 4) -> torch.Tensor:
    """Rotate each image by k*90 degrees, k uniform in 0..choices-1 (LSE-Net's code draws k from 0..4)."""
    ks = torch.randint(choices, (len(x),), generator=generator)
    out = x.clone()
    for k in range(1, 4):
        sel = ((ks % 4) == k).nonzero().flatten().to(x.device)
        if len(sel):
            out[sel] = torch.rot90(x[sel], k, dims=(-2, -1))
    return out


def random_crop(x: torch.Tensor, size: int, generator: torch.Generator | None) -> torch.Tensor:
    """An independent random ``size`` x ``size`` crop per image (one gather, no Python loop over pixels)."""
    b, _, h, w = x.shape
    top = (_rand(b, generator) * (h - size + 1)).long().to(x.device)
    left = (_rand(b, generator) * (w - size + 1)).long().to(x.device)
    rows = (
        (top.view(b, 1) + torch.arange(size, device=x.device))
        .view(b, 1, size, 1)
        .expand(-1, x.shape[1], -1, w)
    )
    x = x.gather(2, rows)
    cols = (left.view(b, 1) + torch.arange(size, device=x.device)).view(b, 1, 1, size)
    return x.gather(3, cols.expand(-1, x.shape[1], size, -1))


def center_crop(x: torch.Tensor, size: int) -> torch.Tensor:
    top = (x.shape[-2] - size) // 2
    left = (x.shape[-1] - size) // 2
    return x[..., top : top + size, left : left + size]


def random_rotation(
    x: torch.Tensor, max_degrees: float, generator: torch.Generator | None, mode: str = "bilinear"
) -> torch.Tensor:
    """Rotate each image by an angle uniform in [0, max_degrees] (torchvision RandomRotation((0, d))),
    counter-clockwise about its centre, zeros outside; ``mode``: ``bilinear`` or ``nearest`` (torchvision's
    default interpolation)."""
    return rotate(x, _rand(len(x), generator).to(x.device) * max_degrees, mode)


def rotate(x: torch.Tensor, degrees: torch.Tensor, mode: str = "bilinear") -> torch.Tensor:
    """Rotate image ``i`` by ``degrees[i]`` counter-clockwise about its centre (zeros outside)."""
    angles = torch.deg2rad(degrees.to(x.device, torch.float32))
    cos, sin = torch.cos(angles), torch.sin(angles)
    zeros = torch.zeros_like(cos)
    theta = torch.stack([torch.stack([cos, -sin, zeros], 1), torch.stack([sin, cos, zeros], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode=mode, padding_mode="zeros", align_corners=False)


def random_brightness(x: torch.Tensor, delta: float, generator: torch.Generator | None) -> torch.Tensor:
    """Add a per-image offset uniform in [-delta, delta] (on the 0..1 scale), clamped to [0, 1]."""
    shift = (_rand(len(x), generator) * 2 - 1).to(x.device).view(-1, 1, 1, 1) * delta
    return (x + shift).clamp_(0, 1)
