"""Your own dataset's preparation (rsrepro.data.own): both layouts convert, and bad input stops with the
file and the fix before any training."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from rsrepro.cli import main
from rsrepro.config import ParamsError, load_schema, validate_params
from rsrepro.data import splits
from rsrepro.data.class_words import attribute_words, words
from rsrepro.data.own import conversion_params, prepare_own, zero_shot_listing
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


# DSVA on your own class folders: seen/unseen classes listed by name instead of drawn per seed.
SIX = np.repeat(np.arange(6), 5)  # six classes of five images
NAMES = ["beach", "desert", "forest", "harbor", "meadow", "port"]


def test_listed_classes_replace_the_draw_and_the_seen_images_still_split_per_seed() -> None:
    listed = splits.listed_classes(NAMES, {"unseen": ["port", "desert"]}, "4/2", "data.mine")
    assert listed == ([0, 2, 3, 4], [1, 5])  # seen: every class not unseen
    made = [splits.zero_shot_split(SIX, 4, 2, seed, 0.2, listed=listed) for seed in (0, 1)]
    for split in made:
        assert (split["seen_classes"], split["unseen_classes"], split["source"]) == (
            [0, 2, 3, 4],
            [1, 5],
            "listed",
        )
        assert split["test_unseen"] == np.flatnonzero(np.isin(SIX, [1, 5])).tolist()
        assert (
            sorted(split["train"] + split["test_seen"]) == np.flatnonzero(np.isin(SIX, [0, 2, 3, 4])).tolist()
        )
    assert made[0]["train"] != made[1]["train"]
    assert splits.listed_classes(NAMES, {"seen": NAMES[:4], "unseen": NAMES[4:]}, "4/2", "w") == (
        [0, 1, 2, 3],
        [4, 5],
    )


@pytest.mark.parametrize(
    ("listing", "split", "expected"),
    [
        ({"unseen": ["port", "dessert"]}, "4/2", r"'dessert' is no class of the dataset \(its classes, the "
         r"folder names: beach, desert, .*\); correct the name"),
        ({"seen": ["beach", "desert", "forest", "port"], "unseen": ["port", "meadow"]}, "4/2",
         r"'port' listed as seen and unseen; a class is one of them, remove it from one list"),
        ({"seen": ["beach", "desert", "forest"], "unseen": ["port", "meadow"]}, "3/2",
         r"the classes 'harbor' are neither seen nor unseen; add them to one list"),
        ({"unseen": ["port"]}, "5/1", r"at least 2 seen and 2 unseen classes"),
        ({"unseen": ["port", "meadow"]}, "3/2",
         r"the dataset has 6 classes, 4 of them seen, the split 3/2 says 3: rename the split to 4/2"),
        ({"unseen": ["port", "meadow", "beach"]}, "4/2", r"\.unseen lists 3 classes, the split 4/2 2"),
    ],
)  # fmt: skip
def test_a_wrong_listing_stops_with_the_param_and_the_fix(listing: dict, split: str, expected: str) -> None:
    where = f"data.mine.zero_shot_splits[{split!r}]"
    with pytest.raises(splits.SplitError, match=re.escape(where) + ".*" + expected):
        splits.listed_classes(NAMES, listing, split, where)


def test_a_dataset_with_too_few_classes_for_a_drawn_split_stops() -> None:
    with pytest.raises(splits.SplitError, match=r"has 3 classes; .* give it 4 classes at least or remove it"):
        splits.zero_shot_split(np.repeat(np.arange(3), 5), 60, 10, 0, 0.2)


def test_counts_that_add_up_to_the_classes_are_exact_and_others_scaled() -> None:
    assert splits.zero_shot_split(SIX, 5, 1, 0, 0.2)["unseen_classes"].__len__() == 2  # at least two unseen
    assert len(splits.zero_shot_split(SIX, 3, 3, 0, 0.2)["unseen_classes"]) == 3
    assert len(splits.zero_shot_split(SIX, 60, 10, 0, 0.2)["unseen_classes"]) == 2  # 60/10 of 6: 5/1 -> 4/2


def test_the_split_command_takes_listed_classes_and_names_the_param_on_a_wrong_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_class_folders(tmp_path / "mine", per_class=3, size=8)
    prepare_own("mine", {**FOLDERS, "image_size": 32, "path": str(root)}, tmp_path / "prepared")
    classes = PreparedDataset.load(tmp_path / "prepared").classes
    unseen = classes[-3:]
    base = ["split", "zero-shot", "--prepared", str(tmp_path / "prepared"), "--seed", "0", "--split", "9/3"]
    base += ["--seen-test-fraction", "0.34", "--out", str(tmp_path / "split.json")]
    assert main([*base, "--classes", json.dumps({"unseen": unseen})]) == 0
    split = json.loads((tmp_path / "split.json").read_text())
    assert [classes[c] for c in split["unseen_classes"]] == unseen and split["source"] == "listed"
    assert main([*base, "--classes", json.dumps({"unseen": [*unseen[:2], "Nowhere"]})]) == 1
    assert (
        "rsrepro split: error: data.mine.zero_shot_splits['9/3']: 'Nowhere' is no class"
        in capsys.readouterr().err
    )


def with_listing(params: dict, listing: dict, **dsva: Any) -> dict:
    config = copy.deepcopy(params)
    config["data"]["mine"] = {"layout": "class_folders", "path": "data/mine", "image_size": 64, **listing}
    config["dsva"] |= {"datasets": ["mine"], **dsva}
    return config


@pytest.fixture(scope="module")
def params_and_schema(repo_root: Path) -> tuple[dict, dict]:
    return (
        yaml.safe_load((repo_root / "params.yaml").read_text()),
        load_schema(repo_root / "workflow/schemas/params.schema.yaml"),
    )


LISTED = {"zero_shot_splits": {"9/3": {"unseen": ["Beach", "Port", "Desert"]}}}


@pytest.mark.parametrize(
    ("listing", "dsva", "expected"),
    [
        ({"zero_shot_splits": {"9/3": {"seen": ["Port", *"DEFGHIJK"], "unseen": ["Port", "B", "C"]}}},
         {"splits": ["9/3"]}, "data.mine.zero_shot_splits['9/3']: 'Port' listed as seen and unseen"),
        (LISTED, {}, "data.mine.zero_shot_splits['9/3']: DSVA runs the splits 50/20 (dsva.splits); add"),
        (LISTED, {"splits": ["9/3"], "train": {"val_classes": 9}},
         "has 9 seen classes, the select stage holds out 9 of them (val_classes, zsl)"),
        ({"zero_shot_splits": {"9-3": {"unseen": ["Port"]}}}, {},
         "data.mine.zero_shot_splits = '9-3' is not allowed; expected seen/unseen class counts"),
    ],
)  # fmt: skip
def test_a_listing_params_cannot_take_stops_before_any_work(
    params_and_schema: tuple[dict, dict], listing: dict, dsva: dict, expected: str
) -> None:
    params, schema = params_and_schema
    dsva = {**dsva, "train": {**params["dsva"]["train"], **dsva.get("train", {})}}
    with pytest.raises(ParamsError, match=re.escape(expected)):
        validate_params(with_listing(params, listing, **dsva), schema)


def test_a_valid_listing_passes_and_stays_out_of_the_conversion(params_and_schema: tuple[dict, dict]) -> None:
    params, schema = params_and_schema
    config = with_listing(params, LISTED, splits=["9/3", "50/20"])
    validate_params(config, schema)
    assert zero_shot_listing(config, "mine", "9/3") == LISTED["zero_shot_splits"]["9/3"]
    assert zero_shot_listing(config, "mine", "50/20") == {} == zero_shot_listing(config, "synthetic", "9/3")
    assert conversion_params(config["data"]["mine"]) == {
        k: v for k, v in config["data"]["mine"].items() if k != "zero_shot_splits"
    }
