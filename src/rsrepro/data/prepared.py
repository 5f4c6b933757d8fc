"""The prepared-data contract: the one form every dataset, synthetic or real, is converted into.

Models, metrics and reports read only this. A prepared dataset is a directory::

    images.npy             uint8 N x H x W x 3, RGB, at the working resolution (opened memory-mapped)
    meta.csv               one row per image: file, class_idx, class_name, scene, official_split
    info.json              name, source, image_size, classes, attribute names/groups, optional parts,
                           and the content digest of every other file (a run's fingerprint holds it)
    captions.json          [retrieval] N lists of captions (five per image for the papers' datasets)
    attributes.npy         [optional] float32 N x A per-image attribute vectors
    class_attributes.npy   [optional] float32 C x A class-attribute matrix
    key_masks.npy          [synthetic] uint8 N x H x W, 1 where class-defining objects were drawn
    zero_shot_splits.json  [optional] the dataset's own seen/unseen splits (RSSDIVCS)

``scene`` is the retrieval scene label (the file-name prefix for RSITMD/RSICD, the class for the others,
empty where a file carries no scene). ``official_split`` is the dataset's published train/test split
where it has one (empty otherwise).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rsrepro.errors import RsreproError
from rsrepro.io import disk_space, replace_dir, temp_dir

if TYPE_CHECKING:
    import pandas as pd

META_COLUMNS = ("file", "class_idx", "class_name", "scene", "official_split")
FORMAT_VERSION = 2  # 2: info.json holds content_digest


class PreparedDataError(RsreproError):
    """A prepared dataset is missing, incomplete or inconsistent."""


@dataclass(frozen=True)
class PreparedDataset:
    """Read access to a prepared dataset directory; arrays are loaded lazily (images memory-mapped)."""

    root: Path
    info: dict[str, Any]
    meta: pd.DataFrame = field(repr=False)

    @classmethod
    def load(cls, root: str | Path) -> PreparedDataset:
        root = Path(root)
        info_path = root / "info.json"
        if not info_path.is_file():
            raise PreparedDataError(
                f"{root} is not a prepared dataset (no info.json). "
                "Run the workflow's prepare step first, e.g. `snakemake --cores all <that path>`."
            )
        info = json.loads(info_path.read_text())
        if info.get("format_version") != FORMAT_VERSION:
            raise PreparedDataError(
                f"{root}: prepared format {info.get('format_version')!r}, this code reads {FORMAT_VERSION}; "
                "delete the folder and let the workflow rebuild it."
            )
        import pandas as pd  # here only: the trainers' steps import on a GPU node without pandas

        meta = pd.read_csv(root / "meta.csv", keep_default_na=False, dtype={"scene": str, "file": str})
        return cls(root=root, info=info, meta=meta)

    def __len__(self) -> int:
        return len(self.meta)

    @property
    def name(self) -> str:
        return self.info["name"]

    @property
    def classes(self) -> list[str]:
        return list(self.info["classes"])

    @property
    def num_classes(self) -> int:
        return len(self.info["classes"])

    @property
    def content_digest(self) -> str:
        """sha256 of the dataset's files, computed once when it was written."""
        return self.info["content_digest"]

    @property
    def image_size(self) -> int:
        return int(self.info["image_size"])

    @cached_property
    def class_idx(self) -> np.ndarray:
        return self.meta["class_idx"].to_numpy(dtype=np.int64)

    @cached_property
    def images(self) -> np.ndarray:
        """uint8 N x H x W x 3, memory-mapped read-only: slicing reads only the rows asked for."""
        return np.load(self.root / "images.npy", mmap_mode="r")

    @cached_property
    def captions(self) -> list[list[str]]:
        return self._json_part("captions.json")

    @cached_property
    def attributes(self) -> np.ndarray:
        return self._npy_part("attributes.npy")

    @cached_property
    def class_attributes(self) -> np.ndarray:
        return self._npy_part("class_attributes.npy")

    @cached_property
    def key_masks(self) -> np.ndarray:
        return self._npy_part("key_masks.npy", mmap_mode="r")

    @cached_property
    def zero_shot_splits(self) -> dict[str, Any]:
        return self._json_part("zero_shot_splits.json")

    @property
    def attribute_names(self) -> list[str]:
        return list(self.info.get("attributes", {}).get("names", []))

    @property
    def attribute_groups(self) -> dict[str, list[int]]:
        return dict(self.info.get("attributes", {}).get("groups", {}))

    def has(self, part: str) -> bool:
        """Whether an optional part (``captions``, ``attributes``, ``class_attributes``, ...) exists."""
        return part in self.info["parts"]

    def _require(self, filename: str) -> Path:
        part = filename.split(".")[0]
        if not self.has(part):
            raise PreparedDataError(
                f"dataset {self.name!r} at {self.root} has no {part} "
                f"(it has: {', '.join(self.info['parts']) or 'images only'}); "
                "pick a dataset that provides it for this stage in params.yaml."
            )
        return self.root / filename

    def _npy_part(self, filename: str, mmap_mode: str | None = None) -> np.ndarray:
        return np.load(self._require(filename), mmap_mode=mmap_mode)

    def _json_part(self, filename: str) -> Any:
        return json.loads(self._require(filename).read_text())


