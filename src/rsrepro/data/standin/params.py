"""Point the paper preset at stand-in files: the ``data.<name>`` (or ``data.pretrained.<name>``) params a
user would write."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rsrepro.data.sources.catalog import SOURCES
from rsrepro.data.sources.checksums import file_digests


def standin_params(
    files: Mapping[str, Mapping[str, Path]], url: Callable[[str, Path], str] | None = None
) -> dict[str, dict[str, Any]]:
    """``{name: {"urls" | "files": ..., "checksums": ...}}`` for stand-in ``files`` (per dataset, per
    catalog key, as the writers return them).

    A file is given by its URL (``url(name, path)``, e.g. on a loopback server), or without ``url`` as
    the local file a user downloaded by hand; a folder (RSSDIVCS's Drive folder) is always given as a
    local folder. Where the source publishes a checksum, the stand-in's own digest of the same kind
    replaces it (a stand-in never matches the real file); the others are recorded in the lock."""
    sections: dict[str, dict[str, Any]] = {}
    for name, by_key in files.items():
        section: dict[str, Any] = sections.setdefault(name, {})
        for key, path in by_key.items():
            if url is None or path.is_dir():
                section.setdefault("files", {})[key] = str(path)
            else:
                section.setdefault("urls", {})[key] = url(name, path)
            published = SOURCES[name].files[key].checksum
            if published:
                algorithm = published.partition(":")[0]
                section.setdefault("checksums", {})[key] = f"{algorithm}:{file_digests(path)[algorithm]}"
    return sections
