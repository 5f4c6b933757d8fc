"""Converters from each real dataset's published layout into the prepared form.

- folder per class (UCM ``UCMerced_LandUse/Images/<class>/*.tif``, AID ``AID/<Class>/*.jpg``,
  NWPU ``NWPU-RESISC45/<class>/*.jpg``): class = folder name, scene = class, no official split.
- Karpathy-style captions (RSITMD ``dataset_RSITMD.json``, RSICD ``dataset_rsicd.json``): ``images[]`` with
  ``filename``, ``split``, ``sentences[].raw``. Scene (and class) = file-name prefix before the first
  ``_``; RSICD's numeric names carry no scene (scene "", class "none"). Official split: ``test`` stays test,
  ``train`` and ``val`` are train (SWAN's published train lists are Karpathy's train + val).
- RSSDIVCS (DSVA): ``{61,52,43}_images.mat`` (``image_files``, 1-based ``labels``),
  ``ann_attr_finetune_{k}_splits.mat`` (``att`` 98 x 70, ``allclasses_names``, 1-based ``*_loc_{r}``),
  ``attri_group_3.json``; the split lists of random split r=0 (the one DSVA reports) become
  ``zero_shot_splits``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.io

from rsrepro.data.prepared import PreparedWriter
from rsrepro.data.sources.errors import LayoutError
from rsrepro.data.sources.images import is_image, load_images

if TYPE_CHECKING:
    from rsrepro.data.sources.spec import Source

log = logging.getLogger(__name__)

NO_SCENE_CLASS = "none"
DSVA_SPLIT_FILES = {"60/10": "61", "50/20": "52", "40/30": "43"}
DSVA_RANDOM_SPLIT = 0


def convert_folder_per_class(root: Path, out: Path, source: Source, image_size: int) -> None:
    files = sorted(p for p in root.rglob("*") if is_image(p))
    if not files:
        raise LayoutError(f"{source.name}: no images under {root}; expected <class folder>/<image> files.")
    class_dirs = sorted({p.parent for p in files})
    parents = {d.parent for d in class_dirs}
    if len(parents) != 1:
        raise LayoutError(
            f"{source.name}: images sit in folders of different depths under {root} "
            f"({', '.join(sorted(str(p.relative_to(root)) for p in parents)[:4])}); expected one folder per "
            "class side by side. Is this the original archive?"
        )
    classes = [d.name for d in class_dirs]
    expected = source.notes.get("classes")
    if expected and len(classes) != expected:
        log.warning("%s: found %d classes, the published dataset has %d", source.name, len(classes), expected)
    base = parents.pop()
    names = [p.parent.name for p in files]
    meta = pd.DataFrame(
        {
            "file": [p.relative_to(base).as_posix() for p in files],
            "class_idx": [classes.index(n) for n in names],
            "class_name": names,
            "scene": names,
            "official_split": "",
        }
    )
    write_prepared(out, source, image_size, files, meta, classes)


def scene_of(filename: str) -> str:
    """SWAN's scene label: the file-name prefix before the first ``_``; none for numeric names."""
    return "" if filename[:1].isdigit() else filename.split("_", 1)[0]


def read_karpathy(json_path: Path) -> list[dict[str, Any]]:
    """``[{filename, split, captions}]`` from a Karpathy-style caption file."""
    try:
        images = json.loads(json_path.read_text())["images"]
        return [
            {
                "filename": item["filename"],
                "split": item["split"],
                "captions": [s["raw"].strip() for s in item["sentences"]],
            }
            for item in images
        ]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise LayoutError(
            f"{json_path}: not a Karpathy-style caption file (images[].filename, split, sentences[].raw): "
            f"{error!r}"
        ) from error


def convert_karpathy(root: Path, out: Path, source: Source, image_size: int, json_name: str) -> None:
    records = read_karpathy(find_one(root, json_name, source))
    by_name = {p.name: p for p in root.rglob("*") if is_image(p)}
    missing = [r["filename"] for r in records if r["filename"] not in by_name]
    if missing:
        raise LayoutError(
            f"{source.name}: {len(missing)} of {len(records)} images named in {json_name} are not in the "
            f"archive (e.g. {', '.join(missing[:3])}); the image archive is incomplete or another version."
        )
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
    paths = [by_name[r["filename"]] for r in records]
    write_prepared(out, source, image_size, paths, meta, classes, captions=[r["captions"] for r in records])


def convert_rsitmd(root: Path, out: Path, source: Source, image_size: int) -> None:
    convert_karpathy(root, out, source, image_size, "dataset_RSITMD.json")


def convert_rsicd(root: Path, out: Path, source: Source, image_size: int) -> None:
    convert_karpathy(root, out, source, image_size, "dataset_rsicd.json")


