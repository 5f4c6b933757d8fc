"""Per-image attribute vectors in three groups (as RSSDIVCS): functions, materials, surface properties.

All values are in [0, 1] and computed from the drawing itself: the per-pixel material map, the RGB image
and the list of drawn objects. A class-attribute matrix is the mean of these over a class's images.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .canvas import DrawnObject
from .textures import MATERIAL_ID, MATERIALS

# function -> object kinds that serve it
FUNCTION_KINDS: dict[str, frozenset[str]] = {
    "residential": frozenset({"house", "mobile home", "swimming pool"}),
    "commercial": frozenset({"commercial building"}),
    "industrial": frozenset({"warehouse"}),
    "storage": frozenset({"storage tank"}),
    "agriculture": frozenset({"field", "circular field"}),
    "recreation": frozenset({"tennis court", "putting green", "sand bunker"}),
    "road_transport": frozenset({"road", "carriageway", "crosswalk", "bridge"}),
    "rail_transport": frozenset({"railway track", "train car"}),
    "air_transport": frozenset({"runway", "airplane", "terminal"}),
    "water_transport": frozenset({"boat", "pier"}),
    "parking": frozenset({"parking lot"}),
}
NATURAL_MATERIALS = ("grass", "trees", "sand", "water", "soil")
STRIPED_KINDS = frozenset({"railway track", "crosswalk", "parking lot", "runway", "carriageway"})
SURFACE_PROPERTIES = (
    "green",
    "bright",
    "dark",
    "colourful",
    "smooth",
    "rough",
    "striped",
    "linear",
    "circular",
    "rectangular",
    "dense",
    "sparse",
    "regular",
    "heterogeneous",
)
FUNCTIONS = (*FUNCTION_KINDS, "natural")

ATTRIBUTE_NAMES: tuple[str, ...] = (
    *(f"function_{f}" for f in FUNCTIONS),
    *(f"material_{m}" for m in MATERIALS),
    *(f"surface_{s}" for s in SURFACE_PROPERTIES),
)
ATTRIBUTE_GROUPS: dict[str, list[int]] = {
    "functions": list(range(len(FUNCTIONS))),
    "materials": list(range(len(FUNCTIONS), len(FUNCTIONS) + len(MATERIALS))),
    "surface_properties": list(range(len(FUNCTIONS) + len(MATERIALS), len(ATTRIBUTE_NAMES))),
}


def _coverage(objects: Sequence[DrawnObject], pred) -> float:
    return min(1.0, sum(o.area for o in objects if pred(o)))


def compute_attributes(
    image: np.ndarray, materials: np.ndarray, objects: Sequence[DrawnObject], striped_fraction: float
) -> np.ndarray:
    """The attribute vector (float32, ``len(ATTRIBUTE_NAMES)``) of one drawn scene."""
    fractions = np.bincount(materials.ravel(), minlength=len(MATERIALS))[: len(MATERIALS)] / materials.size
    built = _coverage(objects, lambda o: any(o.kind in kinds for kinds in FUNCTION_KINDS.values()))
    functions = []
    for kinds in FUNCTION_KINDS.values():
        cov = _coverage(objects, lambda o, kinds=kinds: o.kind in kinds)
        # Presence alone gives 0.4; coverage of 15 % of the image or more gives 1.
        functions.append(0.0 if cov == 0 else 0.4 + 0.6 * min(1.0, cov / 0.15))
    natural = sum(fractions[MATERIAL_ID[m]] for m in NATURAL_MATERIALS)
    functions.append(natural * (1.0 - min(1.0, 3 * built)))

    rgb = image.astype(np.float32)
    lum = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    grad = np.abs(np.diff(lum, axis=0))[:, :-1] + np.abs(np.diff(lum, axis=1))[:-1, :]
    mx, mn = rgb.max(-1), rgb.min(-1)
    discrete = [o for o in objects if o.shape != "linear"]
    dense = min(1.0, len(discrete) / 60)
    surface = [
        float(np.clip((rgb[..., 1] - (rgb[..., 0] + rgb[..., 2]) / 2) / 40, 0, 1).mean()),
        float(lum.mean() / 255),
        float((lum < 70).mean()),
        float(((mx - mn) / np.maximum(mx, 1)).mean()),
        float((grad < 6).mean()),
        float(min(1.0, grad.mean() / 25)),
        min(1.0, striped_fraction + _coverage(objects, lambda o: o.kind in STRIPED_KINDS)),
        min(1.0, _coverage(objects, lambda o: o.shape == "linear") / 0.3),
        min(1.0, _coverage(objects, lambda o: o.shape == "circular") / 0.3),
        min(1.0, _coverage(objects, lambda o: o.shape == "rectangular") / 0.3),
        dense,
        (1.0 - dense) if discrete else 0.0,
        sum(o.arranged for o in objects) / len(objects) if objects else 0.0,
        min(1.0, float((fractions > 0.03).sum()) / 6),
    ]
    # Square root so that small but present materials (cars' metal, rails) still register.
    return np.concatenate([functions, np.sqrt(fractions), surface]).astype(np.float32)
