"""The drawing surface of one scene: land-cover regions first, then objects on top.

Coordinates are relative ([0, 1] across the image, y down) so a recipe draws the same scene at any size.
Two layers are kept in step with the RGB image: a region map (which texture fills a pixel) and a label map
(material id in the low 7 bits, bit 7 set where a class-defining "key" element was drawn).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

from .textures import MATERIAL_ID, render_texture

Point = tuple[float, float]
KEY_BIT = 128

# Named colours: objects are drawn in (a slight jitter of) these, so captions can name them truthfully.
PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (176, 58, 46),
    "orange": (206, 118, 52),
    "brown": (122, 84, 58),
    "beige": (200, 184, 150),
    "yellow": (214, 190, 70),
    "white": (232, 232, 228),
    "grey": (150, 152, 154),
    "dark grey": (78, 80, 84),
    "black": (34, 34, 36),
    "blue": (58, 96, 168),
    "light blue": (110, 170, 206),
    "green": (70, 138, 70),
    "light green": (130, 176, 90),
    "dark green": (40, 72, 36),
}

POSITIONS = (
    ("top left", "top", "top right"),
    ("left", "center", "right"),
    ("bottom left", "bottom", "bottom right"),
)


def position_word(x: float, y: float) -> str:
    """The 3 x 3 grid cell of a relative point, as a word ("top left", "center", ...)."""
    col = min(2, max(0, int(x * 3)))
    row = min(2, max(0, int(y * 3)))
    return POSITIONS[row][col]


@dataclass(frozen=True)
class DrawnObject:
    """One thing drawn in a scene (a house, a tank, a road, a field): what captions and attributes see.

    ``position`` is a 3 x 3 grid word ("top left", "center", ...) or "across" for objects spanning most of
    the image. ``box`` is the relative axis-aligned bounding box (x0, y0, x1, y1); ``area`` the relative
    area actually covered; ``shape`` one of linear / circular / rectangular / irregular; ``arranged``
    whether it was placed in a regular grid or row.
    """

    kind: str
    colour: str
    position: str
    box: tuple[float, float, float, float]
    area: float
    shape: str
    key: bool
    arranged: bool = False


@dataclass
class _Region:
    material: str
    key: bool
    texture: dict = field(default_factory=dict)


class Canvas:
    """Draw regions (textured land cover), call :meth:`paint`, then draw objects."""

    def __init__(self, size: int, rng: np.random.Generator) -> None:
        self.size = size
        self.rng = rng
        self.objects: list[DrawnObject] = []
        self.setting: list[str] = []  # synonyms describing the whole scene, for captions
        self.relations: dict[str, list[str]] = {}  # kind -> phrases like "along the river"
        self.striped_fraction = 0.0
        self._regions: list[_Region] = []
        self._region_map = Image.new("L", (size, size), 0)
        self._region_draw = ImageDraw.Draw(self._region_map)
        self.image: Image.Image | None = None

    # -- geometry ---------------------------------------------------------------------------------------
    def px(self, points: Sequence[Point]) -> list[tuple[float, float]]:
        s = self.size
        return [(x * s, y * s) for x, y in points]

    def _draw(self, draw: ImageDraw.ImageDraw, geom: tuple, fill) -> None:
        kind = geom[0]
        if kind == "poly":
            draw.polygon(self.px(geom[1]), fill=fill)
        elif kind == "ellipse":
            x0, y0, x1, y1 = (v * self.size for v in geom[1])
            draw.ellipse((x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)), fill=fill)
        elif kind == "line":
            width = max(1, round(geom[2] * self.size))
            draw.line(self.px(geom[1]), fill=fill, width=width, joint="curve")
        else:
            raise ValueError(f"unknown geometry {kind!r}")

    # -- land cover ------------------------------------------------------------------------------------
    def background(self, material: str, *, key: bool = False, **texture) -> None:
        self._regions = [_Region(material, key, texture)]

    def region(self, material: str, geom: tuple, *, key: bool = False, **texture) -> None:
        """Fill ``geom`` with a textured material; later regions cover earlier ones."""
        self._regions.append(_Region(material, key, texture))
        self._draw(self._region_draw, geom, len(self._regions) - 1)

    def paint(self) -> None:
        """Render the region textures into the RGB image and start the object layer."""
        size = self.size
        regions = np.asarray(self._region_map)
        rgb = np.empty((size, size, 3), dtype=np.float32)
        lut = np.zeros(256, dtype=np.uint8)
        striped = 0
        for i, reg in enumerate(self._regions):
            mask = regions == i
            if not mask.any():
                continue
            rgb[mask] = render_texture(reg.material, size, self.rng, **reg.texture)[mask]
            lut[i] = MATERIAL_ID[reg.material] | (KEY_BIT if reg.key else 0)
            if reg.texture.get("stripe_angle") is not None:
                striped += int(mask.sum())
        self.striped_fraction = striped / size**2
        self.image = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
        self.labels = Image.fromarray(lut[regions])
        self._rgb_draw = ImageDraw.Draw(self.image, "RGBA")
        self._label_draw = ImageDraw.Draw(self.labels)

    # -- objects ---------------------------------------------------------------------------------------
    def colour(self, name: str, jitter: float = 10.0) -> tuple[int, int, int]:
        """The RGB of a palette colour with a small random jitter (the name stays true)."""
        base = np.asarray(PALETTE[name], dtype=np.float32) + self.rng.normal(0, jitter, 3)
        return tuple(int(v) for v in np.clip(base, 0, 255))

    def shape(self, geom: tuple, rgb: tuple[int, int, int], material: str, *, key: bool = False) -> None:
        """Draw a solid shape on the image and label layers."""
        self._draw(self._rgb_draw, geom, rgb)
        self._draw(self._label_draw, geom, MATERIAL_ID[material] | (KEY_BIT if key else 0))

    def paint_only(self, geom: tuple, rgba: tuple[int, ...]) -> None:
        """Draw on the image alone (shadows, markings that do not change the material)."""
        self._draw(self._rgb_draw, geom, rgba)

    def record(
        self,
        kind: str,
        colour: str,
        points: Sequence[Point],
        area: float,
        shape: str,
        *,
        key: bool,
        arranged: bool = False,
    ) -> None:
        """Register a drawn object from its outline points (relative)."""
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        box = (max(0.0, min(xs)), max(0.0, min(ys)), min(1.0, max(xs)), min(1.0, max(ys)))
        if box[2] - box[0] > 0.6 or box[3] - box[1] > 0.6:
            position = "across"  # extends over most of the image: no single place to name
        else:
            position = position_word((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        self.objects.append(DrawnObject(kind, colour, position, box, area, shape, key, arranged))

    def finish(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """RGB uint8 with a global illumination jitter, material ids, key mask."""
        rgb = np.asarray(self.image, dtype=np.float32)
        gain = 1.0 + self.rng.normal(0, 0.03, 3).astype(np.float32) + self.rng.normal(0, 0.06)
        image = np.clip(rgb * gain, 0, 255).astype(np.uint8)
        labels = np.asarray(self.labels)
        return image, labels & (KEY_BIT - 1), (labels & KEY_BIT) > 0
