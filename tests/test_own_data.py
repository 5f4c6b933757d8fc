"""Your own dataset's preparation (rsrepro.data.own): both layouts convert, and bad input stops with the
file and the fix before any training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rsrepro.data import splits
from rsrepro.data.class_words import attribute_words, words
from rsrepro.data.own import prepare_own
from rsrepro.data.prepared import PreparedDataset
from rsrepro.data.sources.errors import SourceError
from tests.own_datasets import CLASS_NAMES, write_class_folders, write_karpathy

FOLDERS = {"layout": "class_folders", "image_size": 32}
CAPTIONS = {"layout": "karpathy_captions", "image_size": 32, "captions_file": "captions.json"}


def test_nested_class_folders_of_mixed_formats_convert_with_captions_and_attribute_words(
    tmp_path: Path,
) -> None:
    write_class_folders(tmp_path / "mine")
    prepare_own("mine", {**FOLDERS, "path": str(tmp_path / "mine")}, tmp_path / "out")
    data = PreparedDataset.load(tmp_path / "out")
    assert len(data.classes) == len(CLASS_NAMES) and len(data) == 5 * len(CLASS_NAMES)
    assert {Path(f).suffix for f in data.meta["file"]} == {".jpg", ".png", ".tif"}
    assert data.captions[0] == [f"an aerial image of {' '.join(words(data.classes[data.class_idx[0]]))}"]
    assert data.attribute_names == attribute_words(data.classes)


def test_class_name_words() -> None:
    assert words("DenseResidential") == words("dense_residential") == ["dense", "residential"]
    assert attribute_words(["golf_course", "DenseArea", "dense_forest"]) == [
        "golf",
        "course",
        "dense",
        "forest",
    ]


def test_an_unreadable_image_stops_with_its_file_and_the_fix(tmp_path: Path) -> None:
    root = write_class_folders(tmp_path / "mine")
    broken = next(root.rglob("*.png"))
    broken.write_bytes(b"not a png")
    with pytest.raises(SourceError, match=rf"{broken}: cannot decode.*Fix the data under data\.mine\.path"):
        prepare_own("mine", {**FOLDERS, "path": str(root)}, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_class_too_small_for_the_ratio_names_the_class_and_the_images_needed() -> None:
    with pytest.raises(
        splits.SplitError, match=r"class 'b' has 2 images: a train ratio of 0.1 .* at least 6 images"
    ):
        splits.classification_split(np.array([0] * 20 + [1] * 2), 0.1, 0, ["a", "b"])


def captions_json(root: Path) -> dict:
    return json.loads((root / "captions.json").read_text())


def test_a_caption_file_without_splits_stops(tmp_path: Path) -> None:
    root = write_karpathy(tmp_path / "caps")
    content = captions_json(root)
    del content["images"][3]["split"]
    (root / "captions.json").write_text(json.dumps(content))
    with pytest.raises(
        SourceError, match=r"captions\.json: 1 images have no split field .*\"split\": \"train\""
    ):
        prepare_own("caps", {**CAPTIONS, "path": str(root)}, tmp_path / "out")


def test_an_image_without_captions_and_a_name_listed_twice_stop(tmp_path: Path) -> None:
    root = write_karpathy(tmp_path / "caps")
    content = captions_json(root)
    dropped = content["images"].pop(0)["filename"]
    (root / "captions.json").write_text(json.dumps(content))
    with pytest.raises(SourceError, match=rf"images/{dropped}: an image without captions"):
        prepare_own("caps", {**CAPTIONS, "path": str(root)}, tmp_path / "out")
    content["images"].append({**content["images"][0], "split": "test"})
    (root / "captions.json").write_text(json.dumps(content))
    with pytest.raises(SourceError, match="listed more than once"):
        prepare_own("caps", {**CAPTIONS, "path": str(root)}, tmp_path / "out")


def test_a_caption_dataset_converts_with_its_official_split(tmp_path: Path) -> None:
    root = write_karpathy(tmp_path / "caps")
    prepare_own("caps", {**CAPTIONS, "path": str(root)}, tmp_path / "out")
    data = PreparedDataset.load(tmp_path / "out")
    tests = sum(1 for item in captions_json(root)["images"] if item["split"] == "test")
    assert (data.meta["official_split"] == "test").sum() == tests and len(data.captions[0]) == 2
