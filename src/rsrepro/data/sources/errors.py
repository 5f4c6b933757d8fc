"""Errors of the real-data path; each message names the file, the expected, the found and the next step."""

from rsrepro.errors import RsreproError


class SourceError(RsreproError):
    """A dataset or weight file cannot be obtained (download failed, manual file missing)."""


class ChecksumError(SourceError):
    """A file's content does not match its known checksum (corrupt, truncated or a different version)."""


class ArchiveError(SourceError):
    """An archive is unreadable, of an unsupported format, or tries to write outside its target folder."""


class LayoutError(SourceError):
    """An extracted dataset does not have the expected files (wrong archive, changed upstream layout)."""


class ImageReadError(SourceError):
    """An image file of a dataset cannot be decoded."""
