"""Split protocols: disjoint, stratified, deterministic per seed, and the dataset's own split honoured."""

from __future__ import annotations

import numpy as np
import pytest

from rsrepro.data.splits import (
    SplitError,
    classification_split,
    retrieval_split,
    scaled_class_counts,
    zero_shot_split,
)

# 3 classes with unequal sizes, as in AID (220..420 images per class).
CLASS_IDX = np.repeat([0, 1, 2], [10, 20, 40])


def test_classification_split_is_stratified_disjoint_and_complete() -> None:
    split = classification_split(CLASS_IDX, 0.2, seed=0)
    train, test = np.array(split["train"]), np.array(split["test"])
    assert set(train).isdisjoint(test)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(len(CLASS_IDX)))
    assert np.bincount(CLASS_IDX[train]).tolist() == [2, 4, 8]


def test_classification_split_depends_only_on_the_seed() -> None:
    assert classification_split(CLASS_IDX, 0.5, 3) == classification_split(CLASS_IDX, 0.5, 3)
    assert (
        classification_split(CLASS_IDX, 0.5, 3)["train"] != classification_split(CLASS_IDX, 0.5, 4)["train"]
    )


def test_a_ratio_that_empties_a_class_is_refused() -> None:
    with pytest.raises(SplitError, match="class 0 has 10 images"):
        classification_split(CLASS_IDX, 0.01, seed=0)


def test_retrieval_split_keeps_official_test_and_resplits_train() -> None:
    official = ["test" if i % 5 == 0 else "train" for i in range(100)]
    split = retrieval_split(official, val_fraction=0.2, seed=1)
    assert split["test"] == list(range(0, 100, 5))
    assert len(split["val"]) == 16 and len(split["train"]) == 64
    assert set(split["train"]).isdisjoint(split["val"]) and set(split["val"]).isdisjoint(split["test"])
    assert split["val"] != retrieval_split(official, 0.2, seed=2)["val"]


def test_retrieval_split_needs_an_official_split() -> None:
    with pytest.raises(SplitError, match="official train/test split"):
        retrieval_split([""] * 10, 0.2, seed=0)


@pytest.mark.parametrize(("n", "expected"), [(70, (60, 10)), (28, (24, 4)), (7, (5, 2))])
def test_paper_split_scales_to_the_class_count(n: int, expected: tuple[int, int]) -> None:
    assert scaled_class_counts(n, 60, 10) == expected


def test_zero_shot_split_separates_classes_and_seen_images() -> None:
    class_idx = np.repeat(np.arange(28), 10)
    split = zero_shot_split(class_idx, 50, 20, seed=0, seen_test_fraction=0.2)
    seen, unseen = set(split["seen_classes"]), set(split["unseen_classes"])
    assert len(seen) == 20 and len(unseen) == 8 and seen.isdisjoint(unseen)
    assert set(split["train"]).isdisjoint(split["test_seen"])
    assert set(class_idx[split["train"]]) == seen and set(class_idx[split["test_seen"]]) == seen
    assert set(class_idx[split["test_unseen"]]) == unseen
    assert len(split["test_seen"]) == 20 * 2 and len(split["test_unseen"]) == 80
    assert split == zero_shot_split(class_idx, 50, 20, seed=0, seen_test_fraction=0.2)


def test_zero_shot_split_from_the_dataset_wins_over_a_seeded_draw() -> None:
    predefined = {"seen": [1, 0], "unseen": [2], "train": [0, 3], "test_seen": [1, 4], "test_unseen": [2, 5]}
    split = zero_shot_split(np.array([0, 1, 2, 0, 1, 2]), 60, 10, 7, 0.2, predefined=predefined)
    assert split["source"] == "dataset" and split["seen_classes"] == [0, 1]
    assert split["test_unseen"] == [2, 5] and split["train"] == [0, 3]
