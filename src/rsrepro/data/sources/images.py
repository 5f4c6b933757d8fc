"""Decode dataset images into the prepared form: RGB uint8 at the working resolution."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from rsrepro.data.sources.errors import ImageReadError

IMAGE_SUFFIXES = frozenset({".tif", ".tiff", ".jpg", ".jpeg", ".png", ".bmp"})


def is_image(path: Path) -> bool:
    # Skip the resource forks macOS zips carry (__MACOSX/, ._name).
    return (
        path.suffix.lower() in IMAGE_SUFFIXES
        and not path.name.startswith("._")
        and "__MACOSX" not in path.parts
    )


def load_image(path: Path, size: int) -> np.ndarray:
    """One image as ``size x size x 3`` uint8 (bicubic resize, as the papers' code does)."""
    try:
        with Image.open(path) as image:
            rgb = image.convert("RGB")
            if rgb.size != (size, size):
                rgb = rgb.resize((size, size), Image.Resampling.BICUBIC)
            return np.asarray(rgb, dtype=np.uint8)
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise ImageReadError(
            f"{path}: cannot decode this image ({error}). The archive it came from is probably corrupt: "
            "delete the dataset's folder under data/raw/ and rerun the workflow to fetch it again."
        ) from error


def load_images(paths: Sequence[Path], size: int, desc: str) -> Iterator[np.ndarray]:
    """Images in order; decoding runs in a few threads (PIL releases the GIL while decoding)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        yield from tqdm(pool.map(lambda p: load_image(p, size), paths), total=len(paths), desc=desc)
