"""What a fetched file must show before its checksum is trusted: it reads whole as its format, and an
archive or folder holds the members its source names (``RemoteFile.members``, matched by file or folder
name anywhere inside, ignoring case).

- archives (zip, tar; told by content): every member read through within the bomb bounds, zip CRCs
  checked (:func:`rsrepro.data.sources.archives.read_through`);
- folders: every file by its suffix;
- ``.json`` / ``.jsonl``: UTF-8 JSON (each line of a ``.jsonl``); ``.mat``: every variable read;
  ``.pth`` / ``.pt`` / ``.bin``: a PyTorch checkpoint that loads with ``weights_only=True``; images:
  decoded to the last pixel; other files have no format to check.

A file named as an archive that is none (a web page saved in its place, say) stops with its first bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from rsrepro.data.sources.archives import is_archive, read_through
from rsrepro.data.sources.errors import WEB_PAGE, ArchiveError, ImageReadError, LayoutError, size_and_head
from rsrepro.data.sources.matlab import read_every_variable

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tar.xz")
# Here rather than in rsrepro.data.sources.images, which decodes for conversion: the fetch step's code
# (and so its fingerprint, whose change fetches again) stays clear of how images are converted.
IMAGE_SUFFIXES = frozenset({".tif", ".tiff", ".jpg", ".jpeg", ".png", ".bmp"})
WEIGHT_SUFFIXES = frozenset({".pth", ".pt", ".bin"})


def prove(path: Path, name: str, members: Sequence[str] = ()) -> None:
    """Raise a :class:`~rsrepro.data.sources.errors.SourceError` unless ``path`` (fetched as ``name``)
    reads whole and holds ``members``."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            prove_file(file)
        found = [p.relative_to(path).as_posix() for p in files]
    elif is_archive(path):
        found = read_through(path)
    elif name.lower().endswith(ARCHIVE_SUFFIXES):
        raise ArchiveError(
            f"{path} should be an archive ({name}) but is none ({size_and_head(path)}): {WEB_PAGE}, or "
            "another file."
        )
    else:
        prove_file(path)
        return
    parts = {part.casefold() for member in found for part in Path(member).parts}
    missing = [m for m in members if m.casefold() not in parts]
    if missing:
        raise LayoutError(
            f"{path} holds no {', '.join(missing)}, which {name} has: not the complete dataset, or another "
            "release of it."
        )


def prove_file(path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix in (".json", ".jsonl"):
        _prove_json(path, lines=suffix == ".jsonl")
    elif suffix == ".mat":
        read_every_variable(path)
    elif suffix in WEIGHT_SUFFIXES:
        from rsrepro.pretrained.torch_weights import load_torch_weights  # torch: only where weights are

        load_torch_weights(path)
    elif suffix in IMAGE_SUFFIXES:
        try:
            with Image.open(path) as image:
                image.load()
        except (OSError, ValueError, Image.DecompressionBombError) as error:
            raise ImageReadError(f"{path}: cannot decode this image ({error}).") from error


def _prove_json(path: Path, lines: bool) -> None:
    try:
        text = path.read_bytes().decode("utf-8")
        for line in text.splitlines() if lines else [text]:
            if line.strip() or not lines:
                json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise LayoutError(
            f"{path} is not UTF-8 JSON{' lines' if lines else ''} ({error}; {size_and_head(path)}): "
            f"truncated, damaged, or {WEB_PAGE}."
        ) from error
