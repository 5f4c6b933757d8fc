"""Write the synthetic dataset in the prepared-data form, and draw a contact sheet of it."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from rsrepro.data.prepared import PreparedDataset, PreparedWriter
from rsrepro.io import atomic_path
from rsrepro.progress import progress as progress_bar

from .attributes import ATTRIBUTE_GROUPS, ATTRIBUTE_NAMES
from .render import Scene, render_scene
from .scenes import CLASSES, CONFUSION_PAIRS

GENERATOR_VERSION = 1
# Extra entropy word for the split draw, so it never shares a stream with an image's [seed, class, index].
SPLIT_STREAM = 0x5EED_5917


def image_rng(seed: int, class_index: int, image_index: int) -> np.random.Generator:
    """The generator of one image: any image can be regenerated alone from these three numbers."""
    return np.random.default_rng([seed, class_index, image_index])


def scenes(seed: int, image_size: int, images_per_class: int, workers: int = 1) -> Iterator[Scene]:
    """Every image's scene, class by class, drawn by ``workers`` processes (each image has its own
    generator, so the result does not depend on how many)."""
    images = [(seed, c, j, image_size) for c in range(len(CLASSES)) for j in range(images_per_class)]
    if workers <= 1:
        yield from map(_scene, images)
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        yield from pool.map(_scene, images, chunksize=32)


def _scene(image: tuple[int, int, int, int]) -> Scene:
    seed, class_index, image_index, image_size = image
    return render_scene(class_index, image_size, image_rng(seed, class_index, image_index))


def test_members(seed: int, images_per_class: int, test_fraction: float) -> list[np.ndarray]:
    """Per class, the image indices that form its test share (a seeded, stratified draw)."""
    rng = np.random.default_rng([seed, SPLIT_STREAM])
    k = round(test_fraction * images_per_class)
    return [np.sort(rng.permutation(images_per_class)[:k]) for _ in CLASSES]


def prepare_synthetic(
    out_dir: str | Path,
    *,
    seed: int,
    image_size: int,
    images_per_class: int,
    test_fraction: float,
    contact_sheet_path: str | Path | None = None,
    progress: bool = False,
    workers: int = 1,
) -> None:
    """Generate ``images_per_class`` images of every class and write them as a prepared dataset."""
    if images_per_class < 1:
        raise ValueError(f"images_per_class must be >= 1, got {images_per_class}")
    if not 0.0 <= test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in [0, 1), got {test_fraction}")
    n_classes = len(CLASSES)
    n = n_classes * images_per_class
    key_masks = np.zeros((n, image_size, image_size), dtype=bool)
    attributes = np.zeros((n, len(ATTRIBUTE_NAMES)), dtype=np.float32)
    captions: list[list[str]] = []
    rows = []
    tests = test_members(seed, images_per_class, test_fraction)
    source = f"rsrepro synthetic generator v{GENERATOR_VERSION}"
    with PreparedWriter(
        out_dir, name="synthetic", n_images=n, image_size=image_size, source=source
    ) as writer:
        drawn = progress_bar(
            scenes(seed, image_size, images_per_class, workers), total=n, desc="synthetic", enabled=progress
        )
        for i, scene in enumerate(drawn):
            c, j = divmod(i, images_per_class)
            writer.put(i, scene.image)
            key_masks[i] = scene.key_mask
            attributes[i] = scene.attributes
            captions.append(scene.captions)
            name = CLASSES[c]
            split = "test" if j in tests[c] else "train"
            rows.append((f"{name}/{name}_{j:04d}.png", c, name, name, split))
        meta = pd.DataFrame(rows, columns=["file", "class_idx", "class_name", "scene", "official_split"])
        writer.finish(
            meta,
            CLASSES,
            captions=captions,
            attributes=attributes,
            attribute_names=ATTRIBUTE_NAMES,
            attribute_groups=ATTRIBUTE_GROUPS,
            class_attributes=attributes.reshape(n_classes, images_per_class, -1).mean(1),
            key_masks=key_masks,
            extra_info={
                "generator": {
                    "version": GENERATOR_VERSION,
                    "seed": seed,
                    "image_size": image_size,
                    "images_per_class": images_per_class,
                    "test_fraction": test_fraction,
                },
                "confusion_pairs": [list(p) for p in CONFUSION_PAIRS],
            },
        )
    if contact_sheet_path is not None:
        contact_sheet(out_dir, contact_sheet_path)


def contact_sheet(
    dataset: str | Path | PreparedDataset, path: str | Path, *, sample: int = 0, columns: int = 7
) -> None:
    """A PNG with image number ``sample`` of every class, labelled with the class name."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = dataset if isinstance(dataset, PreparedDataset) else PreparedDataset.load(dataset)
    rows = -(-data.num_classes // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 1.9, rows * 2.1), squeeze=False)
    for c, ax in enumerate(axes.flat):
        ax.axis("off")
        members = np.flatnonzero(data.class_idx == c)
        if c >= data.num_classes or len(members) == 0:
            continue
        ax.imshow(data.images[members[min(sample, len(members) - 1)]], interpolation="nearest")
        ax.set_title(data.classes[c], fontsize=8)
    fig.suptitle(f"{data.name}: one image per class ({data.image_size} px)", fontsize=10)
    fig.tight_layout()
    with atomic_path(path, ".png") as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