def convert_rssdivcs(root: Path, out: Path, source: Source, image_size: int) -> None:
    images_path = find_one(root, f"{DSVA_SPLIT_FILES['60/10']}_images.mat", source)
    images_mat = load_mat(images_path)
    class_idx = np.asarray(mat_field(images_mat, "labels", images_path)).ravel().astype(np.int64) - 1
    # Paths are absolute on the authors' machine; the part after "RSSDIVCS/" is relative to the images.
    relative = [
        f.split("RSSDIVCS/", 1)[-1] for f in mat_strings(mat_field(images_mat, "image_files", images_path))
    ]
    image_root = find_image_root(root, relative[0], source)
    split_paths = {
        split: find_one(root, f"ann_attr_finetune_{prefix}_splits.mat", source)
        for split, prefix in DSVA_SPLIT_FILES.items()
    }
    split_mats = {split: load_mat(path) for split, path in split_paths.items()}
    first, first_path = split_mats["60/10"], split_paths["60/10"]
    classes = mat_strings(mat_field(first, "allclasses_names", first_path))
    class_attributes = np.asarray(mat_field(first, "att", first_path), dtype=np.float32).T
    groups = json.loads(find_one(root, "attri_group_3.json", source).read_text())
    names_file = next(root.rglob("attri_name.txt"), None)
    attribute_names = (
        names_file.read_text().split("\n")[: class_attributes.shape[1]]
        if names_file
        else [f"attribute_{i:02d}" for i in range(class_attributes.shape[1])]
    )
    zero_shot = {split: dsva_split(mat, class_idx, class_attributes) for split, mat in split_mats.items()}
    meta = pd.DataFrame(
        {
            "file": relative,
            "class_idx": class_idx,
            "class_name": [classes[c] for c in class_idx],
            "scene": [classes[c] for c in class_idx],
            "official_split": "",
        }
    )
    write_prepared(
        out,
        source,
        image_size,
        [image_root / r for r in relative],
        meta,
        classes,
        class_attributes=class_attributes,
        attribute_names=attribute_names,
        attribute_groups={g: [int(i) for i in idx] for g, idx in groups.items()},
        zero_shot_splits=zero_shot,
    )


def dsva_split(mat: dict[str, Any], class_idx: np.ndarray, class_attributes: np.ndarray) -> dict[str, Any]:
    """One paper split from a ``*_splits.mat``: 0-based image indices and the classes they imply."""

    def loc(key: str) -> list[int]:
        values = mat.get(f"{key}_{DSVA_RANDOM_SPLIT}", mat.get(key))
        if values is None:
            raise LayoutError(f"splits .mat lacks {key}_{DSVA_RANDOM_SPLIT}; it has {sorted(mat)}")
        return sorted((np.asarray(values).ravel().astype(np.int64) - 1).tolist())

    split = {
        "train": loc("train_zsl_loc"),
        "train_gzsl": loc("train_gzsl_loc"),
        "test_seen": loc("test_seen_loc"),
        "test_unseen": loc("test_unseen_loc"),
    }
    # DSVA's loader trains on train_zsl_loc in every mode; it must not share images with test_seen.
    overlap = set(split["train"]) & set(split["test_seen"])
    if overlap:
        log.warning("train_zsl_loc and test_seen_loc share %d images: GZSL S is optimistic", len(overlap))
    split["seen"] = sorted({int(class_idx[i]) for i in split["train"] + split["test_seen"]})
    split["unseen"] = sorted({int(class_idx[i]) for i in split["test_unseen"]})
    att = np.asarray(mat["att"], dtype=np.float32).T
    if not np.array_equal(att, class_attributes):
        split["class_attributes"] = att.tolist()  # this split's own matrix, where the files differ
    return split


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


def find_one(root: Path, name: str, source: Source) -> Path:
    found = sorted(p for p in root.rglob(name) if "__MACOSX" not in p.parts)
    if len(found) != 1:
        what = "no" if not found else f"{len(found)} copies of"
        raise LayoutError(
            f"{source.name}: {what} {name} under the fetched files ({root}); expected exactly one. "
            f"Check that the download or manual file is the complete dataset ({source.homepage})."
        )
    return found[0]


def find_image_root(root: Path, relative: str, source: Source) -> Path:
    """The folder that the ``.mat`` files' image paths are relative to."""
    for candidate in [root, *sorted(p for p in root.rglob("*") if p.is_dir())]:
        if (candidate / relative).is_file():
            return candidate
    raise LayoutError(f"{source.name}: image {relative} (named in the .mat files) is not under {root}")


def load_mat(path: Path) -> dict[str, Any]:
    try:
        return scipy.io.loadmat(path)
    except NotImplementedError as error:  # MATLAB v7.3 files are HDF5
        raise LayoutError(
            f"{path} is a MATLAB v7.3 (HDF5) file; re-save it as v7 (`save(name, '-v7')` in MATLAB or "
            "Octave) so scipy can read it."
        ) from error


def mat_field(mat: dict[str, Any], key: str, path: Path) -> Any:
    if key not in mat:
        raise LayoutError(
            f"{path}: no variable {key!r}; it has {sorted(k for k in mat if not k.startswith('__'))}"
        )
    return mat[key]


def mat_strings(value: Any) -> list[str]:
    """A MATLAB cell array of strings (or a char matrix) as a flat list of Python strings."""
    array = np.asarray(value)
    if array.dtype.kind == "U":
        return [str(s).strip() for s in array.ravel()]
    return [s for cell in array.ravel() for s in mat_strings(cell)]
