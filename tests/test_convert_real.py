"""Converters: each dataset's real layout into the prepared form, and the split protocols on it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rsrepro.cli import main
from rsrepro.data import splits
from rsrepro.data.prepared import PreparedDataset
from rsrepro.data.sources.catalog import DATASETS
from rsrepro.data.sources.converters import read_karpathy, scene_of
from rsrepro.data.sources.errors import LayoutError
from rsrepro.data.sources.prepare import prepare_source
from tests.realdata_fixtures import (
    SWAN_LISTS,
    folder_per_class_zip,
    image_bytes,
    karpathy_json,
    rsitmd_zip,
    rssdivcs_folder,
    zip_bytes,
)

FOLDER_LAYOUTS = {
    "ucm": ("UCMerced_LandUse/Images", ["agricultural", "beach", "tenniscourt"], "{cls}{i:02d}", ".tif"),
    "aid": ("AID", ["Airport", "BareLand", "Beach"], "{cls}_{i}", ".jpg"),
    "nwpu_resisc45": ("NWPU-RESISC45", ["airplane", "beach", "wetland"], "{cls}_{i:03d}", ".jpg"),
}


def prepare(name: str, raw_files: dict[str, bytes], tmp_path: Path, size: int = 8) -> PreparedDataset:
    raw = tmp_path / "raw" / name
    raw.mkdir(parents=True)
    for filename, data in raw_files.items():
        (raw / filename).write_bytes(data)
    prepare_source(DATASETS[name], raw, tmp_path / "prepared" / name, size, tmp_path / "scratch")
    assert not list((tmp_path / "scratch").iterdir()), "extraction scratch must be cleaned up"
    return PreparedDataset.load(tmp_path / "prepared" / name)


@pytest.mark.parametrize("name", sorted(FOLDER_LAYOUTS))
def test_folder_per_class_datasets(name: str, tmp_path: Path) -> None:
    root, classes, pattern, ext = FOLDER_LAYOUTS[name]
    data = prepare(name, {"archive.zip": folder_per_class_zip(root, classes, 4, pattern, ext)}, tmp_path)
    assert data.classes == classes
    assert data.images.shape == (12, 8, 8, 3)
    assert np.bincount(data.class_idx).tolist() == [4, 4, 4]
    assert (data.meta["scene"] == data.meta["class_name"]).all()
    first = data.meta.iloc[0]
    assert first["file"] == f"{classes[0]}/{pattern.format(cls=classes[0].lower(), i=0)}{ext}"
    split = splits.classification_split(data.class_idx, 0.5, seed=0)
    assert len(split["train"]) == 6 and not set(split["train"]) & set(split["test"])


def test_rsitmd_karpathy_json(tmp_path: Path) -> None:
    records = [
        ("airport_1.tif", "train", [f"airport caption {j}" for j in range(5)]),
        ("boat_7.tif", "test", [f"boat caption {j} " for j in range(5)]),
        ("airport_2.tif", "train", ["a"] * 4 + [""]),  # RSITMD's blank captions are kept, not dropped
    ]
    data = prepare("rsitmd", {"RSITMD.zip": rsitmd_zip(records)}, tmp_path)
    assert data.meta["file"].tolist() == ["airport_1.tif", "boat_7.tif", "airport_2.tif"]
    assert data.meta["scene"].tolist() == ["airport", "boat", "airport"]
    assert data.meta["official_split"].tolist() == ["train", "test", "train"]
    assert data.captions[1][0] == "boat caption 0" and len(data.captions[2]) == 5


def test_rsicd_numeric_names_have_no_scene_and_val_counts_as_train(tmp_path: Path) -> None:
    records = [
        ("airport_1.jpg", "train", ["x"] * 5),
        ("00017.jpg", "val", ["y"] * 5),
        ("beach_3.jpg", "test", ["z"] * 5),
    ]
    images = zip_bytes(
        {f"RSICD_images/{n}": image_bytes("JPEG", seed=i) for i, (n, _, _) in enumerate(records)}
    )
    data = prepare(
        "rsicd", {"RSICD_images.zip": images, "dataset_rsicd.json": karpathy_json(records, "rsicd")}, tmp_path
    )
    assert data.meta["scene"].tolist() == ["airport", "", "beach"]
    assert data.meta["class_name"].tolist() == ["airport", "none", "beach"]
    assert data.meta["official_split"].tolist() == ["train", "train", "test"]


def test_karpathy_missing_images_are_reported(tmp_path: Path) -> None:
    records = [("airport_1.tif", "train", ["x"] * 5)]
    archive = zip_bytes({"RSITMD/dataset_RSITMD.json": karpathy_json(records, "rsitmd")})
    with pytest.raises(LayoutError, match=r"1 of 1 images named in dataset_RSITMD\.json.*airport_1\.tif"):
        prepare("rsitmd", {"RSITMD.zip": archive}, tmp_path)


def test_rssdivcs_mat_files(tmp_path: Path) -> None:
    raw = tmp_path / "raw" / "rssdivcs"
    truth = rssdivcs_folder(raw / "RSSDIVCS", ["airport", "beach", "forest"], per_class=4)
    out = tmp_path / "prepared" / "rssdivcs"
    prepare_source(DATASETS["rssdivcs"], raw, out, 8, tmp_path / "scratch")
    data = PreparedDataset.load(out)
    assert data.meta["file"].tolist() == truth["names"]
    assert data.classes == ["airport", "beach", "forest"]
    np.testing.assert_allclose(data.class_attributes, truth["att"].T, rtol=1e-6)
    assert data.attribute_groups["materials"] == [2, 3]
    for split, prefix in (("60/10", "61"), ("50/20", "52"), ("40/30", "43")):
        stored = data.zero_shot_splits[split]
        assert {k: stored[k] for k in ("train", "test_seen", "test_unseen")} == truth["splits"][prefix]
        assert stored["seen"] == [0, 1] and stored["unseen"] == [2]
    # The split command takes the dataset's own split instead of drawing one.
    target = tmp_path / "zsl.json"
    argv = ["split", "zero-shot", "--prepared", str(out), "--split", "60/10", "--seed", "3"]
    assert main([*argv, "--seen-test-fraction", "0.2", "--out", str(target)]) == 0
    written = json.loads(target.read_text())
    assert written["source"] == "dataset" and written["test_unseen"] == truth["splits"]["61"]["test_unseen"]


def read_published(dataset: str) -> dict[str, list[str]]:
    folder = SWAN_LISTS / f"{dataset}_precomp"
    lists = {}
    for split in ("train", "test"):
        names = (folder / f"{split}_filename.txt").read_text().split("\n")
        lists[split] = list(dict.fromkeys(n.strip() for n in names if n.strip()))  # test repeats names 5x
        lists[f"{split}_caps"] = (folder / f"{split}_caps.txt").read_text().rstrip("\n").split("\n")
    return lists


@pytest.mark.skipif(not SWAN_LISTS.is_dir(), reason=f"published SWAN lists not found at {SWAN_LISTS}")
@pytest.mark.parametrize(("dataset", "n_train", "n_test"), [("rsitmd", 4291, 452), ("rsicd", 9828, 1093)])
def test_swan_protocol_on_the_published_lists(
    dataset: str, n_train: int, n_test: int, tmp_path: Path
) -> None:
    lists = read_published(dataset)
    assert (len(lists["train"]), len(lists["test"])) == (n_train, n_test)
    records = [
        (name, split, lists[f"{split}_caps"][5 * i : 5 * i + 5])
        for split in ("train", "test")
        for i, name in enumerate(lists[split])
    ]
    path = tmp_path / "dataset.json"
    path.write_bytes(karpathy_json(records, dataset))
    parsed = read_karpathy(path)
    official = ["test" if r["split"] == "test" else "train" for r in parsed]
    result = splits.retrieval_split(official, val_fraction=0.2, seed=0)
    train, val, test = (set(result[k]) for k in ("train", "val", "test"))
    assert len(test) == n_test and len(train) + len(val) == n_train
    assert len(val) == round(0.2 * n_train)
    assert not (train & val or train & test or val & test)
    assert {parsed[i]["filename"] for i in test} == set(lists["test"])
    other = splits.retrieval_split(official, val_fraction=0.2, seed=1)
    assert set(other["val"]) != val, "each run re-splits train/val with its own seed"
    scenes = {scene_of(r["filename"]) for r in parsed}
    if dataset == "rsicd":
        numeric = [r for r in parsed if not scene_of(r["filename"])]
        assert len(numeric) == 921 and len(scenes - {""}) == 30
    else:
        assert "" not in scenes


@pytest.mark.skipif(not SWAN_LISTS.is_dir(), reason=f"published SWAN lists not found at {SWAN_LISTS}")
def test_rsitmd_full_published_list_converts(tmp_path: Path) -> None:
    lists = read_published("rsitmd")
    records = [
        (name, split, lists[f"{split}_caps"][5 * i : 5 * i + 5])
        for split in ("train", "test")
        for i, name in enumerate(lists[split])
    ]
    data = prepare("rsitmd", {"RSITMD.zip": rsitmd_zip(records, size=4)}, tmp_path, size=4)
    assert len(data) == 4743 and (data.meta["official_split"] == "test").sum() == 452
    assert sum(c == "" for caps in data.captions for c in caps) == 20  # the known upstream blank captions