class PreparedWriter:
    """Write a prepared dataset atomically, streaming images into a memory-mapped array.

    Use as a context manager: fill ``writer.images[i]`` (or call :meth:`put`), then :meth:`finish` with the
    table and optional parts. The directory appears at ``target`` only when the block exits cleanly, so an
    interrupted conversion never looks complete, and a failed one leaves nothing behind. The images' space
    is checked and reserved first: a full disk stops with one message naming the folder and the size.
    """

    def __init__(self, target: str | Path, name: str, n_images: int, image_size: int, source: str) -> None:
        self.target = Path(target)
        self.name = name
        self.n_images = n_images
        self.image_size = image_size
        self.source = source
        self._finished = False

    def __enter__(self) -> PreparedWriter:
        shape = (self.n_images, self.image_size, self.image_size, 3)
        with contextlib.ExitStack() as stack:
            what = f"the prepared images of {self.name} ({self.n_images:,} x {self.image_size}^2 x 3 bytes)"
            stack.enter_context(disk_space(self.target.parent, int(np.prod(shape)), what))
            self.tmp = stack.enter_context(temp_dir(self.target))
            path = self.tmp / "images.npy"
            self.images = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=shape)
            stack.callback(self._close_images)
            reserve_blocks(path)
            self._cleanup = stack.pop_all()
        return self

    def put(self, index: int, image: np.ndarray) -> None:
        if image.shape != self.images.shape[1:] or image.dtype != np.uint8:
            raise PreparedDataError(
                f"image {index} has shape {image.shape} {image.dtype}, expected {self.images.shape[1:]} uint8"
            )
        self.images[index] = image

    def finish(
        self,
        meta: pd.DataFrame,
        classes: Sequence[str],
        *,
        captions: Sequence[Sequence[str]] | None = None,
        attributes: np.ndarray | None = None,
        attribute_names: Sequence[str] | None = None,
        attribute_groups: dict[str, list[int]] | None = None,
        class_attributes: np.ndarray | None = None,
        key_masks: np.ndarray | None = None,
        zero_shot_splits: dict[str, Any] | None = None,
        extra_info: dict[str, Any] | None = None,
    ) -> None:
        _check_meta(meta, self.n_images, len(classes))
        parts: list[str] = []
        meta.loc[:, list(META_COLUMNS)].to_csv(self.tmp / "meta.csv", index=False)
        if captions is not None:
            if len(captions) != self.n_images:
                raise PreparedDataError(f"{len(captions)} caption lists for {self.n_images} images")
            (self.tmp / "captions.json").write_text(json.dumps([list(c) for c in captions]))
            parts.append("captions")
        n_attr = len(attribute_names) if attribute_names is not None else None
        for part, array, rows in (
            ("attributes", attributes, self.n_images),
            ("class_attributes", class_attributes, len(classes)),
        ):
            if array is None:
                continue
            if n_attr is None or array.shape != (rows, n_attr):
                raise PreparedDataError(f"{part} has shape {array.shape}, expected ({rows}, {n_attr})")
            np.save(self.tmp / f"{part}.npy", np.asarray(array, dtype=np.float32))
            parts.append(part)
        if key_masks is not None:
            expected = (self.n_images, self.image_size, self.image_size)
            if key_masks.shape != expected:
                raise PreparedDataError(f"key_masks has shape {key_masks.shape}, expected {expected}")
            np.save(self.tmp / "key_masks.npy", key_masks.astype(np.uint8))
            parts.append("key_masks")
        if zero_shot_splits is not None:
            (self.tmp / "zero_shot_splits.json").write_text(json.dumps(zero_shot_splits))
            parts.append("zero_shot_splits")
        info: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "source": self.source,
            "n_images": self.n_images,
            "image_size": self.image_size,
            "classes": list(classes),
            "parts": parts,
            **(extra_info or {}),
        }
        if attribute_names is not None:
            info["attributes"] = {"names": list(attribute_names), "groups": attribute_groups or {}}
        self.images.flush()
        info["content_digest"] = content_digest(self.tmp, exclude="info.json")
        (self.tmp / "info.json").write_text(json.dumps(info, indent=1) + "\n")
        self._finished = True

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None and self._finished:
            self._close_images()
            replace_dir(self.tmp, self.target)
        self._cleanup.__exit__(exc_type, exc, tb)  # unmaps, removes the temporary, names a full disk
        if exc_type is None and not self._finished:
            raise PreparedDataError(f"{self.target}: writer closed without finish(); nothing was written")

    def _close_images(self) -> None:
        images = self.__dict__.pop("images", None)
        if images is not None:
            images.flush()  # the last reference: the file is unmapped when it goes


def reserve_blocks(path: Path) -> None:
    """Allocate the disk blocks of a (sparse) file now: a full disk then fails here with ENOSPC, not later
    with SIGBUS, which kills the process when a memory-mapped page finds no block to land in."""
    with open(path, "r+b") as handle:
        os.posix_fallocate(handle.fileno(), 0, os.fstat(handle.fileno()).st_size)


def content_digest(folder: Path, exclude: str) -> str:
    """sha256 over the names and bytes of ``folder``'s files (``exclude`` aside), read in chunks."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.iterdir() if p.name != exclude):
        digest.update(path.name.encode() + b"\0")
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 24):
                digest.update(chunk)
    return digest.hexdigest()


def _check_meta(meta: pd.DataFrame, n_images: int, n_classes: int) -> None:
    missing = [c for c in META_COLUMNS if c not in meta.columns]
    if missing:
        raise PreparedDataError(f"metadata table lacks columns {missing}; required: {list(META_COLUMNS)}")
    if len(meta) != n_images:
        raise PreparedDataError(f"metadata table has {len(meta)} rows for {n_images} images")
    idx = meta["class_idx"].to_numpy()
    if len(idx) and (idx.min() < 0 or idx.max() >= n_classes):
        raise PreparedDataError(f"class_idx outside 0..{n_classes - 1}")
    bad = set(meta["official_split"]) - {"train", "test", ""}
    if bad:
        raise PreparedDataError(f"official_split has values {sorted(bad)}; allowed: train, test, empty")
