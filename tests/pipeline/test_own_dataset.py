"""Your own data, no code: a class-folder dataset and a captions dataset declared in a params overlay run
through every paper that reads their layout (LSE-Net and DSVA, with DSVA's classes listed by name; SWAN)
and their reports, with Snakemake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from rsrepro.papers import PAPERS
from tests.own_datasets import CLASS_NAMES, SCENES, write_class_folders, write_karpathy
from tests.tiny_pipeline import TINY
from tests.workflow_helpers import deep_update, make_workdir, snakemake

pytestmark = pytest.mark.slow
LISTED = "9/3"
UNSEEN = ["BareField", "BareShore", "BareTown"]  # folder names of tests.own_datasets.CLASS_NAMES


def own_overlay(data: Path) -> dict:
    """TINY with the papers on the two declared datasets instead of the synthetic one."""
    return deep_update(
        json.loads(json.dumps(TINY)),
        {
            "data": {
                "scenes": {
                    "layout": "class_folders",
                    "path": str(data / "scenes"),
                    "image_size": 40,
                    "zero_shot_splits": {LISTED: {"unseen": UNSEEN}},  # DSVA's classes listed, not drawn
                },
                "captioned": {
                    "layout": "karpathy_captions",
                    "path": str(data / "captioned"),
                    "image_size": 48,
                    "captions_file": "captions.json",
                    "caption_field": "raw",
                },
            },
            "lsenet": {
                "datasets": ["scenes"],
                "train_ratios": {"scenes": [0.6]},
                "ablation": {"train_ratios": {"scenes": [0.6]}},
            },
            "swan": {"datasets": ["captioned"], "vocab": {"min_count": 1}},
            "image_text": {"baselines": {"zero_shot_splits": [LISTED]}},  # one model serves every baseline
            "dsva": {
                "datasets": ["scenes"],
                "splits": [LISTED],
                "collection": {"annotation_images_per_unseen_class": 1},
                "train": {"ways": 4, "shots": 2, "val_classes": 2},
            },
        },
    )


def test_own_datasets_run_through_every_paper_and_report(tmp_path: Path) -> None:
    data = tmp_path / "data"
    write_class_folders(data / "scenes")
    write_karpathy(data / "captioned")
    (tmp_path / "work").mkdir()
    workdir = make_workdir(tmp_path / "work", **own_overlay(data))
    # Every paper's own targets (summaries, plots, report); the index, headline and table files read those
    # summaries the same whatever the dataset's layout, and the tiny pipeline builds them.
    config = yaml.safe_load((workdir / "params.yaml").read_text())
    snakemake(workdir, *(f for paper in PAPERS.values() for f in paper.final_targets(config)))
    prepared = json.loads((workdir / "results/prepared/scenes/info.json").read_text())
    assert len(prepared["classes"]) == len(CLASS_NAMES) and prepared["n_images"] == 5 * len(CLASS_NAMES)
    assert "dense" in prepared["attributes"]["names"]  # DSVA's attributes: the class names' words
    captioned = json.loads((workdir / "results/prepared/captioned/info.json").read_text())
    assert captioned["n_images"] == 6 * len(SCENES) and "captions" in captioned["parts"]
    for paper in ("lsenet", "swan", "dsva"):
        report = workdir / f"results/reports/{paper}.html"
        assert report.is_file(), f"{paper}'s report"
    split = json.loads((workdir / "results/splits/scenes/zero_shot/9-3_seed0.json").read_text())
    assert [prepared["classes"][c] for c in split["unseen_classes"]] == UNSEEN, "the listed unseen classes"
    for paper, dataset in (("lsenet", "scenes"), ("swan", "captioned"), ("dsva", "scenes")):
        assert list((workdir / "results/runs" / paper / dataset).rglob("history.json")), f"{paper} trained"
