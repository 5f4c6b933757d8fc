"""Converters from each real dataset's published layout into the prepared form.

- ``folders``: one folder per class (UCM ``UCMerced_LandUse/Images/<class>/*.tif``, AID
  ``AID/<Class>/*.jpg``, NWPU ``NWPU-RESISC45/<class>/*.jpg``), every published class present.
- ``karpathy``: Karpathy-style caption files with their images (RSITMD ``dataset_RSITMD.json``, RSICD
  ``dataset_rsicd.json``), captions and rows as SWAN's official lists.
- ``rssdivcs``: DSVA's ``.mat`` split and attribute files with the RSSDIVCS images, each split from its
  own files, checked against the others.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rsrepro.data.sources.converters.folders import convert_folder_per_class
from rsrepro.data.sources.converters.karpathy import convert_rsicd, convert_rsitmd
from rsrepro.data.sources.converters.rssdivcs import convert_rssdivcs

if TYPE_CHECKING:
    from rsrepro.data.sources.spec import Source

# Dataset name (rsrepro.data.sources.catalog.DATASETS) -> convert(extracted_root, out, source, image_size).
CONVERTERS: dict[str, Callable[[Path, Path, Source, int], None]] = {
    "ucm": convert_folder_per_class,
    "aid": convert_folder_per_class,
    "nwpu_resisc45": convert_folder_per_class,
    "rsitmd": convert_rsitmd,
    "rsicd": convert_rsicd,
    "rssdivcs": convert_rssdivcs,
}

__all__ = ["CONVERTERS", "convert_folder_per_class", "convert_rsicd", "convert_rsitmd", "convert_rssdivcs"]
