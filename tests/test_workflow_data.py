"""The data stage of the real workflow, run by Snakemake in a temporary directory on a tiny preset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rsrepro.data.prepared import PreparedDataset
from tests.workflow_helpers import edit_params, make_workdir, planned_jobs, snakemake

TINY = {"data": {"synthetic": {"seed": 0, "image_size": 32, "images_per_class": 10, "test_fraction": 0.2}}}
DATA_TARGETS = (
    "results/figures/synthetic/contact_sheet.png",
    "results/splits/synthetic/classification/ratio0.2_seed0.json",
    "results/splits/synthetic/classification/ratio0.5_seed1.json",
    "results/splits/synthetic/retrieval/seed0.json",
    "results/splits/synthetic/retrieval/seed1.json",
    "results/splits/synthetic/zero_shot/60-10_seed0.json",
    "results/splits/synthetic/zero_shot/40-30_seed0.json",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny data stage, built once for the module."""
    workdir = make_workdir(tmp_path_factory.mktemp("wf"), **TINY)
    snakemake(workdir, *DATA_TARGETS)
    return workdir


def test_invalid_params_stop_before_any_job(tmp_path: Path) -> None:
    workdir = make_workdir(tmp_path, lsenet={"datasets": ["ucm2"]})
    result = snakemake(workdir, "--dry-run", check=False)
    assert result.returncode != 0
    assert "lsenet.datasets lists 'ucm2' but data.ucm2 is not configured" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (workdir / "results").exists()


@pytest.mark.slow
def test_data_stage_builds_prepared_data_and_splits(built: Path) -> None:
    data = PreparedDataset.load(built / "results/prepared/synthetic")
    assert len(data) == 28 * 10 and data.image_size == 32
    split = json.loads((built / DATA_TARGETS[1]).read_text())
    assert split["dataset"] == "synthetic" and len(split["train"]) == 28 * 2
    zero_shot = json.loads((built / DATA_TARGETS[5]).read_text())
    assert (len(zero_shot["seen_classes"]), len(zero_shot["unseen_classes"])) == (24, 4)
    assert (built / "results/logs/prepare_synthetic.log").exists()  # rsrepro.jobs: by rule and wildcards
    assert (built / "results/benchmarks/split_zero_shot/dataset=synthetic/split=60-10/seed=0.tsv").exists()


@pytest.mark.slow
def test_rerun_without_changes_does_nothing(built: Path) -> None:
    assert planned_jobs(built, *DATA_TARGETS) == {}


@pytest.mark.slow
def test_changing_a_split_parameter_reruns_only_those_splits(built: Path) -> None:
    edit_params(built, splits={"retrieval": {"val_fraction": 0.25}})
    try:
        assert planned_jobs(built, *DATA_TARGETS) == {"split_retrieval": 2}
    finally:
        edit_params(built, splits={"retrieval": {"val_fraction": 0.2}})


@pytest.mark.slow
def test_changing_the_dataset_reruns_it_and_all_its_splits(built: Path) -> None:
    edit_params(built, data={"synthetic": {"seed": 1}})
    try:
        assert planned_jobs(built, *DATA_TARGETS) == {
            "prepare_synthetic": 1,
            "split_classification": 2,
            "split_retrieval": 2,
            "split_zero_shot": 2,
        }
    finally:
        edit_params(built, data={"synthetic": {"seed": 0}})
