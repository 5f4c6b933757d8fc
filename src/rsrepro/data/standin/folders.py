"""Folder-per-class datasets (UCM, AID, NWPU-RESISC45) as their archives are published: one zip, images
where the entry's :class:`~rsrepro.data.sources.spec.ClassFolders` layout puts them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rsrepro.data.sources.catalog import DATASETS
from rsrepro.data.sources.spec import ClassFolders
from rsrepro.data.standin.files import encode_image, write_zip


def write_folder_dataset(
    name: str,
    out_dir: Path,
    images: Sequence[np.ndarray],
    labels: Sequence[int],
    classes: Sequence[str] | None = None,
) -> dict[str, Path]:
    """``{"archive": <the dataset's zip>}``; ``labels`` index ``classes`` (default: the published ones)."""
    source = DATASETS[name]
    layout = source.layout
    assert isinstance(layout, ClassFolders), f"{name} is not a class-folder dataset"
    classes = list(classes or source.classes)
    counts = dict.fromkeys(range(len(classes)), layout.first)
    members = []
    for image, label in zip(images, labels, strict=True):
        folder = classes[label]
        stem = layout.stem.format(cls=folder.lower(), i=counts[label])
        counts[label] += 1
        members.append((f"{layout.root}/{folder}/{stem}{layout.suffix}", encode_image(image, layout.suffix)))
    return {"archive": write_zip(out_dir / source.files["archive"].name, members)}
