"""Karpathy-style caption files with their images (RSITMD, RSICD), as SWAN's official lists read them.

``images[]`` holds ``filename``, ``split`` (train / val / test) and ``sentences[]`` with ``raw`` and
``tokens``. SWAN's published caption lists (and so its vocabularies and the paper's numbers) take
RSITMD's ``raw`` text as it is (trailing spaces included), but RSICD's ``" ".join(tokens) + " ."``: in
dataset_rsicd.json the two disagree (airport_1.jpg: raw "Many aircraft are parked ..." against tokens
"many planes are parked ..."). Rows follow the lists
too: Karpathy's train, then val (SWAN's train list is both), then test, each in file order. Scene (and
class) = the file-name prefix before the first ``_``; RSICD's numeric names carry no scene (scene "",
class "none"). Official split: ``test`` stays test, ``train`` and ``val`` are train.

The file must be UTF-8, give every image at least one sentence and list every image once (an image in two
splits would put test images into training). It names images by file name only; an image is found at
``<image folder>/<file name>``, the image folder being the one folder that holds every image named (the
dataset's ``images/``). Without such a folder each name must be unique in the archive: a name found in
two folders stops, since the file cannot say which image it means.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from rsrepro.data.sources.converters.common import find_one, write_prepared
from rsrepro.data.sources.errors import LayoutError
from rsrepro.data.sources.images import is_image

if TYPE_CHECKING:
    from rsrepro.data.sources.spec import KarpathyCaptions, Source

NO_SCENE_CLASS = "none"
SPLIT_ORDER = ("train", "val", "test")
CAPTION_TEXT: dict[str, Callable[[dict[str, Any]], str]] = {
    "raw": lambda sentence: sentence["raw"],
    "tokens": lambda sentence: " ".join(sentence["tokens"]) + " .",
}


def scene_of(filename: str) -> str:
    """SWAN's scene label: the file-name prefix before the first ``_``; none for numeric names."""
    return "" if filename[:1].isdigit() else filename.split("_", 1)[0]


def read_karpathy(json_path: Path, caption_field: str) -> list[dict[str, Any]]:
    """``[{filename, split, captions}]`` in the official lists' order; captions from ``caption_field``
    (``raw`` or ``tokens``, see the module docstring)."""
    text = CAPTION_TEXT[caption_field]
    try:
        images = json.loads(json_path.read_bytes().decode("utf-8"))["images"]
        check_split_fields(json_path, images)
        records = [
            {
                "filename": item["filename"],
                "split": item["split"],
                "captions": [text(s) for s in item["sentences"]],
            }
            for item in images
        ]
    except UnicodeDecodeError as error:
        raise LayoutError(
            f"{json_path} is not UTF-8 text (byte {error.object[error.start]:#04x} at offset "
            f"{error.start:,}): damaged, or re-saved in another encoding; convert it to UTF-8."
        ) from error
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise LayoutError(
            f"{json_path}: not a Karpathy-style caption file (images[].filename, split, "
            f"sentences[].{caption_field}): {error!r}"
        ) from error
    unknown = sorted({r["split"] for r in records} - set(SPLIT_ORDER))
    if unknown:
        raise LayoutError(
            f"{json_path}: split values {unknown}; a Karpathy-style file has {list(SPLIT_ORDER)}"
        )
    empty = [r["filename"] for r in records if not r["captions"]]
    if empty:
        raise LayoutError(
            f"{json_path}: {len(empty)} images have no sentences ({', '.join(empty[:5])}); every image needs "
            "its captions (five each in RSITMD and RSICD). The file is damaged or another version."
        )
    splits = defaultdict(list)
    for r in records:
        splits[r["filename"]].append(r["split"])
    repeated = {name: where for name, where in splits.items() if len(where) > 1}
    if repeated:
        examples = "; ".join(f"{name} in {' and '.join(where)}" for name, where in list(repeated.items())[:5])
        raise LayoutError(
            f"{json_path}: {len(repeated)} images are listed more than once ({examples}); an image in two "
            "splits would put test images into training. The file is damaged or another version."
        )
    return sorted(records, key=lambda r: SPLIT_ORDER.index(r["split"]))  # stable: file order within a split


