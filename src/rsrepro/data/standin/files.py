"""Image files and zip archives of a stand-in dataset."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PIL import Image

IMAGE_FORMATS = {".tif": "TIFF", ".jpg": "JPEG", ".png": "PNG"}


def encode_image(image: np.ndarray, suffix: str) -> bytes:
    """An RGB uint8 image as the bytes of a ``suffix`` file (.tif, .jpg, .png)."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buffer, format=IMAGE_FORMATS[suffix])
    return buffer.getvalue()


def write_zip(path: Path, members: Iterable[tuple[str, bytes]]) -> Path:
    """A zip archive of ``(name, bytes)`` members (stored: images are compressed already)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members:
            zf.writestr(name, data)
    return path
