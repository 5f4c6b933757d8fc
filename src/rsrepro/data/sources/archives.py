"""Safe extraction of zip and tar archives into a folder that appears only when extraction succeeded.

Every member's destination is resolved and must stay inside the target (zip-slip); tar members go
through Python's ``data`` filter (no absolute paths, no links or devices pointing outside). RAR is not
supported: no maintained pure-Python RAR reader exists (``rarfile`` shells out to ``unrar``), so the error
says how to repack the archive as zip.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import zipfile
from pathlib import Path

from rsrepro.data.sources.errors import ArchiveError
from rsrepro.io import atomic_dir

RAR_MAGIC = b"Rar!\x1a\x07"
ZIP_MAGIC = b"PK"


def is_archive(path: Path) -> bool:
    return path.is_file() and (_head(path).startswith((ZIP_MAGIC, RAR_MAGIC)) or tarfile.is_tarfile(path))


def extract(archive: Path, target: Path) -> Path:
    """Extract ``archive`` into ``target`` (replaced atomically); return ``target``.

    The format is told by content, not by name (Drive downloads and manual files are named freely).
    """
    head = _head(archive)
    with atomic_dir(target) as tmp:
        if head.startswith(ZIP_MAGIC):
            _extract_zip(archive, tmp)
        elif head.startswith(RAR_MAGIC):
            raise ArchiveError(
                f"{archive} is a RAR archive, which rsrepro does not read (no maintained pure-Python "
                f"RAR library). Repack it as zip, e.g. `unar {archive.name} && zip -r {archive.stem}.zip "
                f"<extracted folder>` (or `7z x`), and point the params key at the zip."
            )
        else:
            _extract_tar(archive, tmp)
    return target


def files_named(root: Path, name: str) -> list[Path]:
    """The files (never folders: an archive is extracted into a folder of its own name) called ``name``
    under ``root``, without macOS resource forks."""
    return sorted(p for p in root.rglob(name) if p.is_file() and "__MACOSX" not in p.parts)


def extract_member(archive: Path, name: str, where: str) -> None:
    """Replace ``archive`` by the one file called ``name`` inside it (a plain file given packed, as
    RSICD's captions in its bundle's annotations archive)."""
    unpacked = extract(archive, archive.with_name(f".{archive.name}.unpacked"))
    try:
        found = files_named(unpacked, name)
        if len(found) != 1:
            raise ArchiveError(
                f"{where}: the archive given holds {len(found)} files named {name} "
                f"({', '.join(str(p.relative_to(unpacked)) for p in found) or 'none'}); expected exactly "
                f"one. Give {name} itself, or an archive that contains it once."
            )
        os.replace(found[0], archive)
    finally:
        shutil.rmtree(unpacked, ignore_errors=True)


def _extract_zip(archive: Path, target: Path) -> None:
    root = target.resolve()
    try:
        with zipfile.ZipFile(archive) as zf:
            for member in zf.infolist():
                destination = (root / member.filename).resolve()
                if not destination.is_relative_to(root):
                    raise ArchiveError(
                        f"{archive}: member {member.filename!r} would be written outside the target folder "
                        f"{target} (zip-slip); refusing to extract this archive. Get a clean copy."
                    )
                zf.extract(member, root)
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile, ValueError) as error:
        raise _corrupt(archive, error) from error
    except OSError as error:
        if "CRC" in str(error) or "Bad" in str(error):
            raise _corrupt(archive, error) from error
        raise


def _extract_tar(archive: Path, target: Path) -> None:
    try:
        with tarfile.open(archive) as tf:
            tf.extractall(target, filter="data")
    except tarfile.FilterError as error:
        raise ArchiveError(
            f"{archive}: member escapes the target folder {target} ({error}); refusing to extract. "
            "Get a clean copy."
        ) from error
    except (tarfile.TarError, EOFError) as error:
        raise ArchiveError(
            f"{archive}: not a readable zip or tar archive ({error}; first bytes {_head(archive)!r}, "
            f"{archive.stat().st_size:,} bytes): corrupt, truncated or another format. Delete it and rerun "
            "the fetch step, or repack it as zip."
        ) from error


def _corrupt(archive: Path, error: BaseException) -> ArchiveError:
    return ArchiveError(
        f"{archive} is corrupt or truncated ({error}; {archive.stat().st_size:,} bytes). Delete it and "
        "rerun the fetch step to download it again."
    )


def _head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(8)
