"""Converters: each dataset's published layout into the prepared form, and the split protocols on it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from rsrepro.cli import main
from rsrepro.data import splits
from rsrepro.data.prepared import PreparedDataset
from rsrepro.data.sources.catalog import DATASETS
from rsrepro.data.sources.converters.karpathy import read_karpathy, scene_of
from rsrepro.data.sources.errors import LayoutError
from rsrepro.data.sources.prepare import prepare_source
from rsrepro.data.sources.spec import ClassFolders
from rsrepro.data.standin import (
    CaptionedImage,
    Sentence,
    karpathy_json,
    write_captioned_dataset,
    write_folder_dataset,
)
from rsrepro.data.standin.files import encode_image
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


CLASS_FOLDER_DATASETS = sorted(n for n, d in DATASETS.items() if isinstance(d.layout, ClassFolders))


@pytest.mark.parametrize("name", CLASS_FOLDER_DATASETS)
def test_folder_per_class_datasets(name: str, tmp_path: Path) -> None:
    folder_standin(name, tmp_path / "raw" / name, per_class=2)
    data = prepare(name, tmp_path / "raw" / name, tmp_path)
    classes = list(DATASETS[name].classes)
    assert sorted(data.classes) == sorted(classes) and len(data) == 2 * len(classes)
    assert data.images.shape[1:] == (8, 8, 3)
    assert set(np.bincount(data.class_idx)) == {2}
    assert (data.meta["scene"] == data.meta["class_name"]).all()
    layout = DATASETS[name].layout
    first = data.meta.iloc[0]
    stem = layout.stem.format(cls=first["class_name"].lower(), i=layout.first)
    assert first["file"] == f"{first['class_name']}/{stem}{layout.suffix}"  # e.g. AID's Airport/airport_1.jpg
    split = splits.classification_split(data.class_idx, 0.5, seed=0)
    assert len(split["train"]) == len(classes) and not set(split["train"]) & set(split["test"])


# The members of PatternNet.zip in torchgeo's fixture (7ea0616, tests/data/patternnet), the peer project
# that publishes the pinned copy our entry fetches.
TORCHGEO_PATTERNNET_FIXTURE = [
    f"PatternNet/images/{cls}/{cls}{i:03d}.jpg" for cls in ("airplane", "bridge") for i in (1, 2, 3)
]


def test_the_patternnet_entry_writes_the_layout_of_torchgeos_fixture(tmp_path: Path) -> None:
    """The entry's layout (root, file names, numbering from 1) is what the stand-in writer follows: it
    must reproduce the peer project's fixture of the published archive, member for member."""
    files = write_folder_dataset(
        "patternnet", tmp_path, random_images(6), [0, 0, 0, 1, 1, 1], ["airplane", "bridge"]
    )
    with zipfile.ZipFile(files["archive"]) as archive:
        assert archive.namelist() == TORCHGEO_PATTERNNET_FIXTURE
    assert files["archive"].name == "PatternNet.zip"


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
    write_captioned_dataset("rsitmd", tmp_path / "raw" / "rsitmd", random_images(4), records)
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
    write_captioned_dataset("rsicd", tmp_path / "raw" / "rsicd", random_images(3), records)
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
    files = write_captioned_dataset("rsicd", raw, random_images(2), records)
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


def rsitmd_zip(raw: Path, records: list[CaptionedImage], members: dict[str, np.ndarray]) -> Path:
    """RSITMD.zip holding the given images (archive path -> pixels) and the records' caption file."""
    files = {name: encode_image(image, ".tif") for name, image in members.items()}
    files["RSITMD/dataset_RSITMD.json"] = karpathy_json(records, "rsitmd")
    raw.mkdir(parents=True, exist_ok=True)
    (raw / "RSITMD.zip").write_bytes(zip_bytes(files))
    return raw


