"""The prepared-data contract: round trip, atomicity, and the errors a user sees."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rsrepro.data.prepared import PreparedDataError, PreparedDataset, PreparedWriter


def test_round_trip_keeps_images_table_and_parts(tiny_prepared: Path) -> None:
    data = PreparedDataset.load(tiny_prepared)
    assert len(data) == 40 and data.num_classes == 4 and data.image_size == 8
    assert isinstance(data.images, np.memmap) and data.images.shape == (40, 8, 8, 3)
    assert data.images.dtype == np.uint8
    assert data.class_idx.tolist() == sorted(data.class_idx.tolist())
    assert data.captions[3] == [f"image 3 caption {k}" for k in range(5)]
    assert data.has("captions") and not data.has("attributes")
    assert (data.meta["official_split"] == "test").sum() == 8


def test_asking_for_a_missing_part_names_the_dataset_and_what_it_has(tiny_prepared: Path) -> None:
    data = PreparedDataset.load(tiny_prepared)
    with pytest.raises(PreparedDataError, match=r"'tiny'.*no attributes.*it has: captions"):
        _ = data.attributes


def test_loading_a_folder_that_is_not_prepared_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(PreparedDataError, match=r"no info\.json.*snakemake"):
        PreparedDataset.load(tmp_path)


def _meta(n: int, **overrides: list) -> pd.DataFrame:
    columns = {
        "file": [str(i) for i in range(n)],
        "class_idx": [0] * n,
        "class_name": ["a"] * n,
        "scene": [""] * n,
        "official_split": [""] * n,
    }
    return pd.DataFrame({**columns, **overrides})


def test_interrupted_writer_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt), PreparedWriter(target, "x", 2, 4, "test") as writer:
        writer.put(0, np.zeros((4, 4, 3), np.uint8))
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_writer_without_finish_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    with (
        pytest.raises(PreparedDataError, match="without finish"),
        PreparedWriter(tmp_path / "out", "x", 1, 4, "t"),
    ):
        pass
    assert list(tmp_path.iterdir()) == []


def test_rewriting_replaces_the_previous_dataset(tmp_path: Path) -> None:
    for value in (1, 2):
        with PreparedWriter(tmp_path / "out", "x", 1, 4, "t") as writer:
            writer.put(0, np.full((4, 4, 3), value, np.uint8))
            writer.finish(_meta(1), ["a"])
    assert PreparedDataset.load(tmp_path / "out").images[0, 0, 0, 0] == 2


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        (_meta(2).drop(columns="scene"), "lacks columns.*scene"),
        (_meta(3), "3 rows for 2 images"),
        (_meta(2, class_idx=[0, 5]), "class_idx outside"),
        (_meta(2, official_split=["train", "val"]), "official_split has values.*val"),
    ],
)
def test_inconsistent_metadata_is_rejected(tmp_path: Path, meta: pd.DataFrame, message: str) -> None:
    with pytest.raises(PreparedDataError, match=message), PreparedWriter(tmp_path / "o", "x", 2, 4, "t") as w:
        w.finish(meta, ["a"])


def test_wrong_image_shape_names_index_and_shapes(tmp_path: Path) -> None:
    with pytest.raises(PreparedDataError, match=r"image 1 has shape \(5, 4, 3\)"):
        with PreparedWriter(tmp_path / "o", "x", 2, 4, "t") as writer:
            writer.put(1, np.zeros((5, 4, 3), np.uint8))


def test_attribute_parts_are_checked_against_names(tmp_path: Path) -> None:
    with pytest.raises(PreparedDataError, match=r"class_attributes has shape \(1, 2\), expected \(1, 3\)"):
        with PreparedWriter(tmp_path / "o", "x", 2, 4, "t") as writer:
            writer.finish(
                _meta(2),
                ["a"],
                attributes=np.zeros((2, 3)),
                attribute_names=["p", "q", "r"],
                class_attributes=np.zeros((1, 2)),
            )
