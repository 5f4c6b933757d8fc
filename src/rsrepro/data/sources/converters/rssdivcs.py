"""RSSDIVCS (DSVA): the images and DSVA's ``.mat`` files, each paper split from its own pair of files.

DSVA's loader (RS_Scene_ZSL model/visual_utils.py, ``DATA_LOADER.read_matdataset``) reads, for split k
(``61`` = 60/10, ``52`` = 50/20, ``43`` = 40/30):

- ``files/{k}_images.mat``: ``image_files``, a char matrix of absolute paths on the authors' machine whose
  part after ``RSSDIVCS/`` is relative to the image folder; 1-based ``labels``; ``features`` (ResNet
  features, ~0.9 GB, unused by DSVA and never loaded here);
- ``files/ann_attr_finetune_{k}_splits.mat``: ``att`` (attributes x classes), ``allclasses_names`` and the
  1-based image lists ``{train_zsl,train_gzsl,test_seen,test_unseen}_loc_{r}``; random split r = 0 is the
  one DSVA reports.

Every split is checked on its own (seen and unseen classes disjoint and as many as the split says, every
location an image of its file). The prepared images and classes are those of the 60/10 files; the other
splits' lists are mapped onto them by image path and class name, so files in another order still give
the right splits, and files that disagree on which images exist or what class they are stop the
conversion. ``attri_group_3.json`` gives the attribute groups, ``attri_name.txt`` (if shipped) the names.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from rsrepro.data.sources.archives import files_named
from rsrepro.data.sources.converters.common import check_classes, find_one, write_prepared
from rsrepro.data.sources.errors import LayoutError
from rsrepro.data.sources.matlab import load_mat, mat_strings, one_based

if TYPE_CHECKING:
    from rsrepro.data.sources.spec import Source

log = logging.getLogger(__name__)

DSVA_SPLIT_FILES = {"60/10": "61", "50/20": "52", "40/30": "43"}
REFERENCE_SPLIT = "60/10"
DSVA_RANDOM_SPLIT = 0
# Prepared split key -> the .mat list (DSVA trains on train_zsl_loc in every mode).
LOCATIONS = {
    "train": "train_zsl_loc",
    "train_gzsl": "train_gzsl_loc",
    "test_seen": "test_seen_loc",
    "test_unseen": "test_unseen_loc",
}
SEEN_LISTS = ("train", "train_gzsl", "test_seen")
IMAGE_ROOT_MARKER = "RSSDIVCS/"


@dataclass(frozen=True)
class SplitFiles:
    """One paper split as its two files give it; indices are 0-based into the files' own lists."""

    split: str
    images_path: Path
    splits_path: Path
    files: list[str]  # image paths relative to the image folder
    labels: np.ndarray  # per image, an index into ``classes``
    classes: list[str]
    att: np.ndarray  # classes x attributes
    locations: dict[str, np.ndarray]  # prepared split key -> image indices
    seen: np.ndarray  # class indices
    unseen: np.ndarray


def convert_rssdivcs(root: Path, out: Path, source: Source, layout: object, image_size: int) -> None:
    splits = {split: read_split_files(root, split, source) for split in DSVA_SPLIT_FILES}
    reference = splits[REFERENCE_SPLIT]
    check_classes(source, reference.classes, reference.splits_path)
    zero_shot = {split: mapped_split(files, reference) for split, files in splits.items()}
    image_root = find_image_root(root, reference.files[0], source)
    absent = [f for f in reference.files if not (image_root / f).is_file()]
    if absent:
        raise LayoutError(
            f"{source.name}: {len(absent)} of {len(reference.files)} images named in {reference.images_path} "
            f"are not under {image_root} (e.g. {', '.join(absent[:3])}); the images are incomplete."
        )
    groups = json.loads(find_one(root, "attri_group_3.json", source).read_text())
    n_attributes = reference.att.shape[1]
    names_files = files_named(root, "attri_name.txt")
    attribute_names = (
        names_files[0].read_text().split("\n")[:n_attributes]
        if names_files
        else [f"attribute_{i:02d}" for i in range(n_attributes)]
    )
    names = [reference.classes[c] for c in reference.labels]
    meta = pd.DataFrame(
        {
            "file": reference.files,
            "class_idx": reference.labels,
            "class_name": names,
            "scene": names,
            "official_split": "",
        }
    )
    write_prepared(
        out,
        source,
        image_size,
        [image_root / f for f in reference.files],
        meta,
        reference.classes,
        class_attributes=reference.att,
        attribute_names=attribute_names,
        attribute_groups={g: [int(i) for i in idx] for g, idx in groups.items()},
        zero_shot_splits=zero_shot,
    )


