"""A researcher's own datasets on disk, in the two layouts params.yaml can declare (rsrepro.data.own):
class folders (nested, mixed .jpg / .png / .tif) and a Karpathy-style captions JSON with its images."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

SUFFIXES = (".jpg", ".png", ".tif")
CLASS_NAMES = [
    f"{word}_{kind}" for word in ("dense", "sparse", "green", "bare") for kind in ("field", "town", "shore")
]
SCENES = ("harbor", "forest", "airport", "desert", "river", "stadium")
WORDS = ("boats", "trees", "planes", "sand", "water", "seats")


def image(rng: np.random.Generator, size: int) -> Image.Image:
    """A flat colour with noise: cheap, and different per class where the colour is the class's."""
    return Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8))


def write_class_folders(root: Path, per_class: int = 5, size: int = 32) -> Path:
    """``root/Scenes/<Class>/<class>_<i><suffix>`` (the AID / NWPU nesting), suffixes mixed."""
    rng = np.random.default_rng(0)
    for c, name in enumerate(CLASS_NAMES):
        folder = root / "Scenes" / name.title().replace("_", "")
        folder.mkdir(parents=True)
        for i in range(per_class):
            image(rng, size).save(folder / f"{name}_{i}{SUFFIXES[(c + i) % 3]}")
    return root


def write_karpathy(root: Path, per_scene: int = 6, size: int = 32) -> Path:
    """``root/images/<scene>_<i>.jpg`` and ``root/captions.json`` (Karpathy-style: raw and tokens, the
    last image of each scene test, the one before it val)."""
    rng = np.random.default_rng(1)
    (root / "images").mkdir(parents=True)
    images = []
    for s, scene in enumerate(SCENES):
        for i in range(per_scene):
            name = f"{scene}_{i}.jpg"
            image(rng, size).save(root / "images" / name)
            split = "test" if i == per_scene - 1 else "val" if i == per_scene - 2 else "train"
            raws = [f"many {WORDS[s]} near the {scene} .", f"the {scene} has {WORDS[(s + i) % 6]} ."]
            sentences = [{"raw": r, "tokens": r.rstrip(" .").split()} for r in raws]
            images.append({"filename": name, "split": split, "sentences": sentences})
    (root / "captions.json").write_text(json.dumps({"images": images, "dataset": "mine"}))
    return root
