"""Converters from each published layout into the prepared form, one per layout
(:class:`rsrepro.data.sources.spec.Layout`); a dataset's is its registry entry's layout.

- ``folders``: one folder per class, at any depth (UCM ``UCMerced_LandUse/Images/<class>/*.tif``, AID
  ``AID/<Class>/*.jpg``, NWPU ``NWPU-RESISC45/<class>/*.jpg``, a user's own), every published class present.
- ``karpathy``: Karpathy-style caption files with their images (RSITMD ``dataset_RSITMD.json``, RSICD
  ``dataset_rsicd.json``, a user's own), captions and rows as SWAN's official lists.
- ``rssdivcs``: DSVA's ``.mat`` split and attribute files with the RSSDIVCS images, each split from its
  own files, checked against the others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rsrepro.data.sources.converters.folders import convert_folder_per_class
from rsrepro.data.sources.converters.karpathy import convert_karpathy
from rsrepro.data.sources.converters.rssdivcs import convert_rssdivcs
from rsrepro.data.sources.spec import ClassFolders, KarpathyCaptions, ZeroShotMat

# Layout name -> convert(extracted_root, out, source, layout, image_size).
LAYOUTS: dict[str, Callable[..., None]] = {
    ClassFolders.name: convert_folder_per_class,
    KarpathyCaptions.name: convert_karpathy,
    ZeroShotMat.name: convert_rssdivcs,
}


def converter(layout: Any) -> Callable[..., None]:
    return LAYOUTS[layout.name]


__all__ = ["LAYOUTS", "convert_folder_per_class", "convert_karpathy", "convert_rssdivcs", "converter"]
