"""Land-cover materials and their procedural textures (vectorised numpy, size-independent).

Every pixel of a scene carries one material id (an index into ``MATERIALS``); attributes are computed from
that label map, so a material here is both a look and a semantic category.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image

MATERIALS = (
    "grass",
    "crops",
    "trees",
    "sand",
    "water",
    "soil",
    "asphalt",
    "concrete",
    "roof",
    "metal",
    "gravel",
    "court",
)
MATERIAL_ID = {name: i for i, name in enumerate(MATERIALS)}


@dataclass(frozen=True)
class Look:
    colour: tuple[int, int, int]
    mottle: float  # amplitude of coarse (patchy) brightness variation
    grain: float  # amplitude of fine, per-pixel grain


LOOKS = {
    "grass": Look((92, 128, 62), 0.16, 0.07),
    "crops": Look((110, 140, 60), 0.08, 0.05),
    "trees": Look((45, 78, 38), 0.18, 0.22),
    "sand": Look((214, 196, 150), 0.07, 0.04),
    "water": Look((48, 86, 112), 0.08, 0.02),
    "soil": Look((150, 122, 94), 0.14, 0.08),
    "asphalt": Look((84, 86, 90), 0.05, 0.06),
    "concrete": Look((172, 170, 164), 0.05, 0.04),
    "roof": Look((150, 80, 64), 0.0, 0.03),
    "metal": Look((200, 202, 205), 0.0, 0.02),
    "gravel": Look((128, 118, 104), 0.05, 0.14),
    "court": Look((70, 130, 80), 0.0, 0.02),
}


@lru_cache(maxsize=8)
def unit_grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates in [0, 1] (x, y), cached per image size."""
    t = (np.arange(size, dtype=np.float32) + 0.5) / size
    return np.meshgrid(t, t)


def noise(size: int, cells: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth value noise in [-1, 1] with ``cells`` features across the image, size x size float32."""
    cells = max(1, min(cells, size))
    grid = rng.uniform(-1.0, 1.0, (cells + 1, cells + 1)).astype(np.float32)
    return np.asarray(Image.fromarray(grid, mode="F").resize((size, size), Image.Resampling.BILINEAR))


def render_texture(
    material: str,
    size: int,
    rng: np.random.Generator,
    *,
    colour: tuple[int, int, int] | None = None,
    stripe_angle: float | None = None,
    stripe_period: float = 0.04,
    stripe_amp: float = 0.18,
    stripe_warp: float = 0.0,
) -> np.ndarray:
    """A size x size x 3 float32 texture of ``material``; optional stripes (crop rows, dune ripples).

    ``stripe_period`` is relative to the image side but never below 3 px, so small images alias less.
    """
    look = LOOKS[material]
    base = np.asarray(colour or look.colour, dtype=np.float32)
    lum = look.mottle * noise(size, 5, rng)
    if look.grain:
        lum += look.grain * noise(size, 48, rng)
    if stripe_angle is not None:
        x, y = unit_grid(size)
        period = max(stripe_period, 3.0 / size)
        phase = (x * np.cos(stripe_angle) + y * np.sin(stripe_angle)) / period
        if stripe_warp:
            phase += stripe_warp * noise(size, 3, rng)
        lum += stripe_amp * np.sin(2 * np.pi * phase)
    # A faint independent tint per channel keeps large areas from looking flat.
    tint = 1.0 + 0.025 * rng.standard_normal(3).astype(np.float32)
    return base * tint * (1.0 + lum)[..., None]
