"""Turn a fetched source (``data/raw/<name>/``) into its prepared dataset: extract, convert, clean up."""

from __future__ import annotations

from pathlib import Path

from rsrepro.data.sources.archives import extract, is_archive
from rsrepro.data.sources.converters import converter
from rsrepro.data.sources.errors import SourceError
from rsrepro.data.sources.spec import Dataset, Source
from rsrepro.io import temp_dir


def prepare_source(source: Source, raw: Path, out: Path, image_size: int, scratch: Path) -> None:
    """Extract ``raw`` into a scratch folder (deleted afterwards, however this ends) and convert it into
    ``out``.

    The prepared folder is written atomically by the converter, so a failure leaves no partial output.
    A failure names the files as the user can find them (under ``raw``, not in the scratch folder, which
    is gone by then) and the folder whose deletion makes the workflow fetch the source again.
    """
    if not isinstance(source, Dataset):
        raise SourceError(f"{source.name} is pretrained weights, not a dataset; it has no prepared form")
    with temp_dir(scratch / source.name) as work:
        try:
            materialize(raw, work)
            converter(source.layout)(work, out, source, source.layout, image_size)
        except SourceError as error:
            advice = (
                f"To fetch {source.name} again, delete the folder {raw} and rerun the workflow (it then "
                f"downloads it, or copies the file given in data.{source.name}.files, again)."
            )
            raise error.advised(advice, shown=(work, raw)) from error


def materialize(folder: Path, work: Path) -> None:
    """Mirror ``folder`` into ``work``: archives extracted (also inside fetched folders), files linked."""
    work.mkdir(parents=True, exist_ok=True)
    for entry in sorted(folder.iterdir()):
        if entry.is_dir():
            materialize(entry, work / entry.name)
        elif is_archive(entry):
            extract(entry, work / entry.name)
        else:
            (work / entry.name).symlink_to(entry.resolve())
