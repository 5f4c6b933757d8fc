"""What every converter shares: finding a named file, checking the classes, writing the prepared form."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from rsrepro.data.prepared import PreparedWriter
from rsrepro.data.sources.archives import files_named
from rsrepro.data.sources.errors import LayoutError
from rsrepro.data.sources.images import load_images

if TYPE_CHECKING:
    from rsrepro.data.sources.spec import Source


def find_one(root: Path, name: str, source: Source) -> Path:
    """The one file called ``name`` under the fetched files (folders of that name do not count: an
    archive staged under a file's name is extracted into a folder of that name)."""
    found = files_named(root, name)
    if len(found) != 1:
        what = "no" if not found else f"{len(found)} copies of"
        raise LayoutError(
            f"{source.name}: {what} {name} under the fetched files ({root}); expected exactly one. "
            f"Check that the download or manual file is the complete dataset ({source.homepage})."
        )
    return found[0]


def check_classes(source: Source, found: Sequence[str], where: Path) -> None:
    """Stop unless the classes found are the published ones (a partial archive must not convert). Names
    compare case-insensitively (copies of AID differ in case: BareLand, Bareland)."""
    expected = source.class_count
    published = {name.casefold(): name for name in source.classes}
    present = {name.casefold(): name for name in found}
    missing = sorted(published[k] for k in published.keys() - present.keys())
    unexpected = sorted(present[k] for k in present.keys() - published.keys()) if published else []
    if (expected is None or len(found) == expected) and not missing and not unexpected:
        return
    details = "".join(
        f"; {label}: {', '.join(names)}"
        for label, names in (("missing", missing), ("unexpected", unexpected))
        if names
    )
    raise LayoutError(
        f"{source.name}: expected {expected} classes, found {len(found)} in {where}{details}. The archive is "
        f"incomplete or another version: fetch it again or get the complete dataset ({source.homepage})."
    )


def write_prepared(
    out: Path,
    source: Source,
    image_size: int,
    paths: Sequence[Path],
    meta: pd.DataFrame,
    classes: Sequence[str],
    **parts: Any,
) -> None:
    with PreparedWriter(out, source.name, len(paths), image_size, source=source.homepage) as writer:
        for i, image in enumerate(load_images(paths, image_size, desc=source.name)):
            writer.put(i, image)
        writer.finish(meta, classes, **parts)
