"""What a source is: its files (URLs, mirrors, checksums) and how to convert them (torchgeo style)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class RemoteFile:
    """One file of a source.

    ``urls`` are tried in order (official first, then mirrors with identical content). ``drive_id`` /
    ``drive_folder`` name Google-Drive sources (fetched by gdown, which handles Drive's confirm page).
    ``checksum`` is the published one ("md5:<hex>" / "sha256:<hex>"); without it the lock file decides.
    ``manual`` says where a person gets the file when nothing can be downloaded automatically.
    """

    name: str
    urls: tuple[str, ...] = ()
    drive_id: str | None = None
    drive_folder: str | None = None
    checksum: str | None = None
    manual: str = ""

    @property
    def automatic(self) -> bool:
        return bool(self.urls or self.drive_id or self.drive_folder)


@dataclass(frozen=True)
class Source:
    """A dataset or a set of pretrained weights: its files and (for datasets) its converter.

    ``convert(extracted_root, out, name, image_size)`` writes the prepared form of a dataset.
    """

    name: str
    title: str
    homepage: str
    files: dict[str, RemoteFile]
    convert: Callable[[Path, Path, str, int], None] | None = None
    notes: dict[str, Any] = field(default_factory=dict)