def check_split_fields(json_path: Path, images: list[dict[str, Any]]) -> None:
    """Stop unless every image has a ``split``: SWAN's protocol tests on the file's own test images and
    re-splits its train (and val) images (a file without test images stops at the retrieval split)."""
    missing = [item.get("filename", f"images[{i}]") for i, item in enumerate(images) if "split" not in item]
    if missing:
        raise LayoutError(
            f"{json_path}: {len(missing)} images have no split field "
            f"(e.g. {', '.join(map(str, missing[:3]))}); give each image "
            '"split": "train", "val" or "test" (the official test images stay test).'
        )


def convert_karpathy(
    root: Path,
    out: Path,
    source: Source,
    layout: KarpathyCaptions,
    image_size: int,
    every_image: bool = False,
) -> None:
    """Convert the caption file ``layout.json_name`` and its images; ``every_image``: an image file in the
    image folder that the caption file does not list stops (a user's own dataset, where it is a forgotten
    caption; the published archives may hold extra files)."""
    json_name = layout.json_name
    records = read_karpathy(find_one(root, json_name, source), layout.caption_field)
    paths = image_paths(root, [r["filename"] for r in records], json_name, source)
    if every_image:
        check_every_image_listed(paths, json_name)
    scenes = [scene_of(r["filename"]) for r in records]
    class_names = [s or NO_SCENE_CLASS for s in scenes]
    classes = sorted(set(class_names))
    meta = pd.DataFrame(
        {
            "file": [r["filename"] for r in records],
            "class_idx": [classes.index(c) for c in class_names],
            "class_name": class_names,
            "scene": scenes,
            "official_split": ["test" if r["split"] == "test" else "train" for r in records],
        }
    )
    write_prepared(out, source, image_size, paths, meta, classes, captions=[r["captions"] for r in records])


def check_every_image_listed(paths: Sequence[Path], json_name: str) -> None:
    listed = set(paths)
    folders = {p.parent for p in paths}
    unlisted = sorted(p for folder in folders for p in folder.iterdir() if is_image(p) and p not in listed)
    if unlisted:
        raise LayoutError(
            f"{unlisted[0]}: an image without captions ({len(unlisted)} in all) in {json_name}'s image "
            f"folder. Add an entry with its sentences and split to {json_name}, or move the image out of "
            "the folder."
        )


def image_paths(root: Path, names: Sequence[str], json_name: str, source: Source) -> list[Path]:
    """Where each image named in the caption file is (see the module docstring)."""
    found = defaultdict(list)
    for path in root.rglob("*"):
        if is_image(path):
            found[path.name].append(path)
    missing = [name for name in names if name not in found]
    if missing:
        raise LayoutError(
            f"{source.name}: {len(missing)} of {len(names)} images named in {json_name} are not in the "
            f"archive (e.g. {', '.join(missing[:3])}); the image archive is incomplete or another version."
        )
    folders = set.intersection(*({p.parent for p in found[name]} for name in set(names))) if names else set()
    if len(folders) == 1:
        folder = folders.pop()
        return [folder / name for name in names]
    ambiguous = sorted(name for name in set(names) if len(found[name]) > 1)
    if ambiguous:
        name = ambiguous[0]
        copies = ", ".join(str(p.relative_to(root)) for p in sorted(found[name]))
        raise LayoutError(
            f"{source.name}: {json_name} names images by file name only, and {len(ambiguous)} of them are in "
            f"the archive more than once, in different folders (e.g. {name}: {copies}), so which image it "
            "means is unknown. Keep one copy of each image (the dataset's own image folder) and give that "
            "archive instead."
        )
    return [found[name][0] for name in names]
