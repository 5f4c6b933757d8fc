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
    from rsrepro.data.sources.spec import Source

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
        records = [
            {
                "filename": item["filename"],
                "split": item["split"],
                "captions": [text(s) for s in item["sentences"]],
            }
            for item in json.loads(json_path.read_bytes().decode("utf-8"))["images"]
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


def convert_karpathy(
    root: Path, out: Path, source: Source, image_size: int, json_name: str, caption_field: str
) -> None:
    records = read_karpathy(find_one(root, json_name, source), caption_field)
    paths = image_paths(root, [r["filename"] for r in records], json_name, source)
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


def convert_rsitmd(root: Path, out: Path, source: Source, image_size: int) -> None:
    convert_karpathy(root, out, source, image_size, "dataset_RSITMD.json", "raw")


def convert_rsicd(root: Path, out: Path, source: Source, image_size: int) -> None:
    convert_karpathy(root, out, source, image_size, "dataset_rsicd.json", "tokens")
