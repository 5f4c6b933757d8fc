"""Folder-per-class datasets (UCM, AID, NWPU-RESISC45, a user's own): class = folder name, scene = class,
no official split; every published class must be there. The class folders may sit at any depth (AID's
``AID/<Class>/``), side by side; any of .jpg / .png / .tif.

Each image also gets the caption "an aerial image of <class words>" and the dataset the words of its
class names as attribute names (:mod:`rsrepro.data.class_words`): the image-text model the embedded preset
trains learns from those captions, and DSVA's attribute collection scores the images against those words,
so a class-folder dataset runs through LSE-Net and DSVA alike."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from rsrepro.data.class_words import attribute_words, class_caption
from rsrepro.data.sources.converters.common import check_classes, write_prepared
from rsrepro.data.sources.errors import LayoutError
from rsrepro.data.sources.images import is_image

if TYPE_CHECKING:
    from rsrepro.data.sources.spec import ClassFolders, Source


def convert_folder_per_class(
    root: Path, out: Path, source: Source, layout: ClassFolders | None, image_size: int
) -> None:
    files = sorted(p for p in root.rglob("*") if is_image(p))
    if not files:
        raise LayoutError(f"{source.name}: no images under {root}; expected <class folder>/<image> files.")
    class_dirs = sorted({p.parent for p in files})
    parents = {d.parent for d in class_dirs}
    if len(parents) != 1:
        raise LayoutError(
            f"{source.name}: images sit in folders of different depths under {root} "
            f"({', '.join(sorted(str(p.relative_to(root)) for p in parents)[:4])}); expected one folder per "
            "class side by side. Is this the original archive?"
        )
    base = parents.pop()
    classes = [d.name for d in class_dirs]
    check_classes(source, classes, base)
    names = [p.parent.name for p in files]
    meta = pd.DataFrame(
        {
            "file": [p.relative_to(base).as_posix() for p in files],
            "class_idx": [classes.index(n) for n in names],
            "class_name": names,
            "scene": names,
            "official_split": "",
        }
    )
    write_prepared(
        out,
        source,
        image_size,
        files,
        meta,
        classes,
        captions=[[class_caption(n)] for n in names],
        attribute_names=attribute_words(classes),
    )
