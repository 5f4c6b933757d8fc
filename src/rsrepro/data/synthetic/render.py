"""Render one scene of a class: drawing, key mask, captions and attributes together."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .attributes import compute_attributes
from .canvas import Canvas, DrawnObject
from .captions import make_captions
from .scenes import CLASSES, RECIPES

# Below this size scenes are drawn larger and averaged down: PIL shapes are not anti-aliased and
# one-pixel details would otherwise vanish or turn blocky.
MIN_DRAW_SIZE = 64


@dataclass(frozen=True)
class Scene:
    class_index: int
    image: np.ndarray  # H x W x 3 uint8 RGB
    key_mask: np.ndarray  # H x W bool: where class-defining elements were drawn
    captions: list[str]
    attributes: np.ndarray  # float32 [len(ATTRIBUTE_NAMES)]
    objects: list[DrawnObject]

    @property
    def class_name(self) -> str:
        return CLASSES[self.class_index]


def _downsample(image: np.ndarray, key: np.ndarray, factor: int) -> tuple[np.ndarray, np.ndarray]:
    s = image.shape[0] // factor
    blocks = image.reshape(s, factor, s, factor, 3).astype(np.float32).mean((1, 3))
    # A pixel is key when a quarter of it was: keeps small key objects (cars, tanks) visible in the mask.
    key_frac = key.reshape(s, factor, s, factor).mean((1, 3))
    return np.round(blocks).astype(np.uint8), key_frac >= 0.25


def render_scene(class_index: int, image_size: int, rng: np.random.Generator) -> Scene:
    """Draw one image of ``CLASSES[class_index]`` at ``image_size`` x ``image_size`` from ``rng``."""
    if not 0 <= class_index < len(CLASSES):
        raise ValueError(f"class_index {class_index} outside 0..{len(CLASSES) - 1}")
    if image_size < 8:
        raise ValueError(f"image_size {image_size} is too small to draw a scene (need >= 8)")
    factor = math.ceil(MIN_DRAW_SIZE / image_size)
    canvas = Canvas(image_size * factor, rng)
    RECIPES[CLASSES[class_index]](canvas)
    image, materials, key = canvas.finish()
    attributes = compute_attributes(image, materials, canvas.objects, canvas.striped_fraction)
    if factor > 1:
        image, key = _downsample(image, key, factor)
    captions = make_captions(canvas.setting, canvas.objects, canvas.relations, rng)
    return Scene(class_index, image, key, captions, attributes, canvas.objects)
