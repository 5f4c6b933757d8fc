"""Deterministic split protocols, one file per protocol and seed.

Every split is a pure function of the dataset's labels and an explicit seed (the original code of all
three papers left these unseeded), and is stored as JSON index lists into the prepared dataset:

- classification (LSE-Net): per-class random split at a train ratio, the rest is test (no val set, as in
  the paper protocol).
- retrieval (SWAN): the dataset's official test images stay test; the official train images are re-split
  at random into train/val (SWAN's per-run 80/20 re-split).
- zero-shot (DSVA): seen/unseen classes (the dataset's own split where it ships one, else a seeded draw
  in the paper's proportions); the seen classes' images are split again into train and the GZSL
  seen-test set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rsrepro.errors import RsreproError


class SplitError(RsreproError):
    """A split cannot be made as asked (too few images or classes)."""


def _stratified(
    class_idx: np.ndarray,
    fraction: float,
    rng: np.random.Generator,
    what: str,
    classes: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Split every class's images: round(fraction * n_c) to the first part, the rest to the second."""
    first, second = [], []
    for c in np.unique(class_idx):
        members = rng.permutation(np.flatnonzero(class_idx == c))
        k = round(fraction * len(members))
        if k == 0 or k == len(members):
            name = f"class {classes[c]!r}" if classes is not None else f"class {c}"
            needed = next(n for n in range(2, 10_000) if 0 < round(fraction * n) < n)
            raise SplitError(
                f"{name} has {len(members)} images: a {what} of {fraction} leaves one side empty; give it at "
                f"least {needed} images, or drop the {what} {fraction} from the params"
            )
        first.append(members[:k])
        second.append(members[k:])
    return np.sort(np.concatenate(first)), np.sort(np.concatenate(second))


def classification_split(
    class_idx: np.ndarray, train_ratio: float, seed: int, classes: Sequence[str] | None = None
) -> dict[str, Any]:
    """LSE-Net protocol: stratified per-class train/test split at ``train_ratio`` (``classes``: the class
    names, for messages)."""
    rng = np.random.default_rng(seed)
    train, test = _stratified(np.asarray(class_idx), train_ratio, rng, "train ratio", classes)
    return {
        "protocol": "classification",
        "train_ratio": train_ratio,
        "seed": seed,
        "train": train.tolist(),
        "test": test.tolist(),
    }


def retrieval_split(official_split: Sequence[str], val_fraction: float, seed: int) -> dict[str, Any]:
    """SWAN protocol: official test kept; official train images shuffled and cut into train/val."""
    official = np.asarray(official_split)
    test = np.flatnonzero(official == "test")
    pool = np.flatnonzero(official == "train")
    if len(test) == 0 or len(pool) == 0:
        raise SplitError(
            "retrieval needs a dataset with an official train/test split (official_split column)"
        )
    rng = np.random.default_rng(seed)
    pool = rng.permutation(pool)
    n_val = round(val_fraction * len(pool))
    return {
        "protocol": "retrieval",
        "val_fraction": val_fraction,
        "seed": seed,
        "train": np.sort(pool[n_val:]).tolist(),
        "val": np.sort(pool[:n_val]).tolist(),
        "test": test.tolist(),
    }


def scaled_class_counts(n_classes: int, seen: int, unseen: int) -> tuple[int, int]:
    """Scale a paper split such as 60/10 (of 70 classes) to a dataset with ``n_classes`` classes."""
    n_seen = round(n_classes * seen / (seen + unseen))
    n_seen = min(max(n_seen, 2), n_classes - 2)
    return n_seen, n_classes - n_seen


def zero_shot_split(
    class_idx: np.ndarray,
    seen: int,
    unseen: int,
    seed: int,
    seen_test_fraction: float,
    predefined: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """DSVA protocol: seen/unseen classes, and the seen images split into train / GZSL seen-test.

    ``seen``/``unseen`` are the paper's counts (60/10, 50/20, 40/30 of 70 classes); for a dataset with a
    different number of classes they are scaled. ``predefined`` (the dataset's own split: keys ``seen``,
    ``unseen``, ``train``, ``test_seen``, ``test_unseen`` as index lists) wins when given.
    """
    class_idx = np.asarray(class_idx)
    if predefined is not None:
        split = {k: sorted(int(i) for i in predefined[k]) for k in ("seen", "unseen", "train", "test_seen")}
        test_unseen = predefined["test_unseen"]
        source = "dataset"
    else:
        classes = np.unique(class_idx)
        n_seen, _ = scaled_class_counts(len(classes), seen, unseen)
        rng = np.random.default_rng(seed)
        order = rng.permutation(classes)
        seen_cls, unseen_cls = np.sort(order[:n_seen]), np.sort(order[n_seen:])
        seen_mask = np.isin(class_idx, seen_cls)
        test_seen_rel, train_rel = _stratified(
            class_idx[seen_mask], seen_test_fraction, rng, "seen-test fraction"
        )
        seen_images = np.flatnonzero(seen_mask)
        split = {
            "seen": seen_cls.tolist(),
            "unseen": unseen_cls.tolist(),
            "train": seen_images[train_rel].tolist(),
            "test_seen": seen_images[test_seen_rel].tolist(),
        }
        test_unseen = np.flatnonzero(~seen_mask)
        source = "seeded"
    return {
        "protocol": "zero_shot",
        "paper_split": f"{seen}/{unseen}",
        "seed": seed,
        "source": source,
        "seen_classes": split["seen"],
        "unseen_classes": split["unseen"],
        "train": split["train"],
        "test_seen": split["test_seen"],
        "test_unseen": sorted(int(i) for i in test_unseen),
    }


def held_out_classes(seen: Sequence[int], n: int, seed: int) -> list[int]:
    """``n`` of the ``seen`` classes, drawn by ``seed``: the pseudo-unseen classes an honest zero-shot
    protocol validates on (DSVA's select stage, the zero-shot baseline's calibration)."""
    rng = np.random.default_rng([seed, 11])
    return sorted(int(c) for c in rng.choice(np.asarray(seen), size=n, replace=False))
