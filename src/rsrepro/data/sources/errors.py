"""Errors of the real-data path; each message names the file, the expected, the found and the next step."""

from __future__ import annotations

from pathlib import Path

from rsrepro.errors import RsreproError


class SourceError(RsreproError):
    """A dataset or weight file cannot be obtained (download failed, manual file missing)."""

    def advised(self, advice: str, shown: tuple[Path, Path] | None = None) -> SourceError:
        """This error with ``advice`` after its message: how to get a good copy, which only the caller
        knows (the fetched folder to delete, the params key of a file given by hand). ``shown`` is
        ``(folder, folder the user knows)``: paths in a temporary folder, gone when the step ends, are
        shown in the folder they were made from."""
        message = str(self)
        if shown is not None:
            message = message.replace(str(shown[0]), str(shown[1]))
        return type(self)(f"{message} {advice}")


WEB_PAGE = "a web page saved in its place (Google Drive's quota or sign-in page)"


def size_and_head(path: Path) -> str:
    """A file's size and first bytes, which show what it is when it is not what it should be."""
    with open(path, "rb") as handle:
        head = handle.read(16)
    return f"{path.stat().st_size:,} bytes, first bytes {head!r}"


class ChecksumError(SourceError):
    """A file's content does not match its known checksum (corrupt, truncated or a different version)."""


class ArchiveError(SourceError):
    """An archive is unreadable, of an unsupported format, or tries to write outside its target folder."""


class LayoutError(SourceError):
    """An extracted dataset does not have the expected files (wrong archive, changed upstream layout)."""


class ImageReadError(SourceError):
    """An image file of a dataset cannot be decoded."""
