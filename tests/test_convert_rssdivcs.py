"""RSSDIVCS: DSVA's .mat files in their real shapes, each split from its own files, and every way they can
disagree stopping with the file and the mismatch."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from rsrepro.cli import main
from rsrepro.data.prepared import PreparedDataset
from rsrepro.data.sources import matlab
from rsrepro.data.sources.catalog import DATASETS
from rsrepro.data.sources.errors import LayoutError
from rsrepro.data.sources.prepare import prepare_source
from rsrepro.data.standin import ZeroShotLists, write_images_mat, write_splits_mat
from tests.realdata_fixtures import RSSDIVCS_SPLITS, rssdivcs_standin

PREFIXES = {"60/10": "61", "50/20": "52", "40/30": "43"}


@pytest.fixture
def standin(tmp_path: Path) -> dict:
    return rssdivcs_standin(tmp_path / "raw" / "rssdivcs")


def mats(truth: dict) -> Path:
    return truth["files"]["folder"] / "files"


def relative_files(truth: dict) -> list[str]:
    loaded = scipy.io.loadmat(mats(truth) / "61_images.mat", variable_names=["image_files"])
    return [p.strip().split("RSSDIVCS/")[1] for p in loaded["image_files"]]


def convert(tmp_path: Path) -> PreparedDataset:
    out = tmp_path / "prepared" / "rssdivcs"
    prepare_source(DATASETS["rssdivcs"], tmp_path / "raw" / "rssdivcs", out, 8, tmp_path / "scratch")
    return PreparedDataset.load(out)


def test_the_standin_has_the_real_mat_shapes(standin: dict) -> None:
    images = scipy.io.loadmat(mats(standin) / "52_images.mat")
    n = len(standin["labels"])
    assert images["image_files"].dtype.kind == "U" and images["image_files"].shape == (n,)  # a char matrix
    assert all(p.count("RSSDIVCS/") == 1 and p.startswith("/") for p in images["image_files"])
    assert images["labels"].shape == (n, 1) and images["labels"].min() == 1
    assert images["features"].shape == (2048, n) and images["features"].dtype == np.float64
    split = scipy.io.loadmat(mats(standin) / "ann_attr_finetune_52_splits.mat")
    assert split["att"].shape == (6, 70) and split["allclasses_names"].shape == (70, 1)
    assert split["test_unseen_loc_0"].shape == (40, 1) and split["test_unseen_loc_0"].min() >= 1
    chars = scipy.io.loadmat(mats(standin) / "61_images.mat", chars_as_strings=False)["image_files"]
    assert chars.shape == (n, max(len(p) for p in images["image_files"]))  # one padded row per path


def test_every_split_comes_from_its_own_files(standin: dict, tmp_path: Path) -> None:
    data = convert(tmp_path)
    assert data.meta["file"].tolist() == relative_files(standin)
    assert data.classes == standin["classes"]
    np.testing.assert_allclose(data.class_attributes, standin["att"], rtol=1e-6)
    assert data.attribute_groups["materials"] == [2, 3]
    for split, n_unseen in RSSDIVCS_SPLITS.items():
        stored, lists = data.zero_shot_splits[split], standin["splits"][split]
        for key in ("train", "train_gzsl", "test_seen", "test_unseen"):
            assert stored[key] == sorted(getattr(lists, key).tolist()), (split, key)
        assert stored["unseen"] == list(range(70 - n_unseen, 70)) and len(stored["seen"]) == 70 - n_unseen
        assert "class_attributes" not in stored  # the same att in every file


def test_a_split_file_in_another_order_gives_the_same_splits(standin: dict, tmp_path: Path) -> None:
    """52_images.mat with its images (and 52's lists and class order) permuted converts by identity."""
    files, labels, classes = relative_files(standin), standin["labels"], standin["classes"]
    order = np.random.default_rng(5).permutation(len(files))
    position = np.argsort(order)  # where each original image now sits
    class_order = list(reversed(classes))
    relabel = np.array([class_order.index(c) for c in classes])
    write_images_mat(mats(standin) / "52_images.mat", [files[i] for i in order], relabel[labels[order]])
    lists = standin["splits"]["50/20"]
    moved = ZeroShotLists(
        *(position[np.asarray(getattr(lists, k))] for k in ZeroShotLists.__dataclass_fields__)
    )
    att = standin["att"][[classes.index(c) for c in class_order]]
    write_splits_mat(mats(standin) / "ann_attr_finetune_52_splits.mat", class_order, att, moved)
    data = convert(tmp_path)
    stored = data.zero_shot_splits["50/20"]
    assert stored["test_unseen"] == sorted(lists.test_unseen.tolist())
    assert stored["train"] == sorted(lists.train.tolist())
    assert stored["unseen"] == list(range(50, 70)) and "class_attributes" not in stored


def test_a_split_with_its_own_attributes_keeps_them_in_the_prepared_class_order(
    standin: dict, tmp_path: Path
) -> None:
    own = standin["att"] * 2
    write_splits_mat(
        mats(standin) / "ann_attr_finetune_43_splits.mat", standin["classes"], own, standin["splits"]["40/30"]
    )
    data = convert(tmp_path)
    np.testing.assert_allclose(data.zero_shot_splits["40/30"]["class_attributes"], own, rtol=1e-6)
    assert "class_attributes" not in data.zero_shot_splits["50/20"]


def rewrite_lists(prefix: str, change: Callable[[dict[str, np.ndarray]], None]) -> Callable[[dict], None]:
    def edit(truth: dict) -> None:
        split = next(s for s, p in PREFIXES.items() if p == prefix)
        lists = {
            k: np.asarray(getattr(truth["splits"][split], k)).copy()
            for k in ZeroShotLists.__dataclass_fields__
        }
        change(lists)
        path = mats(truth) / f"ann_attr_finetune_{prefix}_splits.mat"
        write_splits_mat(path, truth["classes"], truth["att"], ZeroShotLists(**lists))

    return edit


def rewrite_images(prefix: str, change: Callable[[list[str], np.ndarray], None]) -> Callable[[dict], None]:
    def edit(truth: dict) -> None:
        files, labels = relative_files(truth), truth["labels"].copy()
        change(files, labels)
        write_images_mat(mats(truth) / f"{prefix}_images.mat", files, labels)

    return edit


def unseen_image_in_train(lists: dict[str, np.ndarray]) -> None:
    lists["train"] = np.append(lists["train"], lists["test_unseen"][0])


def other_splits_lists(lists: dict[str, np.ndarray]) -> None:
    seen_60 = np.arange(120)  # the 60/10 split's seen images (classes 0..59, two images each)
    lists.update(
        train=seen_60[::2], train_gzsl=seen_60[::2], test_seen=seen_60[1::2], test_unseen=np.arange(120, 140)
    )


def location_past_the_end(lists: dict[str, np.ndarray]) -> None:
    lists["test_seen"] = np.append(lists["test_seen"], 140)  # 1-based 141 of 140 images


def renamed_image(files: list[str], labels: np.ndarray) -> None:
    files[3] = files[3].replace(".jpg", "_copy.jpg")


def swapped_classes(files: list[str], labels: np.ndarray) -> None:
    labels[[0, 2]] = labels[[2, 0]]  # two images of different classes


def replace_variable(
    prefix: str, name: str, value: Callable[[np.ndarray], np.ndarray]
) -> Callable[[dict], None]:
    """Rewrite the variable ``name`` of ``ann_attr_finetune_{prefix}_splits.mat``."""

    def edit(truth: dict) -> None:
        path = mats(truth) / f"ann_attr_finetune_{prefix}_splits.mat"
        loaded = {k: v for k, v in scipy.io.loadmat(path).items() if not k.startswith("__")}
        loaded[name] = value(loaded[name])
        scipy.io.savemat(path, loaded)

    return edit


def damage_file(name: str, change: Callable[[bytes], bytes]) -> Callable[[dict], None]:
    def edit(truth: dict) -> None:
        path = mats(truth) / name
        path.write_bytes(change(path.read_bytes()))

    return edit


BROKEN = {
    "seen and unseen overlap": (
        rewrite_lists("61", unseen_image_in_train),
        r"ann_attr_finetune_61_splits\.mat: 1 classes are both seen .* and unseen .*: class_60",
    ),
    "counts of another split": (
        rewrite_lists("52", other_splits_lists),
        r"ann_attr_finetune_52_splits\.mat is the 50/20 split, but .* give 60 seen and 10 unseen classes",
    ),
    "location past the end": (
        rewrite_lists("43", location_past_the_end),
        r"ann_attr_finetune_43_splits\.mat: test_seen_loc_0 holds 1 locations outside 1\.\.140, "
        r"the images of .*43_images\.mat \(e\.g\. 141\)",
    ),
    "different images": (
        rewrite_images("43", renamed_image),
        r"43_images\.mat and .*61_images\.mat list different images: 1 only in the first \(e\.g\. "
        r"class_01/class_01_002_copy\.jpg\), 1 only in the second",
    ),
    "different classes": (
        rewrite_images("52", swapped_classes),
        r"52_images\.mat and .*61_images\.mat disagree on the class of 2 images \(e\.g\. "
        r"class_00/class_00_001\.jpg: class_01 in the first, class_00 in the second\)",
    ),
    "locations as a two-column matrix": (
        replace_variable("61", "test_seen_loc_0", lambda v: np.hstack([v, v])),
        r"ann_attr_finetune_61_splits\.mat: test_seen_loc_0 is a 60 x 2 array; expected a vector",
    ),
    "fractional locations": (
        replace_variable("52", "train_zsl_loc_0", lambda v: v + 0.5),
        r"ann_attr_finetune_52_splits\.mat: train_zsl_loc_0 holds 1\.5, not a whole number",
    ),
    "a web page in place of a .mat file": (
        damage_file("52_images.mat", lambda data: b"<!DOCTYPE html><html>Google Drive</html>" + b" " * 200),
        r"52_images\.mat is not a readable MATLAB file \(ValueError: .*first bytes b'<!DOCTYPE html>",
    ),
    "a truncated .mat file": (
        damage_file("ann_attr_finetune_43_splits.mat", lambda data: data[: len(data) // 2]),
        r"ann_attr_finetune_43_splits\.mat is not a readable MATLAB file \(.*\): a truncated download",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_split_files_that_disagree_stop_with_the_file_and_the_mismatch(
    case: str, standin: dict, tmp_path: Path
) -> None:
    edit, message = BROKEN[case]
    edit(standin)
    with pytest.raises(LayoutError, match=message) as error:
        convert(tmp_path)
    raw = tmp_path / "raw" / "rssdivcs"
    assert f"{raw}/RSSDIVCS/files/" in str(error.value), "the file as the user finds it, not in scratch"
    assert str(error.value).endswith(
        f"delete the folder {raw} and rerun the workflow (it then downloads it, "
        "or copies the file given in data.rssdivcs.files, again)."
    )
    assert not (tmp_path / "prepared" / "rssdivcs").exists()
    assert not list((tmp_path / "scratch").iterdir())


def test_an_image_path_without_one_rssdivcs_folder_stops(standin: dict, tmp_path: Path) -> None:
    path = mats(standin) / "61_images.mat"
    loaded = scipy.io.loadmat(path)
    names = [p.strip() for p in loaded["image_files"]]
    names[5] = names[5].replace("RSSDIVCS/", "RSSDIVCS/RSSDIVCS/")
    scipy.io.savemat(
        path, {**{k: v for k, v in loaded.items() if not k.startswith("__")}, "image_files": np.array(names)}
    )
    with pytest.raises(
        LayoutError, match=r"61_images\.mat: image path .* contains 'RSSDIVCS/' 2 times; expected once"
    ):
        convert(tmp_path)


def test_only_the_variables_used_are_loaded(
    standin: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[str, list[str] | None]] = []
    real = scipy.io.loadmat

    def spy(path: Path, **kwargs: object) -> dict:
        asked.append((Path(path).name, kwargs.get("variable_names")))
        return real(path, **kwargs)

    monkeypatch.setattr(matlab.scipy.io, "loadmat", spy)
    convert(tmp_path)
    assert sorted(name for name, _ in asked) == sorted(
        [f"{p}_images.mat" for p in PREFIXES.values()]
        + [f"ann_attr_finetune_{p}_splits.mat" for p in PREFIXES.values()]
    )
    assert all(names and "features" not in names for _, names in asked), asked


def test_the_split_command_takes_the_datasets_own_zero_shot_split(standin: dict, tmp_path: Path) -> None:
    data = convert(tmp_path)
    target = tmp_path / "zsl.json"
    argv = ["split", "zero-shot", "--prepared", str(data.root), "--split", "50/20", "--seed", "3"]
    assert main([*argv, "--seen-test-fraction", "0.2", "--out", str(target)]) == 0
    written = json.loads(target.read_text())
    assert written["source"] == "dataset" and len(written["unseen_classes"]) == 20
    assert written["test_unseen"] == sorted(standin["splits"]["50/20"].test_unseen.tolist())
