"""Safe extraction of zip and tar archives into a folder that appears only when extraction succeeded.

Every member's destination is resolved and must stay inside the target (zip-slip); tar members go
through Python's ``data`` filter (no absolute paths, no links or devices pointing outside). Before a byte
is written the members' declared sizes are checked against fixed bounds (zip bombs): the archive may not
inflate to more than :data:`MAX_EXTRACTED_BYTES` or to more than :data:`MAX_RATIO` times its own size,
nor may any member larger than :data:`RATIO_FLOOR` bytes inflate more than :data:`MAX_RATIO` times (zip
enforces the declared sizes when it inflates; images and text compress far less). Then the target's
disk must have room for them. RAR is not supported: no maintained pure-Python RAR reader exists
(``rarfile`` shells out to ``unrar``), so the error says how to repack the archive as zip.

The errors say what is wrong with the archive; the caller adds how to get a clean copy where it found it
(:meth:`~rsrepro.data.sources.errors.SourceError.advised`).
"""

from __future__ import annotations

import gzip
import lzma
import os
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rsrepro.data.sources.errors import ArchiveError, size_and_head
from rsrepro.io import atomic_dir, disk_space, human_bytes, temp_dir

RAR_MAGIC = b"Rar!\x1a\x07"
ZIP_MAGIC = b"PK"
MAX_EXTRACTED_BYTES = 100 * 10**9  # far above any dataset here (RSSDIVCS: 56,000 images, three 0.9 GB .mat)
MAX_RATIO = 100  # a deflate bomb reaches about 1000; images, float arrays and text compress far less
RATIO_FLOOR = 10 * 10**6  # below this a member may compress more (captions JSON, a blank image)
BLOCK = 4096  # what a small file takes on disk at least
# What reading a damaged archive raises (tarfile.FilterError, a TarError too, is handled before).
CORRUPT = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    tarfile.TarError,
    EOFError,
    ValueError,
    zlib.error,
    gzip.BadGzipFile,
    lzma.LZMAError,
)


@dataclass(frozen=True)
class Member:
    name: str
    size: int  # inflated
    packed: int | None  # compressed size (zip); tar streams do not tell it per member


def is_archive(path: Path) -> bool:
    return path.is_file() and (_head(path).startswith((ZIP_MAGIC, RAR_MAGIC)) or tarfile.is_tarfile(path))


def extract(archive: Path, target: Path) -> Path:
    """Extract ``archive`` into ``target`` (replaced atomically); return ``target``.

    The format is told by content, not by name (Drive downloads and manual files are named freely).
    """
    with _opened(archive) as (handle, members):
        needed = sum(-(-m.size // BLOCK) * BLOCK for m in members)
        with disk_space(target.parent, needed, f"extracting {archive.name}"), atomic_dir(target) as tmp:
            _extract_all(archive, handle, tmp)
    return target


def read_through(archive: Path) -> list[str]:
    """Read every member of ``archive`` (zip: checking each CRC) without writing anything; return the
    member names. This is what proves a fetched archive whole before its checksum is locked."""
    with _opened(archive) as (handle, members):
        if isinstance(handle, zipfile.ZipFile):
            bad = handle.testzip()
            if bad is not None:
                raise ArchiveError(_corrupt(archive, f"bad CRC in member {bad!r}"))
        else:
            for info in handle.getmembers():
                stream = handle.extractfile(info) if info.isfile() else None
                while stream is not None and stream.read(1 << 20):
                    pass
    return [m.name for m in members]


def files_named(root: Path, name: str) -> list[Path]:
    """The files (never folders: an archive is extracted into a folder of its own name) called ``name``
    under ``root``, without macOS resource forks."""
    return sorted(p for p in root.rglob(name) if p.is_file() and "__MACOSX" not in p.parts)


def extract_member(archive: Path, name: str, where: str) -> None:
    """Replace ``archive`` by the one file called ``name`` inside it (a plain file given packed, as
    RSICD's captions in its bundle's annotations archive)."""
    with temp_dir(archive.with_name(f"{archive.name}.unpacked")) as work:
        unpacked = extract(archive, work / "members")
        found = files_named(unpacked, name)
        if len(found) != 1:
            raise ArchiveError(
                f"{where}: the archive given holds {len(found)} files named {name} "
                f"({', '.join(str(p.relative_to(unpacked)) for p in found) or 'none'}); expected exactly "
                f"one. Give {name} itself, or an archive that contains it once."
            )
        os.replace(found[0], archive)


@contextmanager
def _opened(archive: Path) -> Iterator[tuple[zipfile.ZipFile | tarfile.TarFile, list[Member]]]:
    """The open archive and its members, within the bounds of the module docstring."""
    head = _head(archive)
    if head.startswith(RAR_MAGIC):
        raise ArchiveError(
            f"{archive} is a RAR archive, which rsrepro does not read (no maintained pure-Python "
            f"RAR library). Repack it as zip, e.g. `unar {archive.name} && zip -r {archive.stem}.zip "
            f"<extracted folder>` (or `7z x`), and point the params key at the zip."
        )
    try:  # around the caller's block too: inflating a damaged member fails there
        if head.startswith(ZIP_MAGIC):
            with zipfile.ZipFile(archive) as zf:
                members = [Member(i.filename, i.file_size, i.compress_size) for i in zf.infolist()]
                _check_bounds(archive, members)
                yield zf, members
        else:
            with tarfile.open(archive) as tf:
                members = [Member(m.name, m.size, None) for m in tf.getmembers()]
                _check_bounds(archive, members)
                yield tf, members
    except CORRUPT as error:
        raise ArchiveError(_corrupt(archive, error)) from error


def _check_bounds(archive: Path, members: list[Member]) -> None:
    total = sum(m.size for m in members)
    packed = archive.stat().st_size
    bomb = [
        m
        for m in members
        if m.packed is not None and m.size > RATIO_FLOOR and m.size > MAX_RATIO * max(m.packed, 1)
    ]
    if total > MAX_EXTRACTED_BYTES or total > MAX_RATIO * max(packed, 1) or bomb:
        what = (
            f"member {bomb[0].name!r} inflates from {human_bytes(bomb[0].packed or 0)} to "
            f"{human_bytes(bomb[0].size)}"
            if bomb
            else f"its members inflate to {human_bytes(total)} from {human_bytes(packed)}"
        )
        raise ArchiveError(
            f"{archive}: {what}, beyond rsrepro's bounds (at most {MAX_RATIO} times the packed size, "
            f"{human_bytes(MAX_EXTRACTED_BYTES)} in all): a zip bomb or not the dataset; refusing to "
            f"extract it."
        )


def _extract_all(archive: Path, handle: zipfile.ZipFile | tarfile.TarFile, target: Path) -> None:
    if isinstance(handle, tarfile.TarFile):
        try:
            handle.extractall(target, filter="data")
        except tarfile.FilterError as error:
            raise ArchiveError(
                f"{archive}: member escapes the target folder {target} ({error}); refusing to extract."
            ) from error
        return
    root = target.resolve()
    outside = [m for m in handle.namelist() if not (root / m).resolve().is_relative_to(root)]
    if outside:
        raise ArchiveError(
            f"{archive}: member {outside[0]!r} would be written outside the target folder {target} "
            "(zip-slip); refusing to extract this archive."
        )
    handle.extractall(root)


def _corrupt(archive: Path, error: object) -> str:
    return (
        f"{archive} is corrupt or truncated ({error}; {size_and_head(archive)}), or no zip or tar "
        "archive at all."
    )


def _head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(8)
