"""Converters: each dataset's published layout into the prepared form, and the split protocols on it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rsrepro.data import splits
from rsrepro.data.prepared import PreparedDataset
from rsrepro.data.sources.catalog import DATASETS
from rsrepro.data.sources.converters.karpathy import read_karpathy, scene_of
from rsrepro.data.sources.errors import LayoutError
from rsrepro.data.sources.prepare import prepare_source
from rsrepro.data.standin import (
    FOLDER_LAYOUTS,
    CaptionedImage,
    Sentence,
    karpathy_json,
    write_folder_dataset,
    write_rsicd,
    write_rsitmd,
)
from rsrepro.swan.text import build_vocabulary, vocabulary_captions
from tests.realdata_fixtures import captioned, folder_standin, random_images, zip_bytes

SWAN_LISTS = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "swan-precomp"
needs_swan_lists = pytest.mark.skipif(
    not SWAN_LISTS.is_dir(), reason=f"published SWAN lists not found at {SWAN_LISTS}"
)


def prepare(name: str, raw: Path, tmp_path: Path, size: int = 8) -> PreparedDataset:
    out = tmp_path / "prepared" / name
    prepare_source(DATASETS[name], raw, out, size, tmp_path / "scratch")
    assert not list((tmp_path / "scratch").iterdir()), "extraction scratch must be cleaned up"
    return PreparedDataset.load(out)


@pytest.mark.parametrize("name", sorted(FOLDER_LAYOUTS))
def test_folder_per_class_datasets(name: str, tmp_path: Path) -> None:
    folder_standin(name, tmp_path / "raw" / name, per_class=2)
    data = prepare(name, tmp_path / "raw" / name, tmp_path)
    classes = list(DATASETS[name].classes)
    assert sorted(data.classes) == sorted(classes) and len(data) == 2 * len(classes)
    assert data.images.shape[1:] == (8, 8, 3)
    assert set(np.bincount(data.class_idx)) == {2}
    assert (data.meta["scene"] == data.meta["class_name"]).all()
    layout = FOLDER_LAYOUTS[name]
    first = data.meta.iloc[0]
    stem = layout.stem.format(cls=first["class_name"].lower(), i=layout.first)
    assert first["file"] == f"{first['class_name']}/{stem}{layout.suffix}"  # e.g. AID's Airport/airport_1.jpg
    split = splits.classification_split(data.class_idx, 0.5, seed=0)
    assert len(split["train"]) == len(classes) and not set(split["train"]) & set(split["test"])


def test_missing_class_folders_stop_with_counts_and_names(tmp_path: Path) -> None:
    classes = DATASETS["ucm"].classes
    kept = [c for c in range(len(classes)) if classes[c] not in ("beach", "forest")]
    write_folder_dataset("ucm", tmp_path / "raw" / "ucm", random_images(len(kept)), kept)
    with pytest.raises(LayoutError, match=r"expected 21 classes, found 19 .*; missing: beach, forest\."):
        prepare("ucm", tmp_path / "raw" / "ucm", tmp_path)
    assert not (tmp_path / "prepared" / "ucm").exists(), "a partial archive must not convert"


def test_a_renamed_class_folder_stops_although_the_count_matches(tmp_path: Path) -> None:
    renamed = {"Airport": "Airports", "BareLand": "Bareland"}  # the second is only another case: accepted
    classes = [renamed.get(c, c) for c in DATASETS["aid"].classes]
    labels = list(range(len(classes)))
    write_folder_dataset("aid", tmp_path / "raw" / "aid", random_images(len(labels)), labels, classes)
    with pytest.raises(
        LayoutError, match=r"expected 30 classes, found 30 .*; missing: Airport; unexpected: Airports"
    ):
        prepare("aid", tmp_path / "raw" / "aid", tmp_path)


def test_rsitmd_takes_raw_captions_and_the_official_lists_order(tmp_path: Path) -> None:
    records = [
        captioned("airport_1.tif", "train"),
        CaptionedImage("boat_7.tif", "test", tuple(Sentence(f"boat caption {j} ", ("x",)) for j in range(5))),
        captioned("airport_3.tif", "val"),
        CaptionedImage("airport_2.tif", "train", (Sentence("a"),) * 4 + (Sentence(""),)),  # blanks are kept
    ]
    write_rsitmd(tmp_path / "raw" / "rsitmd", random_images(4), records)
    data = prepare("rsitmd", tmp_path / "raw" / "rsitmd", tmp_path)
    assert data.meta["file"].tolist() == ["airport_1.tif", "airport_2.tif", "airport_3.tif", "boat_7.tif"]
    assert data.meta["scene"].tolist() == ["airport", "airport", "airport", "boat"]
    assert data.meta["official_split"].tolist() == ["train", "train", "train", "test"]
    assert data.captions[3][0] == "boat caption 0 "  # raw as it is, not the tokens
    assert data.captions[1] == ["a"] * 4 + [""]


def test_rsicd_takes_tokens_where_raw_differs(tmp_path: Path) -> None:
    # As dataset_rsicd.json's first image: the raw text was edited after the tokens were made.
    airport = (
        Sentence(
            "Many aircraft are parked next to a long building in an airport.",
            ("many", "planes", "are"),
        ),
        Sentence("Many planes are parked next to a long building at an airport.", ()),
    )
    records = [
        CaptionedImage("airport_1.jpg", "train", airport * 2 + airport[:1]),
        captioned("00017.jpg", "val"),
        captioned("beach_3.jpg", "test"),
    ]
    write_rsicd(tmp_path / "raw" / "rsicd", random_images(3), records)
    data = prepare("rsicd", tmp_path / "raw" / "rsicd", tmp_path)
    assert data.captions[0][:2] == ["many planes are .", " ."]
    assert data.captions[1][0] == "a 00017jpg caption 0 ."  # the default tokens of "A 00017.jpg caption 0."
    assert data.meta["scene"].tolist() == ["airport", "", "beach"]
    assert data.meta["class_name"].tolist() == ["airport", "none", "beach"]
    assert data.meta["official_split"].tolist() == ["train", "train", "test"]


def test_a_captions_archive_given_for_the_json_converts(tmp_path: Path) -> None:
    """RSICD's bundle ships annotations_rsicd.rar; repacked as zip and staged under the JSON's name, it is
    extracted into a folder of that name, which must not count as a second copy."""
    records = [captioned("airport_1.jpg", "train"), captioned("beach_3.jpg", "test")]
    raw = tmp_path / "raw" / "rsicd"
    files = write_rsicd(raw, random_images(2), records)
    files["captions"].write_bytes(
        zip_bytes({"annotations_rsicd/dataset_rsicd.json": files["captions"].read_bytes()})
    )
    data = prepare("rsicd", raw, tmp_path)
    assert data.meta["file"].tolist() == ["airport_1.jpg", "beach_3.jpg"]


def test_karpathy_missing_images_are_reported(tmp_path: Path) -> None:
    raw = tmp_path / "raw" / "rsitmd"
    raw.mkdir(parents=True)
    json_only = zip_bytes(
        {"RSITMD/dataset_RSITMD.json": karpathy_json([captioned("airport_1.tif", "train")], "x")}
    )
    (raw / "RSITMD.zip").write_bytes(json_only)
    with pytest.raises(LayoutError, match=r"1 of 1 images named in dataset_RSITMD\.json.*airport_1\.tif"):
        prepare("rsitmd", raw, tmp_path)


def test_an_unknown_split_value_stops(tmp_path: Path) -> None:
    path = tmp_path / "dataset_rsicd.json"
    path.write_bytes(karpathy_json([captioned("a_1.jpg", "restval")], "rsicd"))
    with pytest.raises(LayoutError, match=r"split values \['restval'\]"):
        read_karpathy(path, "tokens")


# SWAN's official lists: train_caps.txt / train_filename.txt are Karpathy's train then val (RSICD's val
# starts at airport_61.jpg, after the numeric train names), test_* the test images (names repeated 5x).
RSICD_VAL_START = 8734
CAPTION_FIELDS = {"rsitmd": "raw", "rsicd": "tokens"}


def read_published(dataset: str) -> dict[str, list[str]]:
    folder = SWAN_LISTS / f"{dataset}_precomp"
    lists = {}
    for split in ("train", "test"):
        names = (folder / f"{split}_filename.txt").read_text().split("\n")
        lists[split] = list(dict.fromkeys(n.strip() for n in names if n.strip()))
        lists[f"{split}_caps"] = (folder / f"{split}_caps.txt").read_text().rstrip("\n").split("\n")
    return lists


def published_records(dataset: str, lists: dict[str, list[str]]) -> list[CaptionedImage]:
    """The published lists as the dataset's JSON, the splits interleaved (each split in list order).

    RSITMD's captions are the raw text (tokens scrambled); RSICD's are tokens + " ." (raw scrambled), so
    a converter reading the wrong field builds the words in another order."""

    def sentence(caption: str) -> Sentence:
        words = caption.removesuffix(" .").split(" ")
        scrambled = " ".join(reversed(words))
        if dataset == "rsitmd":
            return Sentence(caption, tuple(scrambled.split(" ")))
        return Sentence(scrambled, tuple(words))

    blocks: dict[str, list[CaptionedImage]] = {"train": [], "val": [], "test": []}
    for split in ("train", "test"):
        for i, name in enumerate(lists[split]):
            own = "val" if dataset == "rsicd" and split == "train" and i >= RSICD_VAL_START else split
            captions = lists[f"{split}_caps"][5 * i : 5 * i + 5]
            blocks[own].append(CaptionedImage(name, own, tuple(sentence(c) for c in captions)))
    # Merge the blocks by relative position: every split spread over the whole file, as in a JSON ordered
    # by image rather than by split.
    ranked = [((i + 0.5) / len(block), r) for block in blocks.values() for i, r in enumerate(block)]
    return [r for _, r in sorted(ranked, key=lambda pair: pair[0])]


@needs_swan_lists
@pytest.mark.parametrize(("dataset", "n_train", "n_test"), [("rsitmd", 4291, 452), ("rsicd", 9828, 1093)])
def test_the_published_lists_as_json_convert_to_the_official_lists_and_swan_protocol(
    dataset: str, n_train: int, n_test: int, tmp_path: Path
) -> None:
    """What the converter writes as captions.json and as meta.csv's order and split (read_karpathy; the
    image side of the conversion is the same for 4 or 10,921 images and is covered above)."""
    lists = read_published(dataset)
    assert (len(lists["train"]), len(lists["test"])) == (n_train, n_test)
    if dataset == "rsicd":
        assert lists["train"][RSICD_VAL_START] == "airport_61.jpg"
    path = tmp_path / "dataset.json"
    path.write_bytes(karpathy_json(published_records(dataset, lists), dataset))
    records = read_karpathy(path, CAPTION_FIELDS[dataset])
    assert [r["filename"] for r in records] == lists["train"] + lists["test"]
    official = lists["train_caps"] + lists["test_caps"]
    converted = [c for r in records for c in r["captions"]]
    differing = [i for i, (a, b) in enumerate(zip(converted, official, strict=True)) if a != b]
    # RSICD's list has one caption that is not in tokens form (train line 48,856, 00744.jpg: raw text with
    # commas and no " ."); a JSON made from the lists cannot say what its tokens are.
    assert differing == ([48855] if dataset == "rsicd" else [])

    official_split = ["test" if r["split"] == "test" else "train" for r in records]
    result = splits.retrieval_split(official_split, val_fraction=0.2, seed=0)
    train, val, test = (set(result[k]) for k in ("train", "val", "test"))
    assert len(test) == n_test and len(train) + len(val) == n_train
    assert len(val) == round(0.2 * n_train)
    assert not (train & val or train & test or val & test)
    other = splits.retrieval_split(official_split, val_fraction=0.2, seed=1)
    assert set(other["val"]) != val, "each run re-splits train/val with its own seed"
    scenes = {scene_of(r["filename"]) for r in records}
    if dataset == "rsitmd":
        assert "" not in scenes
        assert sum(c == "" for c in converted) == 20  # the known upstream blank captions
        return
    numeric = [r for r in records if not scene_of(r["filename"])]
    assert len(numeric) == 921 and len(scenes - {""}) == 30
    captions = [r["captions"] for r in records]
    vocab = build_vocabulary(vocabulary_captions(captions, official_split, "train_test"), min_count=5)
    assert vocab.to_json() == json.loads((SWAN_LISTS / "rsicd_splits_vocab.json").read_text())
