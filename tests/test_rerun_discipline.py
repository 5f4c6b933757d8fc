"""What a change reruns, read from Snakemake's dry run in the tiny pipeline's working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tiny_pipeline import TINY, edited
from tests.workflow_helpers import edit_params, planned_jobs

pytestmark = pytest.mark.slow
SWAN_DOWNSTREAM = {"swan_aggregate", "swan_report", "headline_metrics", "plot_curves", "index_report"}


def planned(workdir: Path) -> set[str]:
    return set(planned_jobs(workdir)) - {"all"}


def test_nothing_to_do_after_the_run(tiny_pipeline: Path) -> None:
    assert planned(tiny_pipeline) == set()


def test_a_paper_parameter_reruns_that_paper_and_the_reports_only(tiny_pipeline: Path) -> None:
    edit_params(tiny_pipeline, swan={"train": {"lr": 1e-4}})
    try:
        assert planned_jobs(tiny_pipeline)["headline_metrics"] == 1  # SWAN's alone
        assert planned(tiny_pipeline) == {"swan_train"} | SWAN_DOWNSTREAM
    finally:
        edit_params(tiny_pipeline, swan={"train": TINY["swan"]["train"] | {"lr": 1.0e-3}})


def test_a_dataset_parameter_reruns_the_dataset_and_its_descendants(tiny_pipeline: Path) -> None:
    edit_params(tiny_pipeline, data={"synthetic": {"images_per_class": 11}})
    try:
        jobs = planned(tiny_pipeline)
        assert {"prepare_synthetic", "lsenet_train", "swan_train", "dsva_train", "index_report"} <= jobs
    finally:
        edit_params(tiny_pipeline, data={"synthetic": {"images_per_class": 10}})


@pytest.mark.parametrize("paper", ["lsenet", "swan", "dsva", "index"])
def test_editing_a_notebook_reruns_its_report_only(tiny_pipeline: Path, paper: str) -> None:
    with edited(tiny_pipeline / f"checkout/notebooks/{paper}.ipynb", "\n"):
        assert planned(tiny_pipeline) == {f"{paper}_report"}


def test_changing_the_swan_model_code_reruns_swan_training(tiny_pipeline: Path) -> None:
    with edited(tiny_pipeline / "checkout/src/rsrepro/models/swan.py", "\n# edited by a test\n"):
        assert planned(tiny_pipeline) == {"swan_train"} | SWAN_DOWNSTREAM