def read_split_files(root: Path, split: str, source: Source) -> SplitFiles:
    """Read one split's two files as DSVA does, and stop at anything that makes them unusable."""
    prefix = DSVA_SPLIT_FILES[split]
    images_path = find_one(root, f"{prefix}_images.mat", source)
    splits_path = find_one(root, f"ann_attr_finetune_{prefix}_splits.mat", source)
    images = load_mat(images_path, ("image_files", "labels"))
    lists = {key: f"{name}_{DSVA_RANDOM_SPLIT}" for key, name in LOCATIONS.items()}
    mat = load_mat(splits_path, ("att", "allclasses_names", *lists.values()))
    files = [relative_image_path(p, images_path) for p in mat_strings(images["image_files"])]
    labels = one_based(images["labels"], images_path, "labels")
    classes = mat_strings(mat["allclasses_names"])
    att = np.asarray(mat["att"], dtype=np.float32).T
    if len(labels) != len(files):
        raise LayoutError(f"{images_path}: {len(labels)} labels for {len(files)} image_files")
    for what, names, path in (("image", files, images_path), ("class", classes, splits_path)):
        repeated = sorted(n for n, count in Counter(names).items() if count > 1)
        if repeated:
            raise LayoutError(f"{path}: {len(repeated)} {what} names appear twice (e.g. {repeated[0]})")
    if len(labels) and (labels.min() < 0 or labels.max() >= len(classes)):
        raise LayoutError(
            f"{images_path}: labels run {labels.min() + 1}..{labels.max() + 1}, but {splits_path} names "
            f"{len(classes)} classes (allclasses_names)"
        )
    if att.shape[0] != len(classes):
        raise LayoutError(
            f"{splits_path}: att is {att.T.shape}, expected attributes x {len(classes)} classes "
            "(one column per name of allclasses_names)"
        )
    locations = {key: one_based(mat[name], splits_path, name) for key, name in lists.items()}
    for key, values in locations.items():
        outside = values[(values < 0) | (values >= len(files))]
        if len(outside):
            raise LayoutError(
                f"{splits_path}: {lists[key]} holds {len(outside)} locations outside 1..{len(files)}, the "
                f"images of {images_path} (e.g. {int(outside[0]) + 1})"
            )
    seen = np.unique(labels[np.concatenate([locations[k] for k in SEEN_LISTS])])
    unseen = np.unique(labels[locations["test_unseen"]])
    both = np.intersect1d(seen, unseen)
    if len(both):
        raise LayoutError(
            f"{splits_path}: {len(both)} classes are both seen (in "
            f"{', '.join(lists[k] for k in SEEN_LISTS)}) and unseen (in {lists['test_unseen']}): "
            f"{', '.join(classes[c] for c in both[:5])}"
        )
    n_seen, n_unseen = (int(n) for n in split.split("/"))
    if (len(seen), len(unseen)) != (n_seen, n_unseen):
        raise LayoutError(
            f"{splits_path} is the {split} split, but its lists (with the labels of {images_path}) give "
            f"{len(seen)} seen and {len(unseen)} unseen classes; expected {n_seen} and {n_unseen}"
        )
    overlap = np.intersect1d(locations["train"], locations["test_seen"])
    if len(overlap):
        log.warning(
            "%s: train_zsl_loc and test_seen_loc share %d images: GZSL S is optimistic",
            splits_path,
            len(overlap),
        )
    return SplitFiles(split, images_path, splits_path, files, labels, classes, att, locations, seen, unseen)


def relative_image_path(path: str, images_path: Path) -> str:
    """The part of an absolute path from the authors' machine that is relative to the image folder."""
    parts = path.split(IMAGE_ROOT_MARKER)
    if len(parts) != 2:
        raise LayoutError(
            f"{images_path}: image path {path!r} contains {IMAGE_ROOT_MARKER!r} {len(parts) - 1} times; "
            "expected once (the part after it is the image's path in the dataset folder)"
        )
    return parts[1]


def mapped_split(own: SplitFiles, reference: SplitFiles) -> dict[str, Any]:
    """One split's lists and classes as indices into the reference files' images and classes."""
    image_map, class_map = alignment(own, reference)
    split: dict[str, Any] = {k: sorted(image_map[v].tolist()) for k, v in own.locations.items()}
    split["seen"] = sorted(class_map[own.seen].tolist())
    split["unseen"] = sorted(class_map[own.unseen].tolist())
    att = np.empty_like(own.att)
    att[class_map] = own.att
    if not np.array_equal(att, reference.att):
        split["class_attributes"] = att.tolist()  # this split's own matrix, where the files differ
    return split


def alignment(own: SplitFiles, reference: SplitFiles) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``own``'s images and classes sits in ``reference``; stops where the files disagree
    on which images and classes exist or on an image's class."""
    where = f"{own.images_path} and {reference.images_path}"
    index = {f: i for i, f in enumerate(reference.files)}
    only_own = [f for f in own.files if f not in index]
    only_reference = sorted(set(reference.files) - set(own.files))
    if only_own or only_reference:
        raise LayoutError(
            f"{where} list different images: {len(only_own)} only in the first (e.g. "
            f"{', '.join(only_own[:2]) or '-'}), {len(only_reference)} only in the second (e.g. "
            f"{', '.join(only_reference[:2]) or '-'}); the split files come from different releases."
        )
    if set(own.classes) != set(reference.classes):
        differ = sorted(set(own.classes) ^ set(reference.classes))
        raise LayoutError(
            f"{own.splits_path} and {reference.splits_path} name different classes ({', '.join(differ[:5])})"
        )
    image_map = np.array([index[f] for f in own.files], dtype=np.int64)
    class_map = np.array([reference.classes.index(c) for c in own.classes], dtype=np.int64)
    wrong = np.flatnonzero(class_map[own.labels] != reference.labels[image_map])
    if len(wrong):
        i = int(wrong[0])
        raise LayoutError(
            f"{where} disagree on the class of {len(wrong)} images (e.g. {own.files[i]}: "
            f"{own.classes[own.labels[i]]} in the first, "
            f"{reference.classes[reference.labels[image_map[i]]]} in the second)"
        )
    return image_map, class_map


def find_image_root(root: Path, relative: str, source: Source) -> Path:
    """The folder that the ``.mat`` files' image paths are relative to."""
    for candidate in [root, *sorted(p for p in root.rglob("*") if p.is_dir())]:
        if (candidate / relative).is_file():
            return candidate
    raise LayoutError(f"{source.name}: image {relative} (named in the .mat files) is not under {root}")
