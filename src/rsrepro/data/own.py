"""A researcher's own dataset: declared in params.yaml by name, layout and path, no code.

``data.<name>: {layout: class_folders, path: <folder>, image_size: <px>}`` is a folder per class (at any
depth: ``AID/<Class>/*.jpg`` works; .jpg / .png / .tif); ``layout: karpathy_captions`` adds
``captions_file`` (the Karpathy-style JSON's file name under ``path``) and ``caption_field`` (``raw`` or
``tokens``); a class-folder dataset may list DSVA's seen/unseen classes by name per split
(``zero_shot_splits: {"9/3": {unseen: [...], seen: [...]}}``) instead of having them drawn per split seed.
The files are read in place (nothing is copied) and converted by the layout's converter,
with the checks of the published datasets and the ones only a user's data needs (an image in the folder
that the caption file does not list). Which papers take a dataset follows from its layout
(:func:`dataset_layout`, each paper's ``targets.LAYOUTS``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rsrepro.data.sources.catalog import DATASETS
from rsrepro.data.sources.errors import SourceError
from rsrepro.data.sources.spec import ClassFolders, KarpathyCaptions, Source
from rsrepro.data.splits import listing_problems

SYNTHETIC = "synthetic"  # the embedded generator's dataset: every paper takes it
CAPTION_KEYS = ("captions_file", "caption_field")  # karpathy_captions only
LISTED = "zero_shot_splits"  # class_folders only: DSVA's classes listed by name, per split


def own_datasets(config: dict[str, Any]) -> list[str]:
    """The names of the datasets declared in ``config["data"]`` by layout and path."""
    return [
        name for name, section in config["data"].items() if isinstance(section, dict) and "layout" in section
    ]


def own_problems(config: dict[str, Any]) -> list[str]:
    """What the schema cannot say of the declared datasets: caption keys on a class-folder dataset, listed
    zero-shot classes on a caption dataset, and listings that contradict themselves (whether the names
    are the dataset's classes is checked when the split is made, once the folders are read)."""
    problems = []
    for name in own_datasets(config):
        section = config["data"][name]
        folders = section["layout"] == ClassFolders.name
        misplaced = (
            [key for key in CAPTION_KEYS if key in section] if folders else [LISTED] * (LISTED in section)
        )
        problems += [
            f"data.{name}.{key} is not for {section['layout']} datasets (data.{name}.layout): remove it"
            for key in misplaced
        ]
        for split, listing in section.get(LISTED, {}).items() if folders else ():
            problems += listing_problems(listing, split, f"data.{name}.{LISTED}[{split!r}]")
    return problems


def zero_shot_listing(config: dict[str, Any], dataset: str, split: str) -> dict[str, list[str]]:
    """The seen/unseen classes listed by name for ``dataset``'s split ``split`` ("9/3"), or {} (drawn)."""
    section = config["data"].get(dataset) or {}
    return section.get(LISTED, {}).get(split, {}) if "layout" in section else {}


def conversion_params(section: dict[str, Any]) -> dict[str, Any]:
    """What the conversion of a declared dataset reads: all but the listed zero-shot classes, which are
    the splits' (editing them reruns the DSVA splits, not the conversion and every training after it)."""
    return {key: value for key, value in section.items() if key != LISTED}


def dataset_layout(config: dict[str, Any], name: str) -> str | None:
    """The layout name of a configured dataset (``synthetic`` for the generator's), or None if ``name``
    is neither in the registry nor declared in ``config["data"]``."""
    if name == SYNTHETIC:
        return SYNTHETIC
    if name in DATASETS:
        return DATASETS[name].layout.name
    return (config["data"].get(name) or {}).get("layout")


def prepare_own(name: str, params: dict[str, Any], out: Path) -> None:
    """Convert the dataset ``data.<name>`` (``params``) into the prepared form at ``out``."""
    from rsrepro.data.sources.converters import convert_folder_per_class, convert_karpathy
    from rsrepro.data.sources.download import manual_path

    where = f"data.{name}"
    root = manual_path(params["path"], f"{where}.path")
    if not root.is_dir():
        raise SourceError(
            f"{where}.path = {params['path']!r} is a file; give the folder holding the dataset."
        )
    source = Source(name=name, title=name, homepage=str(root), files={})
    try:
        if params["layout"] == ClassFolders.name:
            convert_folder_per_class(root, out, source, None, int(params["image_size"]))
        else:
            layout = KarpathyCaptions(params["captions_file"], params.get("caption_field", "raw"))
            convert_karpathy(root, out, source, layout, int(params["image_size"]), every_image=True)
    except SourceError as error:
        raise error.advised(f"Fix the data under {where}.path ({root}) and rerun the workflow.") from error
