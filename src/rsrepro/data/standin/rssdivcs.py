"""RSSDIVCS as DSVA's Google-Drive folder holds it: the images and ``files/`` with the ``.mat`` files in
the shapes DSVA's loader reads (RS_Scene_ZSL model/visual_utils.py).

- ``{k}_images.mat``: ``image_files`` a char matrix (one padded row per image) of absolute paths on the
  authors' machine, each with one ``RSSDIVCS/``; ``labels`` N x 1 double, 1-based; ``features``
  2048 x N double (ResNet features that DSVA loads and never uses).
- ``ann_attr_finetune_{k}_splits.mat``: ``att`` attributes x classes, ``allclasses_names`` a classes x 1
  cell array, ``{train_zsl,train_gzsl,test_seen,test_unseen}_loc_0`` n x 1 double, 1-based.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.io

from rsrepro.data.sources.converters.rssdivcs import DSVA_RANDOM_SPLIT, DSVA_SPLIT_FILES, LOCATIONS
from rsrepro.data.standin.files import encode_image

# opt.image_root's default in RS_Scene_ZSL model/opt.py: where the authors kept the dataset.
AUTHORS_ROOT = "/home/yzj/data/code/ISPRS/ISPRS_2023_clean/RSSDIVCS/"
FEATURE_DIM = 2048


@dataclass(frozen=True)
class ZeroShotLists:
    """One paper split's image lists, 0-based indices into the dataset's images (DSVA trains on
    ``train``, its train_zsl_loc)."""

    train: Sequence[int]
    train_gzsl: Sequence[int]
    test_seen: Sequence[int]
    test_unseen: Sequence[int]


def write_rssdivcs(
    out_dir: Path,
    images: Sequence[np.ndarray],
    labels: Sequence[int],
    classes: Sequence[str],
    splits: Mapping[str, ZeroShotLists],
    class_attributes: np.ndarray,
    attribute_groups: Mapping[str, Sequence[int]],
    feature_dim: int = FEATURE_DIM,
) -> dict[str, Path]:
    """``{"folder": out_dir/RSSDIVCS}``; ``splits`` per paper split ("60/10", "50/20", "40/30"),
    ``class_attributes`` classes x attributes."""
    folder = out_dir / "RSSDIVCS"
    counts = dict.fromkeys(range(len(classes)), 0)
    files = []
    for image, label in zip(images, labels, strict=True):
        counts[label] += 1
        files.append(f"{classes[label]}/{classes[label]}_{counts[label]:03d}.jpg")
        (folder / files[-1]).parent.mkdir(parents=True, exist_ok=True)
        (folder / files[-1]).write_bytes(encode_image(image, ".jpg"))
    mats = folder / "files"
    mats.mkdir()
    for split, lists in splits.items():
        prefix = DSVA_SPLIT_FILES[split]
        write_images_mat(mats / f"{prefix}_images.mat", files, labels, feature_dim)
        write_splits_mat(mats / f"ann_attr_finetune_{prefix}_splits.mat", classes, class_attributes, lists)
    (mats / "attri_group_3.json").write_text(json.dumps({k: list(v) for k, v in attribute_groups.items()}))
    return {"folder": folder}


def write_images_mat(
    path: Path, files: Sequence[str], labels: Sequence[int], feature_dim: int = FEATURE_DIM
) -> None:
    """``files`` relative to the image folder, ``labels`` 0-based."""
    rng = np.random.default_rng(len(files))
    scipy.io.savemat(
        path,
        {
            "image_files": np.array([AUTHORS_ROOT + f for f in files]),  # saved as a padded char matrix
            "labels": np.asarray(labels, dtype=np.float64)[:, None] + 1,
            "features": rng.random((feature_dim, len(files))),
        },
    )


def write_splits_mat(
    path: Path, classes: Sequence[str], class_attributes: np.ndarray, lists: ZeroShotLists
) -> None:
    """``class_attributes`` classes x attributes (stored transposed, as ``att``); lists 0-based."""
    variables = {
        "att": np.asarray(class_attributes, dtype=np.float64).T,
        "allclasses_names": np.array(list(classes), dtype=object)[:, None],
    }
    for key, name in LOCATIONS.items():
        indices = np.asarray(getattr(lists, key), dtype=np.float64)
        variables[f"{name}_{DSVA_RANDOM_SPLIT}"] = indices[:, None] + 1
    scipy.io.savemat(path, variables)
