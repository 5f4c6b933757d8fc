"""Deterministic split protocols, one file per protocol and seed.

Every split is a pure function of the dataset's labels and an explicit seed (the original code of all
three papers left these unseeded), and is stored as JSON index lists into the prepared dataset:

- classification (LSE-Net): per-class random split at a train ratio, the rest is test (no val set, as in
  the paper protocol).
- retrieval (SWAN): the dataset's official test images stay test; the official train images are re-split
  at random into train/val (SWAN's per-run 80/20 re-split).
- zero-shot (DSVA): seen/unseen classes (the dataset's own split where it ships one, the classes a user
  lists by name, else a seeded draw of the split's counts); the seen classes' images are split again
  into train and the GZSL seen-test set.
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


MIN_CLASSES = 2  # seen and unseen each: one unseen class would make ZSL accuracy trivially 1


def scaled_class_counts(n_classes: int, seen: int, unseen: int) -> tuple[int, int]:
    """Scale a split such as 60/10 (of 70 classes) to a dataset with ``n_classes`` classes (exact where
    ``seen + unseen == n_classes``)."""
    n_seen = round(n_classes * seen / (seen + unseen))
    n_seen = min(max(n_seen, MIN_CLASSES), n_classes - MIN_CLASSES)
    return n_seen, n_classes - n_seen


def listing_problems(
    listing: dict[str, Any], split: str, where: str, classes: Sequence[str] | None = None
) -> list[str]:
    """What is wrong with seen/unseen classes listed by name for the split ``split`` ("9/3": 9 seen, 3
    unseen) at the params key ``where``: ``unseen`` is required, ``seen`` defaults to every other class.
    Without ``classes`` (the dataset's, known once it is prepared) only what the names alone tell."""
    n_seen, n_unseen = (int(n) for n in split.split("/"))
    unseen = list(listing.get("unseen", []))
    problems = []
    if n_seen < MIN_CLASSES or n_unseen < MIN_CLASSES:
        problems.append(
            f"{where}: a zero-shot split needs at least {MIN_CLASSES} seen and {MIN_CLASSES} unseen classes; "
            f"list more classes and name the split after their counts"
        )
    if len(unseen) != n_unseen:
        problems.append(
            f"{where}.unseen lists {len(unseen)} classes, the split {split} {n_unseen}: list {n_unseen} "
            f"or rename the split to {n_seen}/{len(unseen)}"
        )
    if "seen" in listing:
        seen = list(listing["seen"])
        if both := sorted(set(seen) & set(unseen)):
            problems.append(
                f"{where}: {', '.join(map(repr, both))} listed as seen and unseen; a class is one of them, "
                "remove it from one list"
            )
        if len(seen) != n_seen:
            problems.append(
                f"{where}.seen lists {len(seen)} classes, the split {split} {n_seen}: list {n_seen} "
                f"or rename the split to {len(seen)}/{n_unseen}"
            )
    if classes is None or problems:
        return problems
    seen = list(listing.get("seen", [c for c in classes if c not in unseen]))
    if unknown := [c for c in (*seen, *unseen) if c not in classes]:
        problems.append(
            f"{where}: {', '.join(map(repr, unknown))} is no class of the dataset (its classes, the folder "
            f"names: {', '.join(classes)}); correct the name"
        )
    elif left := [c for c in classes if c not in seen and c not in unseen]:
        problems.append(
            f"{where}: the classes {', '.join(map(repr, left))} are neither seen nor unseen; add them to "
            "one list (or drop seen: every class not unseen is seen)"
        )
    elif len(seen) != n_seen:
        problems.append(
            f"{where}: the dataset has {len(classes)} classes, {len(seen)} of them seen, the split {split} "
            f"says {n_seen}: rename the split to {len(seen)}/{n_unseen}"
        )
    return problems


def listed_classes(
    classes: Sequence[str], listing: dict[str, Any], split: str, where: str
) -> tuple[list[int], list[int]]:
    """The seen and unseen class indices of a listing (see :func:`listing_problems`, raised as one
    :class:`SplitError`)."""
    if problems := listing_problems(listing, split, where, classes):
        raise SplitError("; ".join(problems))
    unseen = sorted(classes.index(c) for c in listing["unseen"])
    if "seen" in listing:
        return sorted(classes.index(c) for c in listing["seen"]), unseen
    return [c for c in range(len(classes)) if c not in unseen], unseen


def zero_shot_split(
    class_idx: np.ndarray,
    seen: int,
    unseen: int,
    seed: int,
    seen_test_fraction: float,
    predefined: dict[str, Any] | None = None,
    listed: tuple[Sequence[int], Sequence[int]] | None = None,
    classes: Sequence[str] | None = None,
) -> dict[str, Any]:
    """DSVA protocol: seen/unseen classes, and the seen images split into train / GZSL seen-test.

    ``seen``/``unseen`` are the split's counts (the paper's 60/10, 50/20, 40/30 of 70 classes); for a
    dataset with a different number of classes they are scaled. ``predefined`` (the dataset's own split:
    keys ``seen``, ``unseen``, ``train``, ``test_seen``, ``test_unseen`` as index lists) wins when given;
    ``listed`` (seen and unseen class indices a user chose, :func:`listed_classes`) replaces the draw of
    classes, the seen images are still split per seed. ``classes``: the class names, for messages.
    """
    class_idx = np.asarray(class_idx)
    if predefined is not None:
        split = {k: sorted(int(i) for i in predefined[k]) for k in ("seen", "unseen", "train", "test_seen")}
        test_unseen = predefined["test_unseen"]
        source = "dataset"
    else:
        rng = np.random.default_rng(seed)
        if listed is None:
            seen_cls, unseen_cls = _drawn_classes(np.unique(class_idx), seen, unseen, rng)
            source = "seeded"
        else:
            seen_cls, unseen_cls = (np.asarray(sorted(c), dtype=int) for c in listed)
            source = "listed"
        seen_mask = np.isin(class_idx, seen_cls)
        test_seen_rel, train_rel = _stratified(
            class_idx[seen_mask], seen_test_fraction, rng, "seen-test fraction", classes
        )
        seen_images = np.flatnonzero(seen_mask)
        split = {
            "seen": seen_cls.tolist(),
            "unseen": unseen_cls.tolist(),
            "train": seen_images[train_rel].tolist(),
            "test_seen": seen_images[test_seen_rel].tolist(),
        }
        test_unseen = np.flatnonzero(~seen_mask)
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


def _drawn_classes(
    classes: np.ndarray, seen: int, unseen: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A seeded draw of the seen and unseen classes in the split's counts (scaled to the dataset)."""
    if len(classes) < 2 * MIN_CLASSES:
        raise SplitError(
            f"the dataset has {len(classes)} classes; a zero-shot split needs {MIN_CLASSES} seen and "
            f"{MIN_CLASSES} unseen: give it {2 * MIN_CLASSES} classes at least or remove it from "
            "dsva.datasets"
        )
    n_seen, _ = scaled_class_counts(len(classes), seen, unseen)
    order = rng.permutation(classes)
    return np.sort(order[:n_seen]), np.sort(order[n_seen:])


def held_out_classes(seen: Sequence[int], n: int, seed: int) -> list[int]:
    """``n`` of the ``seen`` classes, drawn by ``seed``: the pseudo-unseen classes an honest zero-shot
    protocol validates on (DSVA's select stage, the zero-shot baseline's calibration)."""
    rng = np.random.default_rng([seed, 11])
    return sorted(int(c) for c in rng.choice(np.asarray(seen), size=n, replace=False))
