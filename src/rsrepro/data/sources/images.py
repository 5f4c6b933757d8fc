"""Decode dataset images into the prepared form: RGB uint8 at the working resolution."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from rsrepro.data.sources.errors import ImageReadError
from rsrepro.data.sources.proof import IMAGE_SUFFIXES

SIXTEEN_BIT_GREY = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})


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
            rgb = eight_bit(image, path).convert("RGB")
            if rgb.size != (size, size):
                rgb = rgb.resize((size, size), Image.Resampling.BICUBIC)
            return np.asarray(rgb, dtype=np.uint8)
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise ImageReadError(
            f"{path}: cannot decode this image ({error}); the archive it came from is probably corrupt."
        ) from error


def eight_bit(image: Image.Image, path: Path) -> Image.Image:
    """``image`` with 8 bits per channel. Pillow reads 16-bit RGB by its high bytes already, but would
    clip 16-bit grey to 255 (all but the darkest pixels white); those are scaled from the full 16-bit
    range instead (0..65535 to 0..255). 32-bit integer and floating-point pixels have no range to scale
    from: they stop."""
    if image.mode in SIXTEEN_BIT_GREY:
        wide = np.asarray(image, dtype=np.uint32)
        return Image.fromarray(((wide * 255 + 32767) // 65535).astype(np.uint8))  # mode L
    if image.mode in ("I", "F"):
        raise ImageReadError(
            f"{path}: {'32-bit integer' if image.mode == 'I' else 'floating-point'} pixels, which have no "
            "fixed range to scale to the 8 bits the models read. Convert the images to 8 bits first "
            "(e.g. `gdal_translate -ot Byte -scale <in> <out>`, with the scale your data needs)."
        )
    return image


def load_images(paths: Sequence[Path], size: int, desc: str) -> Iterator[np.ndarray]:
    """Images in order; decoding runs in a few threads (PIL releases the GIL while decoding)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        yield from tqdm(pool.map(lambda p: load_image(p, size), paths), total=len(paths), desc=desc)
