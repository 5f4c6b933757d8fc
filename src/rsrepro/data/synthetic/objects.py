"""Object drawers: each draws one object on a :class:`Canvas` (shadow, body, details) and records it.

Sizes and positions are relative to the image side. Shadows fall to the bottom right (sun at top left)
and are drawn on the image only, so they never change the material under them.
"""

from __future__ import annotations

import math

import numpy as np

from .canvas import Canvas, Point

SHADOW = (0, 0, 0, 90)


def rotated_rect(cx: float, cy: float, w: float, h: float, angle: float) -> list[Point]:
    """Corners of a w x h rectangle centred on (cx, cy), rotated by ``angle`` radians."""
    c, s = math.cos(angle), math.sin(angle)
    return [
        (cx + dx * c - dy * s, cy + dx * s + dy * c)
        for dx, dy in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2))
    ]


def blob(
    cx: float, cy: float, r: float, rng: np.random.Generator, rough: float = 0.25, n: int = 24
) -> list[Point]:
    """An irregular closed outline around (cx, cy) of mean radius ``r`` (lakes, islands, bunkers)."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    k = np.arange(1, 4)[:, None]
    wobble = (rng.normal(0, rough, (3, 1)) / k * np.cos(k * t + rng.uniform(0, 2 * np.pi, (3, 1)))).sum(0)
    radius = r * (1 + wobble)
    return list(zip((cx + radius * np.cos(t)).tolist(), (cy + radius * np.sin(t)).tolist(), strict=True))


def shifted(points: list[Point], d: float) -> list[Point]:
    return [(x + d, y + d) for x, y in points]


def darker(rgb: tuple[int, int, int], f: float = 0.7) -> tuple[int, int, int]:
    return tuple(int(v * f) for v in rgb)


def house(
    cv: Canvas,
    cx: float,
    cy: float,
    w: float,
    h: float,
    angle: float,
    colour: str,
    *,
    kind: str = "house",
    key: bool = True,
    arranged: bool = True,
) -> None:
    """A pitched-roof building: shadow, roof, darker ridge along the long side."""
    pts = rotated_rect(cx, cy, w, h, angle)
    rgb = cv.colour(colour)
    cv.paint_only(("poly", shifted(pts, 0.25 * min(w, h))), SHADOW)
    cv.shape(("poly", pts), rgb, "roof", key=key)
    ridge = rotated_rect(cx, cy, w * 0.9, max(h * 0.08, 0.6 / cv.size), angle)
    cv.paint_only(("poly", ridge), (*darker(rgb), 255))
    cv.record(kind, colour, pts, w * h, "rectangular", key=key, arranged=arranged)


def flat_building(
    cv: Canvas,
    cx: float,
    cy: float,
    w: float,
    h: float,
    angle: float,
    colour: str,
    *,
    kind: str,
    key: bool,
    material: str = "roof",
) -> None:
    """A large flat-roofed building with a few rooftop units (commercial, warehouse, terminal)."""
    pts = rotated_rect(cx, cy, w, h, angle)
    rgb = cv.colour(colour)
    cv.paint_only(("poly", shifted(pts, 0.12 * min(w, h))), SHADOW)
    cv.shape(("poly", pts), rgb, material, key=key)
    unit = 0.12 * min(w, h)
    for _ in range(int(cv.rng.integers(1, 5))):
        ux, uy = cv.rng.uniform(-0.35, 0.35, 2)
        c, s = math.cos(angle), math.sin(angle)
        px, py = cx + ux * w * c - uy * h * s, cy + ux * w * s + uy * h * c
        cv.paint_only(("poly", rotated_rect(px, py, unit, unit, angle)), (*darker(rgb, 0.8), 255))
    cv.record(kind, colour, pts, w * h, "rectangular", key=key, arranged=False)


def tank(
    cv: Canvas, cx: float, cy: float, r: float, colour: str, *, key: bool = True, arranged: bool = False
) -> None:
    """A round storage tank: shadow, shell, darker inner roof ring."""
    rgb = cv.colour(colour, 6)
    box = (cx - r, cy - r, cx + r, cy + r)
    cv.paint_only(("ellipse", tuple(v + 0.4 * r for v in box)), SHADOW)
    cv.shape(("ellipse", box), rgb, "metal", key=key)
    q = 0.65 * r
    cv.paint_only(("ellipse", (cx - q, cy - q, cx + q, cy + q)), (*darker(rgb, 0.88), 255))
    cv.record(
        "storage tank", colour, [box[:2], box[2:]], math.pi * r * r, "circular", key=key, arranged=arranged
    )


def car(
    cv: Canvas, cx: float, cy: float, length: float, angle: float, colour: str, *, key: bool, arranged: bool
) -> None:
    pts = rotated_rect(cx, cy, length, 0.48 * length, angle)
    cv.shape(("poly", pts), cv.colour(colour), "metal", key=key)
    cv.record("car", colour, pts, 0.48 * length**2, "rectangular", key=key, arranged=arranged)


def boat(
    cv: Canvas,
    cx: float,
    cy: float,
    length: float,
    angle: float,
    colour: str,
    *,
    key: bool = True,
    arranged: bool = False,
) -> None:
    """A hull pointed at the bow, with a lighter cabin."""
    w = 0.32 * length
    c, s = math.cos(angle), math.sin(angle)
    local = ((-0.5, -0.5), (0.25, -0.5), (0.5, 0.0), (0.25, 0.5), (-0.5, 0.5))
    pts = [(cx + dx * length * c - dy * w * s, cy + dx * length * s + dy * w * c) for dx, dy in local]
    rgb = cv.colour(colour)
    cv.paint_only(("poly", shifted(pts, 0.2 * w)), SHADOW)
    cv.shape(("poly", pts), rgb, "metal", key=key)
    cabin = rotated_rect(cx - 0.1 * length * c, cy - 0.1 * length * s, 0.3 * length, 0.55 * w, angle)
    cv.paint_only(("poly", cabin), (235, 235, 235, 255))
    cv.record("boat", colour, pts, 0.8 * length * w, "irregular", key=key, arranged=arranged)


def plane(
    cv: Canvas, cx: float, cy: float, span: float, angle: float, colour: str, *, key: bool = True
) -> None:
    """An airliner seen from above: fuselage, swept wings, tail plane."""
    c, s = math.cos(angle), math.sin(angle)

    def tr(local: tuple[tuple[float, float], ...]) -> list[Point]:
        return [(cx + (dx * c - dy * s) * span, cy + (dx * s + dy * c) * span) for dx, dy in local]

    fuselage = tr(((-0.5, -0.05), (0.45, -0.05), (0.52, 0.0), (0.45, 0.05), (-0.5, 0.05)))
    wings = tr(((0.12, 0.0), (-0.12, -0.5), (-0.22, -0.5), (-0.06, 0.0), (-0.22, 0.5), (-0.12, 0.5)))
    tail = tr(((-0.36, 0.0), (-0.48, -0.18), (-0.52, -0.18), (-0.46, 0.0), (-0.52, 0.18), (-0.48, 0.18)))
    rgb = cv.colour(colour, 6)
    for part in (fuselage, wings, tail):
        cv.paint_only(("poly", shifted(part, 0.06 * span)), SHADOW)
    for part in (fuselage, wings, tail):
        cv.shape(("poly", part), rgb, "metal", key=key)
    cv.record("airplane", colour, fuselage + wings, 0.25 * span**2, "irregular", key=key, arranged=False)


def tree(
    cv: Canvas, cx: float, cy: float, r: float, colour: str, *, kind: str = "tree", key: bool = False
) -> None:
    rgb = cv.colour(colour, 14)
    box = (cx - r, cy - r, cx + r, cy + r)
    cv.paint_only(("ellipse", tuple(v + 0.5 * r for v in box)), SHADOW)
    cv.shape(("ellipse", box), rgb, "trees", key=key)
    hl = 0.5 * r  # sunlit side of the crown
    cv.paint_only(
        ("ellipse", (cx - r * 0.8, cy - r * 0.8, cx - r * 0.8 + 2 * hl, cy - r * 0.8 + 2 * hl)),
        (255, 255, 200, 40),
    )
    cv.record(kind, colour, [box[:2], box[2:]], math.pi * r * r, "circular", key=key, arranged=False)


def dashes(
    cv: Canvas, p0: Point, p1: Point, dash: float, gap: float, width: float, rgba: tuple[int, ...]
) -> None:
    """A dashed straight line (lane marks, runway centreline)."""
    (x0, y0), (x1, y1) = p0, p1
    length = math.hypot(x1 - x0, y1 - y0)
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    for t in np.arange(0.0, length, dash + gap):
        e = min(t + dash, length)
        cv.paint_only(("line", [(x0 + ux * t, y0 + uy * t), (x0 + ux * e, y0 + uy * e)], width), rgba)


def road(
    cv: Canvas,
    p0: Point,
    p1: Point,
    width: float,
    *,
    kind: str = "road",
    colour: str = "dark grey",
    lanes: int = 2,
    key: bool = False,
    arranged: bool = False,
) -> None:
    """A straight asphalt road with dashed lane marks between ``lanes`` lanes."""
    cv.shape(("line", [p0, p1], width), cv.colour(colour, 4), "asphalt", key=key)
    (x0, y0), (x1, y1) = p0, p1
    length = math.hypot(x1 - x0, y1 - y0)
    nx, ny = -(y1 - y0) / length, (x1 - x0) / length
    mark = max(0.004, width * 0.06)
    for i in range(1, lanes):
        off = width * (i / lanes - 0.5)
        dashes(
            cv,
            (x0 + nx * off, y0 + ny * off),
            (x1 + nx * off, y1 + ny * off),
            0.035,
            0.03,
            mark,
            (230, 230, 220, 200),
        )
    cv.record(kind, colour, [p0, p1], width * min(length, 1.4), "linear", key=key, arranged=arranged)


def railway_track(cv: Canvas, p0: Point, p1: Point, width: float, *, key: bool = True) -> None:
    """Ballast bed, cross sleepers and two steel rails."""
    cv.shape(("line", [p0, p1], width), cv.colour("brown", 6), "gravel", key=key)
    (x0, y0), (x1, y1) = p0, p1
    length = math.hypot(x1 - x0, y1 - y0)
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    nx, ny = -uy, ux
    half = 0.42 * width
    sleeper = max(0.004, 0.12 * width)
    for t in np.arange(0.0, length, 2.2 * sleeper):
        cx, cy = x0 + ux * t, y0 + uy * t
        cv.paint_only(
            ("line", [(cx - nx * half, cy - ny * half), (cx + nx * half, cy + ny * half)], sleeper),
            (96, 78, 60, 255),
        )
    for off in (-0.25 * width, 0.25 * width):
        cv.shape(
            (
                "line",
                [(x0 + nx * off, y0 + ny * off), (x1 + nx * off, y1 + ny * off)],
                max(0.004, 0.07 * width),
            ),
            (60, 60, 64),
            "metal",
            key=key,
        )
    cv.record("railway track", "brown", [p0, p1], width * min(length, 1.4), "linear", key=key, arranged=True)


def court(
    cv: Canvas, cx: float, cy: float, w: float, h: float, angle: float, colour: str, *, key: bool = True
) -> None:
    """A tennis court: coloured surface, white outline, service lines and net."""
    pts = rotated_rect(cx, cy, w, h, angle)
    cv.shape(("poly", pts), cv.colour(colour, 6), "court", key=key)
    line = max(0.004, 0.03 * h)
    white = (240, 240, 240, 230)
    c, s = math.cos(angle), math.sin(angle)
    inner = rotated_rect(cx, cy, 0.85 * w, 0.8 * h, angle)
    cv.paint_only(("line", [*inner, inner[0]], line), white)
    net = (0.0, -0.45), (0.0, 0.45)
    cv.paint_only(("line", [(cx - dy * h * s, cy + dy * h * c) for _, dy in net], line * 1.5), white)
    for sx in (-0.22, 0.22):
        a = (cx + sx * w * c - (-0.4) * h * s, cy + sx * w * s + (-0.4) * h * c)
        b = (cx + sx * w * c - 0.4 * h * s, cy + sx * w * s + 0.4 * h * c)
        cv.paint_only(("line", [a, b], line), white)
    cv.record("tennis court", colour, pts, w * h, "rectangular", key=key, arranged=True)