def test_caption_images_are_found_in_the_folder_that_holds_them_all_not_by_name_alone(tmp_path: Path) -> None:
    records = [captioned("airport_1.tif", "train"), captioned("beach_2.tif", "test")]
    right, wrong = random_images(2, seed=0), random_images(2, seed=1)
    members = {f"RSITMD/images/{r.filename}": image for r, image in zip(records, right, strict=True)}
    for folder in ("RSITMD/a_thumbnails", "RSITMD/z_thumbnails"):  # other images under the same name
        members[f"{folder}/airport_1.tif"] = wrong[0]
    data = prepare("rsitmd", rsitmd_zip(tmp_path / "raw" / "rsitmd", records, members), tmp_path)
    np.testing.assert_array_equal(data.images[:], np.stack(right))


def test_a_name_in_two_folders_with_no_folder_holding_every_image_stops(tmp_path: Path) -> None:
    records = [captioned(name, "train") for name in ("airport_1.tif", "beach_2.tif", "boat_3.tif")]
    images = random_images(4)
    members = {
        "RSITMD/part1/airport_1.tif": images[0],
        "RSITMD/part2/beach_2.tif": images[1],
        "RSITMD/part2/boat_3.tif": images[2],
        "RSITMD/part3/airport_1.tif": images[3],
    }
    raw = rsitmd_zip(tmp_path / "raw" / "rsitmd", records, members)
    with pytest.raises(
        LayoutError,
        match=r"names images by file name only, and 1 of them are in the archive more than once, in "
        r"different folders \(e\.g\. airport_1\.tif: RSITMD\.zip/RSITMD/part1/airport_1\.tif, "
        r"RSITMD\.zip/RSITMD/part3/airport_1\.tif\)",
    ):
        prepare("rsitmd", raw, tmp_path)
    assert not (tmp_path / "prepared" / "rsitmd").exists()


BROKEN_CAPTIONS = {
    "no sentences": (
        [captioned("airport_1.jpg", "train"), CaptionedImage("beach_2.jpg", "test", ())],
        r"1 images have no sentences \(beach_2\.jpg\)",
    ),
    "one image in train and test": (
        [
            captioned("airport_1.jpg", "train"),
            captioned("beach_2.jpg", "val"),
            captioned("airport_1.jpg", "test"),
        ],
        r"1 images are listed more than once \(airport_1\.jpg in train and test\); an image in two splits",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN_CAPTIONS))
def test_caption_files_with_an_image_without_captions_or_in_two_splits_stop_with_the_names(
    case: str, tmp_path: Path
) -> None:
    records, message = BROKEN_CAPTIONS[case]
    path = tmp_path / "dataset_rsicd.json"
    path.write_bytes(karpathy_json(records, "rsicd"))
    with pytest.raises(LayoutError, match=message):
        read_karpathy(path, "tokens")


def test_a_caption_file_that_is_not_utf8_is_one_error_line_with_the_file_and_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = tmp_path / "raw" / "rsicd"
    files = write_captioned_dataset(
        "rsicd", raw, random_images(2), [captioned("airport_1.jpg", "train"), captioned("b_2.jpg", "test")]
    )
    text = files["captions"].read_bytes()
    files["captions"].write_bytes(text.replace(b"caption 0", b"caption \xff", 1))
    offset = text.index(b"caption 0") + len(b"caption ")
    scratch = tmp_path / "scratch"
    argv = ["prepare", "rsicd", "--raw", str(raw), "--out", str(tmp_path / "out"), "--scratch", str(scratch)]
    assert main([*argv, "--params", '{"image_size": 8}']) == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert errors == [
        f"rsrepro prepare: error: {raw / 'dataset_rsicd.json'} is not UTF-8 text (byte 0xff at offset "
        f"{offset:,}): damaged, or re-saved in another encoding; convert it to UTF-8. To fetch rsicd again, "
        f"delete the folder {raw} and rerun the workflow (it then downloads it, or copies the file given in "
        "data.rsicd.files, again)."
    ]
    assert not list(scratch.iterdir())
