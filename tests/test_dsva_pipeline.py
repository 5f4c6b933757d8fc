"""DSVA on a tiny learnable dataset: leakage guards, faithful vs corrected, end to end, resume, workflow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from rsrepro.data.leakage import LeakError, require_seen_only
from rsrepro.data.prepared import PreparedDataset
from rsrepro.data.splits import zero_shot_split
from rsrepro.dsva.attributes import collect
from rsrepro.dsva.summary import summarize
from rsrepro.dsva.targets import run_key
from rsrepro.dsva.train import build_model, overlaps, training_images
from rsrepro.image_text.model import fit_image_text, shared_training_images
from tests.dsva_tiny import COLLECTION, TRAIN, build_tiny_dsva_dataset, train_and_score

torch.set_num_threads(1)
CPU = torch.device("cpu")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny_dsva(tmp_path_factory):
    """Prepared data, two splits of one seed, the image-text model and the 40/30 collection."""
    root = tmp_path_factory.mktemp("tiny_dsva")
    data = PreparedDataset.load(build_tiny_dsva_dataset(root / "data"))
    splits = {
        s: zero_shot_split(data.class_idx, *s, seed=0, seen_test_fraction=0.2) for s in ((60, 10), (40, 30))
    }
    fit_image_text(data, list(splits.values()), COLLECTION, root / "image_text", CPU, seed=0)
    split = splits[(40, 30)]
    report = collect(data, split, COLLECTION, root / "image_text", root / "attributes", CPU, seed=0)
    return {"root": root, "data": data, "splits": splits, "split": split, "report": report}


def test_splits_disjoint_and_training_lists_seen_only(tiny_dsva):
    data, split = tiny_dsva["data"], tiny_dsva["split"]
    assert not set(split["seen_classes"]) & set(split["unseen_classes"])
    assert not set(split["train"]) & set(split["test_seen"])
    shared = shared_training_images(list(tiny_dsva["splits"].values()))
    for s in tiny_dsva["splits"].values():
        assert not set(data.class_idx[shared]) & set(s["unseen_classes"])
        assert set(shared) <= set(s["train"])  # never a seen-test image of any split either
    trained = json.loads((tiny_dsva["root"] / "image_text" / "training.json").read_text())
    assert trained["train_images"] == len(shared)
    assert not {data.classes.index(c) for c in trained["train_classes"]} & set(split["unseen_classes"])


def test_image_text_model_is_reproducible(tiny_dsva):
    data, splits, root = tiny_dsva["data"], list(tiny_dsva["splits"].values()), tiny_dsva["root"]
    fit_image_text(data, splits, {**COLLECTION, "epochs": 1}, root / "it_a", CPU, seed=3)
    fit_image_text(data, splits, {**COLLECTION, "epochs": 1}, root / "it_b", CPU, seed=3)
    a = torch.load(root / "it_a" / "model.pt", weights_only=True)["model"]
    b = torch.load(root / "it_b" / "model.pt", weights_only=True)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_collection_rows_keep_unseen_annotation_images_out_of_test(tiny_dsva):
    data, split, report = tiny_dsva["data"], tiny_dsva["split"], tiny_dsva["report"]
    excluded = set(report["eval_excluded"])
    for row in report["rows"].values():
        images = set(row["images"])
        if row["role"] == "seen-train":
            assert images <= set(split["train"])
        else:
            assert images <= excluded and images <= set(split["test_unseen"])
            assert len(images) == COLLECTION["annotation_images_per_unseen_class"]
    assert set(data.class_idx[sorted(excluded)]) == set(split["unseen_classes"])


def test_require_seen_only_raises_on_unseen_images(tiny_dsva):
    data, split = tiny_dsva["data"], tiny_dsva["split"]
    with pytest.raises(LeakError, match="unseen classes"):
        require_seen_only(
            np.array(split["test_unseen"][:3]), data.class_idx, split["unseen_classes"], "training"
        )
    require_seen_only(np.array(split["train"]), data.class_idx, split["unseen_classes"], "training")


def test_collected_attributes_agree_with_truth(tiny_dsva):
    agreement = tiny_dsva["report"]["agreement"]
    assert agreement["mean_r"] > 0.3
    matrix = np.load(tiny_dsva["root"] / "attributes" / "class_attributes.npy")
    seen = matrix[tiny_dsva["split"]["seen_classes"]]
    assert np.isfinite(matrix).all() and seen.min() == pytest.approx(0) and seen.max() == pytest.approx(1)


def test_only_corrected_gzsl_keeps_the_seen_test_images_out_of_training(tiny_dsva):
    split = tiny_dsva["split"]
    test_seen = set(split["test_seen"])
    for setting, faithful in (("zsl", True), ("gzsl", True), ("zsl", False)):
        assert test_seen <= set(training_images(split, setting, faithful).tolist()), (setting, faithful)
    assert not test_seen & set(training_images(split, "gzsl", faithful=False).tolist())
    o = overlaps(split)
    assert o["split_file_train_test_seen"] == 0
    # a seeded split has no ZSL list of its own: train + test_seen, the overlap total by construction
    assert o["faithful_loader_train_test_seen"] == o["test_seen_images"] == len(split["test_seen"])
    assert o["zsl_list"].startswith("seeded split")


def test_model_maps_and_crop_branch(tiny_dsva):
    data = tiny_dsva["data"]
    x = torch.rand(2, 3, 28, 28)
    plain = build_model({**TRAIN, "crop_branch": False}, tiny_dsva["root"] / "attributes", data).eval()
    cropped = build_model({**TRAIN, "crop_branch": True}, tiny_dsva["root"] / "attributes", data).eval()
    cropped.load_state_dict(plain.state_dict())
    with torch.no_grad():
        a, b = plain(x), cropped(x)
    assert a.maps.shape == (2, len(data.attribute_names), 7, 7)
    torch.testing.assert_close(a.attr_local, b.attr_local)  # the crop feeds the global branch only,
    torch.testing.assert_close(a.attr_global, b.attr_global)  # and only its class scores
    assert a.attr_crop is None and b.attr_crop.shape == a.attr_global.shape
    assert not torch.allclose(a.attr_global_scored, b.attr_global_scored)


@pytest.mark.slow
def test_end_to_end_above_chance_and_variants_differ(tiny_dsva):
    data, split, root = tiny_dsva["data"], tiny_dsva["split"], tiny_dsva["root"]
    chance = 1 / len(split["unseen_classes"])
    last = {}
    for variant in ("faithful", "corrected"):
        cfg = {**TRAIN, "faithful": variant == "faithful"}
        history = train_and_score(
            data, split, root / "attributes", cfg, "zsl", "full", root / variant, seed=0
        )
        last[variant] = history[-1]
        assert "zsl" in history[-1] and "H" not in history[-1]  # a ZSL run is evaluated on ZSL only
    assert last["corrected"]["zsl"] > chance + 0.2
    assert last["faithful"]["zsl"] > chance + 0.1
    # double softmax: CE of probabilities cannot go below ln(e + C - 1) - 1 (a one-hot probability row);
    # the corrected CE on scores can, and does
    floor = np.log(np.e + len(split["seen_classes"]) - 1) - 1
    assert last["corrected"]["ce_local"] < floor < last["faithful"]["ce_local"]
    for variant in ("faithful", "corrected"):  # ZSL trains on every seen image (no seen test set)
        run = json.loads((root / variant / "history.json").read_text())["run"]
        assert (run["setting"], run["train_test_seen_overlap_used"]) == ("zsl", len(split["test_seen"]))


class Interrupted(Exception):
    pass


@pytest.mark.slow
def test_resume_after_interruption_gives_the_same_run(tiny_dsva, monkeypatch):
    import rsrepro.dsva.train as dsva_train

    data, split, root = tiny_dsva["data"], tiny_dsva["split"], tiny_dsva["root"]
    cfg = {**TRAIN, "faithful": False, "batches_per_epoch": 4, "epochs": 3}
    straight = train_and_score(data, split, root / "attributes", cfg, "gzsl", "select", root / "a", seed=1)
    assert not (root / "a" / "checkpoints").exists()  # a finished run keeps no checkpoint

    real_episodes, calls = dsva_train.episodes, []

    def crash_in_third_epoch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise Interrupted
        return real_episodes(*args, **kwargs)

    monkeypatch.setattr(dsva_train, "episodes", crash_in_third_epoch)
    with pytest.raises(Interrupted):
        train_and_score(data, split, root / "attributes", cfg, "gzsl", "select", root / "b", seed=1)
    assert torch.load(root / "b" / "checkpoints" / "last.pt", weights_only=True)["epoch"] == 1
    monkeypatch.setattr(dsva_train, "episodes", real_episodes)
    resumed = train_and_score(data, split, root / "attributes", cfg, "gzsl", "select", root / "b", seed=1)
    assert [h["loss"] for h in straight] == pytest.approx([h["loss"] for h in resumed])
    assert [h["val_zsl"] for h in straight] == [h["val_zsl"] for h in resumed]
    a = torch.load(root / "a" / "model.pt", weights_only=True)["state_dict"]
    b = torch.load(root / "b" / "model.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_protocols_pick_their_epochs_per_setting():
    zsl = [{"zsl": z, "zsl_g": 0} for z in (0.5, 0.9, 0.6, 0.4)]
    # a NaN H (a seen class without test images, faithful) is never the best epoch, as in the released code
    gzsl = [{"U": 0.1, "S": 0.2, "H": h, "U_g": 0, "S_g": 0, "H_g": 0} for h in (0.1, 0.2, np.nan, 0.3)]
    runs = {
        "zsl": {"full": zsl, "select": [{"val_zsl": v} for v in (0.1, 0.2, 0.7, 0.3)]},
        "gzsl": {"full": gzsl, "select": [{"val_zsl": v} for v in (0.8, 0.2, 0.7, 0.3)]},
    }
    p = summarize(runs, {})["protocols"]
    picked = {name: (q["zsl_epoch"], q["zsl"], q["gzsl_epoch"], q["H"]) for name, q in p.items()}
    assert picked == {"paper": (1, 0.9, 3, 0.3), "last": (3, 0.4, 3, 0.3), "validation": (2, 0.6, 0, 0.1)}
    assert p["validation"]["val_zsl"] == {"zsl": 0.7, "gzsl": 0.8}
    never = {**runs, "gzsl": {**runs["gzsl"], "full": [{**row, "H": 0.0} for row in gzsl]}}
    paper = summarize(never, {})["protocols"]["paper"]  # no epoch beats 0: the released Result's zeros
    assert (paper["gzsl_epoch"], paper["U"], paper["S"], paper["H"]) == (None, 0.0, 0.0, 0.0)


def test_run_key_parses_metrics_paths():
    key = run_key("results/runs/dsva/synthetic/50-20_seed3/corrected/metrics.json")
    assert key == {"dataset": "synthetic", "split": "50/20", "seed": 3, "variant": "corrected"}


@pytest.mark.slow
def test_snakemake_dry_run_lists_dsva_jobs():
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "results/reports/dsva.html",
            "-n",
            "--forceall",
            "--quiet",
            "rules",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = (line.split()[:2] for line in out.splitlines() if line.startswith(("dsva_", "image_text_")))
    counts = {rule: int(n) for rule, n in rows}
    splits = len(yaml.safe_load((ROOT / "params.yaml").read_text())["dsva"]["splits"])
    assert counts == {
        "image_text_train": 1,  # one image-text model for DSVA's splits of each split seed
        "dsva_collect_attributes": splits,
        "dsva_train": splits * 2 * 2 * 2,  # x settings (zsl, gzsl) x variants x stages (full, select)
        "dsva_summarize": splits * 2,
        "dsva_baseline": splits,
        "dsva_aggregate": 1,
        "dsva_report": 1,
    }


def test_dataset_split_lists_follow_the_released_loader():
    # RSSDIVCS-like: the split file's train is train_zsl_loc, which here shares image 5 with test_seen
    split = {"train": [1, 2, 3, 5], "test_seen": [5, 6], "test_unseen": [9]}
    own = {"train": [1, 2, 3, 5], "train_gzsl": [1, 2, 4], "test_seen": [5, 6]}
    assert training_images(split, "gzsl", faithful=True, own=own).tolist() == [1, 2, 3, 5]
    assert training_images(split, "zsl", faithful=False, own=own).tolist() == [1, 2, 3, 5]
    assert training_images(split, "gzsl", faithful=False, own=own).tolist() == [1, 2, 4]
    assert overlaps(split, own) == {
        "split_file_train_test_seen": 1,
        "faithful_loader_train_test_seen": 1,
        "zsl_list": "dataset",
        "test_seen_images": 2,
    }
    # a seeded split: the ZSL list is every seen image, the GZSL list the split's train
    seeded = {"train": [1, 2], "test_seen": [3], "test_unseen": [9]}
    assert training_images(seeded, "gzsl", faithful=True).tolist() == [1, 2, 3]
    assert training_images(seeded, "gzsl", faithful=False).tolist() == [1, 2]
