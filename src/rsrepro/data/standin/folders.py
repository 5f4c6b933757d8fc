"""Folder-per-class datasets (UCM, AID, NWPU-RESISC45) as their archives are published."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rsrepro.data.sources.catalog import DATASETS
from rsrepro.data.standin.files import encode_image, write_zip


@dataclass(frozen=True)
class FolderLayout:
    """Where a class's images sit in the archive: ``root/<class>/<stem>``, ``stem`` formatted with the
    class folder name in lower case (``cls``) and the image number (``i``, counted from ``first``)."""

    root: str
    stem: str
    suffix: str
    first: int


FOLDER_LAYOUTS = {
    "ucm": FolderLayout("UCMerced_LandUse/Images", "{cls}{i:02d}", ".tif", first=0),  # agricultural00.tif
    "aid": FolderLayout("AID", "{cls}_{i}", ".jpg", first=1),  # AID/BareLand/bareland_1.jpg
    "nwpu_resisc45": FolderLayout("NWPU-RESISC45", "{cls}_{i:03d}", ".jpg", first=1),  # airplane_001.jpg
}


def write_folder_dataset(
    name: str,
    out_dir: Path,
    images: Sequence[np.ndarray],
    labels: Sequence[int],
    classes: Sequence[str] | None = None,
) -> dict[str, Path]:
    """``{"archive": <the dataset's zip>}``; ``labels`` index ``classes`` (default: the published ones)."""
    layout, source = FOLDER_LAYOUTS[name], DATASETS[name]
    classes = list(classes or source.classes)
    counts = dict.fromkeys(range(len(classes)), layout.first)
    members = []
    for image, label in zip(images, labels, strict=True):
        folder = classes[label]
        stem = layout.stem.format(cls=folder.lower(), i=counts[label])
        counts[label] += 1
        members.append((f"{layout.root}/{folder}/{stem}{layout.suffix}", encode_image(image, layout.suffix)))
    return {"archive": write_zip(out_dir / source.files["archive"].name, members)}
