"""A procedurally generated aerial-scene dataset, made offline and deterministically from a seed.

28 scene classes (``CLASSES``) are each a recipe of land-cover textures (grass, crop rows, trees, sand,
water, soil, asphalt, concrete, ...) and objects (houses, cars, tanks, boats, planes, roads, tracks,
courts, ...) with random layout, scale, rotation and colour. Every image comes with

- a key mask: where the class-defining elements were drawn (what sets the class apart from its
  confusion partner, or its signature land cover where it has no objects);
- five captions written from what was drawn (true counts, drawn colour names, positions, relations);
- an attribute vector in three groups (functions, materials, surface properties), computed from the
  drawing; the class-attribute matrix is the per-class mean.

Confusion pairs (``CONFUSION_PAIRS``), made hard on purpose:

- dense / medium / sparse residential: the same streets and houses at different densities;
- mobile_home_park vs dense_residential: long narrow trailers instead of houses;
- storage_tanks vs industrial: the same yard and warehouses, plus a few round tanks;
- commercial vs parking_lot: large buildings beside the parked cars;
- bridge vs river: one road crossing the water;
- harbor vs beach: piers and boats on the water side of the same shore;
- golf_course vs meadow: a fairway with sand bunkers and greens on the same grass;
- circular_farmland vs farmland: round pivot fields instead of striped plots;
- chaparral vs forest: sparse shrubs on dry soil instead of a closed canopy;
- airport vs runway: planes and a terminal beside the same runway;
- intersection vs freeway, railway vs freeway: a crossing with crosswalks; tracks instead of lanes;
- island vs lake: land in water instead of water in land;
- desert vs bare_land: rippled dunes instead of flat soil.

Each image is drawn from ``np.random.default_rng([seed, class_index, image_index])``, so any image can be
regenerated alone.
"""

from .attributes import ATTRIBUTE_GROUPS, ATTRIBUTE_NAMES
from .canvas import DrawnObject
from .prepare import contact_sheet, prepare_synthetic
from .render import Scene, render_scene
from .scenes import CLASSES, CONFUSION_PAIRS

__all__ = [
    "ATTRIBUTE_GROUPS",
    "ATTRIBUTE_NAMES",
    "CLASSES",
    "CONFUSION_PAIRS",
    "DrawnObject",
    "Scene",
    "contact_sheet",
    "prepare_synthetic",
    "render_scene",
]
