"""Class recipes: how each of the 28 scene classes is composed from textures and objects.

Every recipe draws land cover with ``cv.region`` / ``cv.background``, calls ``cv.paint()``, then draws
objects; it also sets ``cv.setting`` (phrases that describe the scene) and ``cv.relations`` (where object
kinds are, for captions). Key elements (``key=True``) are what tell a class apart from its confusion
partner (see ``CONFUSION_PAIRS`` in the package docstring); land-cover classes without objects mark their
signature land cover as key.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from . import objects as ob
from .canvas import Canvas, Point


class Frame:
    """A rotated coordinate frame around an origin: ``pt(u, v)`` maps frame to image coordinates."""

    def __init__(self, angle: float, origin: Point = (0.5, 0.5)) -> None:
        self.angle = angle
        self.c, self.s = math.cos(angle), math.sin(angle)
        self.ox, self.oy = origin

    def pt(self, u: float, v: float) -> Point:
        return (self.ox + u * self.c - v * self.s, self.oy + u * self.s + v * self.c)

    def rect(self, u: float, v: float, w: float, h: float) -> list[Point]:
        return ob.rotated_rect(*self.pt(u, v), w, h, self.angle)

    def line(self, v: float, extent: float = 0.8) -> tuple[Point, Point]:
        """The line of constant ``v`` crossing the whole image."""
        return self.pt(-extent, v), self.pt(extent, v)


def _inside(p: Point, margin: float = 0.0) -> bool:
    return -margin <= p[0] <= 1 + margin and -margin <= p[1] <= 1 + margin


def _pick(rng: np.random.Generator, options: tuple[str, ...], k: int = 1) -> list[str]:
    return [options[i] for i in rng.choice(len(options), size=k, replace=k > len(options))]


# Water is darker than land; these are its drawn colours under the palette names captions use.
WATER = {"blue": (36, 72, 112), "light blue": (62, 110, 146), "green": (44, 88, 80), "brown": (96, 86, 62)}


def _scatter_trees(cv: Canvas, n: int, r: tuple[float, float], key: bool = False, kind: str = "tree") -> None:
    for _ in range(n):
        x, y = cv.rng.uniform(0, 1, 2)
        ob.tree(cv, x, y, cv.rng.uniform(*r), _pick(cv.rng, ("dark green", "green"))[0], key=key, kind=kind)


# -- agriculture and vegetation --------------------------------------------------------------------------
def farmland(cv: Canvas) -> None:
    rng = cv.rng
    cv.background("soil", colour=cv.colour("brown"))
    nx, ny = (int(v) for v in rng.integers(2, 4, 2))
    gx = np.linspace(0, 1, nx + 1)[:, None] + rng.uniform(-0.06, 0.06, (nx + 1, ny + 1)) * (nx > 0)
    gy = np.linspace(0, 1, ny + 1)[None, :] + rng.uniform(-0.06, 0.06, (nx + 1, ny + 1))
    gx[0], gx[-1], gy[:, 0], gy[:, -1] = -0.05, 1.05, -0.05, 1.05
    gap = 0.012
    for i in range(nx):
        for j in range(ny):
            quad = [(gx[i, j] + gap, gy[i, j] + gap), (gx[i + 1, j] - gap, gy[i + 1, j] + gap)]
            quad += [
                (gx[i + 1, j + 1] - gap, gy[i + 1, j + 1] - gap),
                (gx[i, j + 1] + gap, gy[i, j + 1] - gap),
            ]
            name = _pick(rng, ("green", "green", "light green", "yellow", "brown"))[0]
            material = "soil" if name == "brown" else "crops"
            cv.region(
                material,
                ("poly", quad),
                key=True,
                colour=cv.colour(name),
                stripe_angle=rng.uniform(0, np.pi),
                stripe_period=rng.uniform(0.025, 0.05),
            )
            area = (gx[i + 1, j] - gx[i, j]) * (gy[i, j + 1] - gy[i, j])
            cv.record("field", name, quad, float(area), "rectangular", key=True, arranged=True)
    cv.paint()
    cv.setting = ["farmland", "an agricultural area", "cultivated farmland", "a patchwork of farm fields"]
    cv.relations["field"] = ["side by side", "separated by dirt tracks", "divided by narrow paths"]


def circular_farmland(cv: Canvas) -> None:
    rng = cv.rng
    cv.background(*_pick(rng, ("soil", "grass")), colour=cv.colour(_pick(rng, ("beige", "brown"))[0]))
    n = int(rng.integers(1, 5))
    cells = [(0.5, 0.5)] if n == 1 else [(0.27 + 0.46 * (k % 2), 0.27 + 0.46 * (k // 2)) for k in range(4)]
    r = 0.4 if n == 1 else 0.21
    for cx, cy in [cells[k] for k in rng.permutation(len(cells))[:n]]:
        cx, cy = cx + rng.uniform(-0.03, 0.03), cy + rng.uniform(-0.03, 0.03)
        rr = r * rng.uniform(0.85, 1.05)
        box = (cx - rr, cy - rr, cx + rr, cy + rr)
        name = _pick(rng, ("green", "light green", "yellow", "dark green"))[0]
        cv.region("crops", ("ellipse", box), key=True, colour=cv.colour(name))
        cv.record(
            "circular field",
            name,
            [box[:2], box[2:]],
            math.pi * rr * rr,
            "circular",
            key=True,
            arranged=n > 1,
        )
    cv.paint()
    cv.setting = ["circular farmland", "center-pivot irrigated fields", "an area of round irrigated fields"]
    cv.relations["circular field"] = ["on dry land", "surrounded by bare ground", "next to each other"]


def forest(cv: Canvas) -> None:
    rng = cv.rng
    cv.background("trees")
    cv.paint()
    spacing = 0.075
    for x in np.arange(-0.02, 1.04, spacing):
        for y in np.arange(-0.02, 1.04, spacing):
            if rng.random() < 0.9:
                ob.tree(
                    cv,
                    x + rng.uniform(-0.03, 0.03),
                    y + rng.uniform(-0.03, 0.03),
                    rng.uniform(0.035, 0.055),
                    _pick(rng, ("dark green", "green"))[0],
                    key=True,
                )
    cv.setting = ["a dense forest", "a forest", "woodland", "a thick green forest"]
    cv.relations["tree"] = ["packed closely together", "covering the whole area", "with crowns touching"]


def chaparral(cv: Canvas) -> None:
    rng = cv.rng
    cv.background("soil", colour=cv.colour(_pick(rng, ("beige", "brown"))[0]))
    cv.paint()
    _scatter_trees(cv, int(rng.integers(12, 35)), (0.015, 0.035), key=True, kind="shrub")
    cv.setting = ["chaparral", "a dry shrubland", "scrubland on dry soil", "sparse bushes on bare ground"]
    cv.relations["shrub"] = ["scattered over dry soil", "dotted over the ground", "spread over the dry land"]


def meadow(cv: Canvas) -> None:
    rng = cv.rng
    cv.background("grass", key=True, colour=cv.colour(_pick(rng, ("green", "light green"))[0]))
    cv.paint()
    _scatter_trees(cv, int(rng.integers(0, 4)), (0.025, 0.045))
    cv.setting = ["a meadow", "a green meadow", "an open grassland", "a grassy field"]
    cv.relations["tree"] = ["on the grass", "standing alone in the grass", "in the open field"]


def golf_course(cv: Canvas) -> None:
    rng = cv.rng
    cv.background("grass", colour=cv.colour(_pick(rng, ("green", "light green"))[0]))
    f = Frame(rng.uniform(0, np.pi))
    fairway = [f.pt(u, 0.15 * math.sin(3 * u + rng.uniform(0, 6))) for u in np.linspace(-0.8, 0.8, 9)]
    cv.region("grass", ("line", fairway, rng.uniform(0.2, 0.3)), colour=cv.colour("light green"))
    cv.paint()
    for _ in range(int(rng.integers(1, 3))):
        x, y = fairway[int(rng.integers(2, 7))]
        gr = rng.uniform(0.07, 0.1)
        box = (x - gr, y - 0.7 * gr, x + gr, y + 0.7 * gr)
        cv.shape(("ellipse", box), cv.colour("light green", 6), "grass", key=True)
        cv.record(
            "putting green", "light green", [box[:2], box[2:]], 0.7 * math.pi * gr * gr, "circular", key=True
        )
    for _ in range(int(rng.integers(2, 6))):
        x, y = fairway[int(rng.integers(1, 8))]
        pts = ob.blob(
            x + rng.uniform(-0.12, 0.12), y + rng.uniform(-0.12, 0.12), rng.uniform(0.025, 0.045), rng, n=12
        )
        colour = "white"
        cv.shape(("poly", pts), cv.colour(colour, 6), "sand", key=True)
        cv.record("sand bunker", colour, pts, 0.004, "irregular", key=True)
    _scatter_trees(cv, int(rng.integers(2, 8)), (0.025, 0.045))
    cv.setting = ["a golf course", "a golf course with fairways", "a green golf course"]
    cv.relations["tree"] = ["along the edges", "lining the fairway", "beside the fairway"]
    cv.relations["sand bunker"] = ["beside the fairway", "along the fairway", "near the greens"]


def desert(cv: Canvas) -> None:
    rng = cv.rng
    cv.background(
        "sand",
        key=True,
        colour=cv.colour(_pick(rng, ("beige", "orange", "yellow"))[0]),
        stripe_angle=rng.uniform(0, np.pi),
        stripe_period=rng.uniform(0.05, 0.09),
        stripe_amp=0.12,
        stripe_warp=1.5,
    )
    cv.paint()
    cv.setting = ["a sandy desert", "a desert with rippled dunes", "sand dunes", "an empty desert"]


def bare_land(cv: Canvas) -> None:
    rng = cv.rng
    cv.background("soil", key=True, colour=cv.colour(_pick(rng, ("brown", "beige", "grey"))[0]))
    cv.paint()
    for _ in range(int(rng.integers(1, 4))):  # vehicle tracks across the soil
        f = Frame(rng.uniform(0, np.pi), tuple(rng.uniform(0.2, 0.8, 2)))
        cv.paint_only(
            ("line", [f.pt(-0.8, 0), f.pt(0.8, 0.1 * rng.standard_normal())], 0.012), (255, 240, 220, 50)
        )
    cv.setting = ["bare land", "an area of bare soil", "empty bare ground", "barren land"]


# -- water -----------------------------------------------------------------------------------------------
def _river(cv: Canvas, key: bool) -> tuple[Point, float, float]:
    """Background land and a meandering river; returns (mid point, local direction angle, width)."""
    rng = cv.rng
    cv.background(*_pick(rng, ("grass", "grass", "trees")))
    f = Frame(rng.uniform(0, np.pi), tuple(rng.uniform(0.4, 0.6, 2)))
    amp, phase = rng.uniform(0.03, 0.1), rng.uniform(0, 2 * np.pi)
    centre = [f.pt(u, amp * math.sin(4 * u + phase)) for u in np.linspace(-0.8, 0.8, 17)]
    width = rng.uniform(0.12, 0.22)
    colour = _pick(rng, ("blue", "green", "brown"))[0]
    cv.region("sand", ("line", centre, width + 0.03))
    cv.region("water", ("line", centre, width), key=key, colour=WATER[colour])
    cv.paint()
    cv.record("river", colour, centre, width * 1.4, "linear", key=key)
    for _ in range(int(rng.integers(3, 10))):
        u = rng.uniform(-0.5, 0.5)
        side = rng.choice((-1, 1)) * (width / 2 + rng.uniform(0.04, 0.1))
        x, y = f.pt(u, amp * math.sin(4 * u + phase) + side)
        ob.tree(cv, x, y, rng.uniform(0.02, 0.04), "dark green")
    cv.relations["tree"] = ["along the river banks", "on both banks", "near the water"]
    dir_angle = f.angle + math.atan(4 * amp * math.cos(phase))
    return f.pt(0, amp * math.sin(phase)), dir_angle, width


def river(cv: Canvas) -> None:
    _river(cv, key=True)
    cv.setting = ["a river", "a winding river", "a river through green land", "a meandering river"]


def bridge(cv: Canvas) -> None:
    (x, y), angle, width = _river(cv, key=False)
    across = angle + math.pi / 2 + cv.rng.uniform(-0.2, 0.2)
    c, s = math.cos(across), math.sin(across)
    road_w = cv.rng.uniform(0.05, 0.08)
    ob.road(cv, (x - 1.2 * c, y - 1.2 * s), (x + 1.2 * c, y + 1.2 * s), road_w)
    span = width / 2 + 0.05
    deck = ob.rotated_rect(x, y, 2 * span, road_w * 1.25, across)
    cv.paint_only(("poly", ob.shifted(deck, 0.02)), ob.SHADOW)
    colour = _pick(cv.rng, ("grey", "white", "beige"))[0]
    cv.shape(("poly", deck), cv.colour(colour), "concrete", key=True)
    cv.record("bridge", colour, deck, 2 * span * road_w, "linear", key=True)
    cv.setting = ["a bridge over a river", "a river crossed by a bridge", "a road bridge across a river"]
    cv.relations["bridge"] = ["across the river", "spanning the water", "over the river"]


def lake(cv: Canvas) -> None:
    rng = cv.rng
    cv.background(*_pick(rng, ("grass", "grass", "trees")))
    cx, cy = rng.uniform(0.35, 0.65, 2)
    r = rng.uniform(0.25, 0.38)
    outline = ob.blob(cx, cy, r, rng)
    colour = _pick(rng, ("blue", "green", "light blue"))[0]
    cv.region("sand", ("poly", [(cx + 1.06 * (x - cx), cy + 1.06 * (y - cy)) for x, y in outline]))
    cv.region("water", ("poly", outline), key=True, colour=WATER[colour])
    cv.paint()
    cv.record("lake", colour, outline, math.pi * r * r, "irregular", key=True)
    for _ in range(int(rng.integers(2, 10))):
        t = rng.uniform(0, 2 * np.pi)
        d = r * rng.uniform(1.25, 1.7)
        ob.tree(cv, cx + d * math.cos(t), cy + d * math.sin(t), rng.uniform(0.02, 0.04), "dark green")
    cv.setting = ["a lake", "a lake surrounded by land", "a small lake", "a pond in green land"]
    cv.relations["tree"] = ["around the lake", "near the shore", "along the shore"]


def island(cv: Canvas) -> None:
    rng = cv.rng
    colour = _pick(rng, ("blue", "green", "light blue"))[0]
    cv.background("water", colour=WATER[colour])
    cx, cy = rng.uniform(0.4, 0.6, 2)
    r = rng.uniform(0.15, 0.28)
    outline = ob.blob(cx, cy, r, rng, rough=0.35)
    cv.region("sand", ("poly", [(cx + 1.12 * (x - cx), cy + 1.12 * (y - cy)) for x, y in outline]), key=True)
    cv.region(*_pick(rng, ("grass", "trees")), ("poly", outline), key=True)
    cv.paint()
    cv.record("island", "green", outline, math.pi * r * r, "irregular", key=True)
    for _ in range(int(rng.integers(0, 6))):
        t, d = rng.uniform(0, 2 * np.pi), rng.uniform(0, 0.6) * r
        ob.tree(cv, cx + d * math.cos(t), cy + d * math.sin(t), rng.uniform(0.02, 0.035), "dark green")
    cv.setting = ["an island in the water", "a small island surrounded by water", "an island in open water"]
    cv.relations["tree"] = ["on the island", "in the middle of the island", "growing on the island"]


def _shore(cv: Canvas, land_key: bool) -> tuple[Frame, float]:
    """Sand on one side, the sea on the other (v > offset is water), surf along the wavy shoreline.

    Returns the frame and the shoreline offset ``v`` in it."""
    rng = cv.rng
    f = Frame(rng.uniform(0, 2 * np.pi), (0.5, 0.5))
    offset, phase = rng.uniform(-0.15, 0.1), rng.uniform(0, 2 * np.pi)
    shore = [f.pt(u, offset + 0.03 * math.sin(5 * u + phase)) for u in np.linspace(-0.8, 0.8, 17)]
    colour = _pick(rng, ("blue", "light blue", "green"))[0]
    cv.background("sand", key=land_key, colour=cv.colour("beige"))
    cv.region("water", ("poly", [*shore, f.pt(0.8, 1.0), f.pt(-0.8, 1.0)]), colour=WATER[colour])
    cv.paint()
    surf = [(x - 0.012 * f.s, y + 0.012 * f.c) for x, y in shore]  # just on the water side
    cv.paint_only(("line", surf, 0.02), (245, 245, 240, 170))
    cv.record("sea", colour, shore, 0.5, "irregular", key=False)
    return f, offset


def beach(cv: Canvas) -> None:
    _shore(cv, land_key=True)
    cv.setting = ["a beach", "a sandy beach by the sea", "a beach along the coast", "the seaside"]
    cv.relations["sea"] = ["next to the sand", "along the beach", "beside the shore"]


def harbor(cv: Canvas) -> None:
    rng = cv.rng
    f, v0 = _shore(cv, land_key=False)
    n_piers = int(rng.integers(2, 5))
    us = np.linspace(-0.35, 0.35, n_piers) + rng.uniform(-0.04, 0.04, n_piers)
    length = rng.uniform(0.3, 0.45)
    for u in us:
        pts = f.rect(u, v0 + length / 2 - 0.02, 0.03, length)
        cv.shape(("poly", pts), cv.colour("grey"), "concrete", key=True)
        cv.record("pier", "grey", pts, 0.03 * length, "linear", key=True, arranged=True)
        for k in range(int(rng.integers(1, 5))):
            side = rng.choice((-1, 1)) * 0.04
            x, y = f.pt(u + side, v0 + 0.06 + k * 0.08)
            if _inside((x, y)):
                ob.boat(
                    cv,
                    x,
                    y,
                    rng.uniform(0.06, 0.09),
                    f.angle + math.pi / 2,
                    _pick(rng, ("white", "white", "blue", "red", "yellow"))[0],
                    arranged=True,
                )
    cv.setting = ["a harbor", "a marina with piers", "a port with boats", "a harbor on the coast"]
    cv.relations.update(
        boat=["moored along the piers", "docked at the piers", "in the water"],
        pier=["extending into the water", "reaching into the sea", "along the shore"],
    )


# -- built-up --------------------------------------------------------------------------------------------
def _neighbourhood(
    cv: Canvas,
    spacing: float,
    occupancy: float,
    size: tuple[float, float],
    trees: float,
    *,
    kind: str = "house",
    colours: tuple[str, ...] = ("red", "brown", "grey", "dark grey", "orange", "beige", "white"),
    road_every: int = 3,
) -> None:
    """Houses on a rotated grid along parallel streets; ``occupancy`` is the chance a lot is built."""
    rng = cv.rng
    cv.background("grass", colour=cv.colour(_pick(rng, ("green", "light green"))[0]))
    cv.paint()
    f = Frame(rng.uniform(0, np.pi / 2), tuple(rng.uniform(0.4, 0.6, 2)))
    scheme = _pick(rng, colours, 2)
    start = int(rng.integers(0, road_every))
    for k in range(-9, 10):
        v = k * spacing
        if (k + start) % road_every == 0:
            ob.road(cv, *f.line(v), 0.45 * spacing, lanes=1, arranged=True)
            continue
        for u in np.arange(-0.8, 0.8, spacing):
            p = f.pt(u, v)
            if not _inside(p, 0.02):
                continue
            if rng.random() < occupancy:
                w, h = size[0] * rng.uniform(0.9, 1.1), size[1] * rng.uniform(0.9, 1.1)
                colour = scheme[0] if rng.random() < 0.7 else scheme[1]
                ob.house(cv, *p, w, h, f.angle, colour, kind=kind)
                if kind == "house" and trees > 0.3 and rng.random() < 0.3:
                    pool = f.rect(u + 0.3 * spacing, v + 0.3 * spacing, 0.025, 0.018)
                    cv.shape(("poly", pool), cv.colour("light blue", 6), "water")
                    cv.record("swimming pool", "light blue", pool, 0.00045, "rectangular", key=False)
            elif rng.random() < trees:
                ob.tree(cv, *p, rng.uniform(0.025, 0.04), "dark green")
    cv.relations[kind] = [
        "along the streets",
        "lined up in rows beside the roads",
        "on both sides of the road",
    ]
    cv.relations["road"] = ["between the rows", "running through the area", "parallel to each other"]


def dense_residential(cv: Canvas) -> None:
    _neighbourhood(cv, 0.085, 0.95, (0.07, 0.055), 0.05)
    cv.setting = [
        "a dense residential area",
        "a crowded neighborhood",
        "densely packed houses",
        "a busy residential district",
    ]


def medium_residential(cv: Canvas) -> None:
    _neighbourhood(cv, 0.115, 0.7, (0.075, 0.055), 0.4)
    cv.setting = ["a medium residential area", "a suburban neighborhood", "a residential area with gardens"]


def sparse_residential(cv: Canvas) -> None:
    _neighbourhood(cv, 0.16, 0.45, (0.08, 0.06), 0.7)
    cv.setting = [
        "a sparse residential area",
        "scattered houses among trees",
        "a rural residential area",
        "a quiet neighborhood",
    ]


def mobile_home_park(cv: Canvas) -> None:
    _neighbourhood(
        cv,
        0.075,
        0.9,
        (0.1, 0.035),
        0.05,
        kind="mobile home",
        road_every=3,
        colours=("white", "beige", "grey", "light blue"),
    )
    cv.setting = ["a mobile home park", "a trailer park", "rows of mobile homes", "a caravan park"]


def _parking(cv: Canvas, box: tuple[float, float, float, float], angle: float, cars_key: bool) -> None:
    """Rows of stalls inside ``box`` (x0, y0, x1, y1), partly filled with cars."""
    rng = cv.rng
    x0, y0, x1, y1 = box
    f = Frame(angle, ((x0 + x1) / 2, (y0 + y1) / 2))
    cv.record("parking lot", "dark grey", [box[:2], box[2:]], (x1 - x0) * (y1 - y0), "rectangular", key=False)
    occupancy = rng.uniform(0.45, 0.9)
    car_len, stall = 0.065, 0.04
    colours = ("white", "white", "black", "grey", "dark grey", "red", "blue")
    for row in np.arange(-0.8, 0.8, 0.19):
        for side in (-1, 1):
            v = row + side * 0.045
            for u in np.arange(-0.8, 0.8, stall):
                p = f.pt(u, v)
                if not (x0 + 0.02 < p[0] < x1 - 0.02 and y0 + 0.02 < p[1] < y1 - 0.02):
                    continue
                a, b = (
                    f.pt(u - stall / 2, v - side * car_len / 2),
                    f.pt(u - stall / 2, v + side * car_len / 2),
                )
                cv.paint_only(("line", [a, b], 0.004), (235, 235, 230, 200))
                if rng.random() < occupancy:
                    ob.car(
                        cv,
                        *p,
                        car_len * 0.85,
                        angle + math.pi / 2,
                        _pick(rng, colours)[0],
                        key=cars_key,
                        arranged=True,
                    )
    cv.relations["car"] = ["parked in rows", "in the parking spaces", "lined up in the parking lot"]


def parking_lot(cv: Canvas) -> None:
    rng = cv.rng
    cv.background("grass")
    box = (rng.uniform(-0.1, 0.15), rng.uniform(-0.1, 0.15), rng.uniform(0.85, 1.1), rng.uniform(0.85, 1.1))
    cv.region("asphalt", ("poly", [(box[0], box[1]), (box[2], box[1]), (box[2], box[3]), (box[0], box[3])]))
    cv.paint()
    _parking(cv, box, rng.choice((0.0, math.pi / 2)) + rng.uniform(-0.1, 0.1), cars_key=True)
    cv.setting = [
        "a parking lot",
        "a large car park",
        "a parking area full of cars",
        "an open-air parking lot",
    ]


def commercial(cv: Canvas) -> None:
    rng = cv.rng
    cv.background("asphalt")
    cv.paint()
    split = rng.uniform(0.4, 0.55)
    vertical = rng.random() < 0.5
    n = int(rng.integers(1, 4))
    for k in range(n):
        a0, a1 = k / n, (k + 1) / n
        w, h = (a1 - a0) * 0.85, split * 0.8
        cx, cy = (a0 + a1) / 2, split / 2
        if vertical:
            cx, cy, w, h = cy, cx, h, w
        colour = _pick(rng, ("grey", "white", "beige", "dark grey"))[0]
        ob.flat_building(
            cv, cx, cy, w, h, 0.0, colour, kind="commercial building", key=True, material="concrete"
        )
    box = (split, 0.0, 1.0, 1.0) if vertical else (0.0, split, 1.0, 1.0)
    _parking(cv, box, (math.pi / 2 if vertical else 0.0), cars_key=False)
    cv.setting = [
        "a commercial area",
        "a shopping center with parking",
        "a commercial district",
        "stores beside a parking lot",
    ]
    cv.relations["commercial building"] = [
        "next to the parking lot",
        "beside the car park",
        "facing the parking area",
    ]


def _works(cv: Canvas, n_buildings: int, buildings_key: bool) -> list[Point]:
    """Paved yard, a service road and warehouses in some of four quadrants; returns the free quadrants."""
    rng = cv.rng
    cv.background("concrete", colour=cv.colour(_pick(rng, ("grey", "beige"))[0]))
    cv.region("soil", ("poly", ob.blob(*rng.uniform(0, 1, 2), rng.uniform(0.1, 0.25), rng)))
    cv.paint()
    horizontal = rng.random() < 0.5
    mid = rng.uniform(0.45, 0.55)
    p0, p1 = ((-0.1, mid), (1.1, mid)) if horizontal else ((mid, -0.1), (mid, 1.1))
    ob.road(cv, p0, p1, 0.06)
    quads = [(0.25, 0.22), (0.75, 0.22), (0.25, 0.78), (0.75, 0.78)]
    order = [quads[i] for i in rng.permutation(4)]
    for cx, cy in order[:n_buildings]:
        w, h = rng.uniform(0.3, 0.42), rng.uniform(0.14, 0.26)
        if rng.random() < 0.5:
            w, h = h, w
        colour = _pick(rng, ("grey", "white", "blue", "light blue"))[0]
        ob.flat_building(
            cv,
            cx,
            cy,
            w,
            h,
            rng.uniform(-0.05, 0.05),
            colour,
            kind="warehouse",
            key=buildings_key,
            material="metal",
        )
    for _ in range(int(rng.integers(0, 4))):
        ob.car(
            cv,
            rng.uniform(0.1, 0.9),
            mid + rng.uniform(-0.015, 0.015) if horizontal else rng.uniform(0.1, 0.9),
            0.06,
            0.0 if horizontal else math.pi / 2,
            "white",
            key=False,
            arranged=False,
        )
    cv.relations["warehouse"] = ["beside the road", "along the service road", "around the yard"]
    return order[n_buildings:]


def industrial(cv: Canvas) -> None:
    _works(cv, int(cv.rng.integers(3, 5)), buildings_key=True)
    cv.setting = [
        "an industrial area",
        "a factory area",
        "an industrial zone with warehouses",
        "an industrial park",
    ]


def storage_tanks(cv: Canvas) -> None:
    rng = cv.rng
    free = _works(cv, int(rng.integers(1, 3)), buildings_key=False)
    colour = _pick(rng, ("white", "grey"))[0]
    for cx, cy in free[: int(rng.integers(1, len(free) + 1))]:
        n = int(rng.integers(1, 3))
        r = rng.uniform(0.045, 0.07) if n > 1 else rng.uniform(0.07, 0.1)
        for i in range(n):
            for j in range(n):
                if rng.random() < 0.85:
                    d = 2.4 * r
                    ob.tank(
                        cv, cx + (i - (n - 1) / 2) * d, cy + (j - (n - 1) / 2) * d, r, colour, arranged=True
                    )
    cv.setting = [
        "storage tanks",
        "an oil depot with tanks",
        "a tank farm",
        "an industrial site with storage tanks",
    ]
    cv.relations["storage tank"] = ["grouped together", "next to the warehouses", "in a cluster"]


# -- transport -------------------------------------------------------------------------------------------
def _runway(cv: Canvas, key: bool, offset: float = 0.0) -> Frame:
    """Grass, a taxiway and a marked runway; the runway lies ``offset`` from the centre (frame v < 0)."""
    rng = cv.rng
    cv.background("grass", colour=cv.colour(_pick(rng, ("green", "light green", "beige"))[0]))
    angle = rng.uniform(0, 2 * np.pi)
    cx, cy = rng.uniform(0.45, 0.55, 2)
    f = Frame(angle, (cx + offset * math.sin(angle), cy - offset * math.cos(angle)))
    width = rng.uniform(0.1, 0.14)
    taxi = f.line(width * 1.4)
    cv.region("asphalt", ("line", list(taxi), 0.03))
    cv.region("asphalt", ("line", list(f.line(0)), width), key=key, colour=cv.colour("dark grey", 4))
    cv.paint()
    ob.dashes(cv, *f.line(0), 0.05, 0.04, 0.008, (240, 240, 240, 230))
    for v in (-0.42, 0.42):  # edge lines
        cv.paint_only(("line", list(f.line(v * width)), 0.005), (230, 230, 230, 200))
    cv.record("runway", "dark grey", list(f.line(0)), width * 1.2, "linear", key=key)
    return f


def airport(cv: Canvas) -> None:
    rng = cv.rng
    f = _runway(cv, key=False, offset=0.18)
    apron = f.rect(0.0, 0.36, 1.6, 0.32)
    cv.shape(("poly", apron), cv.colour("grey"), "concrete")
    term = f.pt(rng.uniform(-0.15, 0.15), 0.5)
    ob.flat_building(
        cv,
        *term,
        rng.uniform(0.35, 0.55),
        0.1,
        f.angle,
        _pick(rng, ("white", "grey"))[0],
        kind="terminal",
        key=True,
        material="concrete",
    )
    n = int(rng.integers(2, 6))
    for u in np.linspace(-0.32, 0.32, n) + rng.uniform(-0.02, 0.02, n):
        p = f.pt(u, 0.32)
        if _inside(p, -0.03):
            ob.plane(
                cv,
                *p,
                rng.uniform(0.12, 0.17),
                f.angle + math.pi / 2 + rng.uniform(-0.3, 0.3),
                _pick(rng, ("white", "white", "grey", "light blue"))[0],
            )
    cv.setting = [
        "an airport",
        "an airport with a terminal",
        "an airfield with parked planes",
        "a busy airport",
    ]
    cv.relations.update(
        airplane=["parked near the terminal", "on the apron", "next to the terminal building"],
        terminal=["beside the apron", "next to the runway"],
    )


def runway(cv: Canvas) -> None:
    _runway(cv, key=True)
    cv.setting = ["a runway", "an airstrip", "a long runway on grassland", "a runway with markings"]
    cv.relations["runway"] = ["across the grass", "running through the scene", "crossing the image"]


def _traffic_car(cv: Canvas, p: Point, angle: float) -> None:
    """A car driving on a road (not a class-defining object)."""
    colour = _pick(cv.rng, ("white", "black", "red", "blue", "grey"))[0]
    ob.car(cv, *p, 0.05, angle, colour, key=False, arranged=False)


def freeway(cv: Canvas) -> None:
    rng = cv.rng
    cv.background(*_pick(rng, ("grass", "soil")))
    cv.paint()
    f = Frame(rng.uniform(0, np.pi), tuple(rng.uniform(0.4, 0.6, 2)))
    for v in (-0.075, 0.075):
        ob.road(cv, *f.line(v), 0.11, kind="carriageway", lanes=3, key=True, arranged=True)
    for _ in range(int(rng.integers(2, 9))):
        v = rng.choice((-1, 1)) * 0.075 + rng.choice((-0.035, 0.0, 0.035))
        p = f.pt(rng.uniform(-0.6, 0.6), v)
        if _inside(p):
            _traffic_car(cv, p, f.angle)
    cv.setting = ["a freeway", "a highway", "a divided motorway", "a multi-lane freeway"]
    cv.relations.update(
        carriageway=["side by side", "running in parallel"], car=["on the highway", "driving on the freeway"]
    )


def intersection(cv: Canvas) -> None:
    rng = cv.rng
    cv.background(*_pick(rng, ("grass", "concrete")))
    cv.paint()
    f = Frame(rng.uniform(0, np.pi), tuple(rng.uniform(0.4, 0.6, 2)))
    g = Frame(f.angle + math.pi / 2 + rng.uniform(-0.3, 0.3), (f.ox, f.oy))
    w = rng.uniform(0.11, 0.15)
    for quad_u, quad_v in ((-1, -1), (1, -1), (1, 1), (-1, 1)):  # corner buildings
        if rng.random() < 0.6:
            p = f.pt(quad_u * rng.uniform(0.25, 0.35), quad_v * rng.uniform(0.25, 0.35))
            ob.flat_building(
                cv,
                *p,
                rng.uniform(0.15, 0.25),
                rng.uniform(0.12, 0.2),
                f.angle,
                _pick(rng, ("grey", "beige", "white"))[0],
                kind="building",
                key=False,
            )
    for fr in (f, g):
        ob.road(cv, *fr.line(0), w, key=False)
    for fr in (f, g):  # crosswalks: zebra stripes on each arm next to the crossing
        for side in (-1, 1):
            u = side * (w * 0.9)
            stripes = [fr.rect(u, v, 0.03, max(0.006, w / 14)) for v in np.arange(-0.4 * w, 0.41 * w, w / 7)]
            for st in stripes:
                cv.shape(("poly", st), (236, 236, 232), "asphalt", key=True)
            cv.record(
                "crosswalk", "white", [p for st in stripes for p in st], 0.03 * w, "rectangular", key=True
            )
    for _ in range(int(rng.integers(1, 6))):
        fr = f if rng.random() < 0.5 else g
        p = fr.pt(rng.choice((-1, 1)) * rng.uniform(0.2, 0.6), rng.choice((-0.25, 0.25)) * w)
        if _inside(p):
            _traffic_car(cv, p, fr.angle)
    cv.setting = ["a road intersection", "a crossroads", "two roads crossing", "a busy junction"]
    cv.relations.update(
        crosswalk=["at the crossing", "around the junction"], car=["on the road", "driving on the streets"]
    )


def railway(cv: Canvas) -> None:
    rng = cv.rng
    cv.background(*_pick(rng, ("grass", "soil")))
    cv.paint()
    f = Frame(rng.uniform(0, np.pi), tuple(rng.uniform(0.4, 0.6, 2)))
    n = int(rng.integers(2, 5))
    vs = (np.arange(n) - (n - 1) / 2) * 0.075
    for v in vs:
        ob.railway_track(cv, *f.line(v), 0.055)
    if rng.random() < 0.4:
        colour = _pick(rng, ("red", "blue", "white", "grey"))[0]
        v = float(rng.choice(vs))
        u0 = rng.uniform(-0.6, 0.0)
        for k in range(int(rng.integers(2, 6))):
            pts = f.rect(u0 + k * 0.13, v, 0.12, 0.04)
            cv.shape(("poly", pts), cv.colour(colour), "metal", key=True)
            cv.record("train car", colour, pts, 0.0048, "rectangular", key=True, arranged=True)
    cv.setting = ["a railway", "railway tracks", "a railway line", "parallel railroad tracks"]
    cv.relations.update(
        {
            "railway track": ["side by side", "running in parallel", "across the scene"],
            "train car": ["on the tracks", "on one of the tracks"],
        }
    )


def tennis_court(cv: Canvas) -> None:
    rng = cv.rng
    cv.background("grass")
    n = int(rng.integers(1, 5))
    cw, ch = (0.34, 0.17) if n <= 2 else (0.26, 0.13)
    f = Frame(rng.uniform(0, np.pi), tuple(rng.uniform(0.45, 0.55, 2)))
    vs = (np.arange(n) - (n - 1) / 2) * ch * 1.15
    cv.region("concrete", ("poly", f.rect(0, 0, cw * 1.25, ch * 1.15 * n + 0.05)))
    cv.paint()
    colour = _pick(rng, ("green", "blue", "red", "light green"))[0]
    for v in vs:
        ob.court(cv, *f.pt(0, v), cw, ch, f.angle, colour)
    _scatter_trees(cv, int(rng.integers(2, 8)), (0.025, 0.045))
    cv.setting = ["tennis courts", "a tennis facility", "a sports ground with tennis courts", "a tennis club"]
    cv.relations["tennis court"] = ["side by side", "next to each other", "surrounded by grass"]


RECIPES: dict[str, Callable[[Canvas], None]] = {
    f.__name__: f
    for f in (
        farmland,
        circular_farmland,
        forest,
        chaparral,
        meadow,
        golf_course,
        desert,
        bare_land,
        river,
        bridge,
        lake,
        island,
        beach,
        harbor,
        dense_residential,
        medium_residential,
        sparse_residential,
        mobile_home_park,
        parking_lot,
        commercial,
        industrial,
        storage_tanks,
        airport,
        runway,
        freeway,
        intersection,
        railway,
        tennis_court,
    )
}
CLASSES: tuple[str, ...] = tuple(RECIPES)

# (class, partner, what the key mask of ``class`` shows that the partner lacks or differs in)
CONFUSION_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("dense_residential", "medium_residential", "house density"),
    ("medium_residential", "sparse_residential", "house density"),
    ("mobile_home_park", "dense_residential", "long narrow trailers instead of houses"),
    ("storage_tanks", "industrial", "a few round tanks"),
    ("commercial", "parking_lot", "large buildings beside the parked cars"),
    ("bridge", "river", "one road crossing the water"),
    ("harbor", "beach", "piers and boats on the water side"),
    ("golf_course", "meadow", "sand bunkers and greens"),
    ("circular_farmland", "farmland", "round pivot fields instead of striped plots"),
    ("chaparral", "forest", "sparse shrubs on dry soil instead of a closed canopy"),
    ("airport", "runway", "planes and a terminal"),
    ("intersection", "freeway", "a crossing road with crosswalks"),
    ("railway", "freeway", "tracks with sleepers instead of lanes"),
    ("island", "lake", "land inside the water instead of water inside the land"),
    ("desert", "bare_land", "rippled dunes instead of flat soil"),
)
