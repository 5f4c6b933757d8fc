"""What a change reruns, read from Snakemake's dry run in the tiny pipeline's working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tiny_pipeline import TINY, edited
from tests.workflow_helpers import edit_params, planned_jobs

pytestmark = pytest.mark.slow
SWAN_DOWNSTREAM = {
    "swan_evaluate",
    "swan_aggregate",
    "swan_report",
    "headline_metrics",
    "paper_table",
    "plot_curves",
    "index_report",
}


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


BEHAVIOUR = "\n_EDITED_BY_A_TEST = 1\n"  # a module-level statement: the code's syntax tree changes
COMMENT = "\n# edited by a test\n"


def edited_code(workdir: Path, module: str, extra: str):
    return edited(workdir / f"checkout/src/rsrepro/{module}", extra)


def test_a_comment_in_the_swan_model_reruns_nothing(tiny_pipeline: Path) -> None:
    with edited_code(tiny_pipeline, "models/swan.py", COMMENT):
        assert planned(tiny_pipeline) == set()


def test_changing_the_swan_model_code_reruns_swan_training(tiny_pipeline: Path) -> None:
    with edited_code(tiny_pipeline, "models/swan.py", BEHAVIOUR):
        assert planned(tiny_pipeline) == {"swan_train"} | SWAN_DOWNSTREAM


def test_the_shared_augmentation_reruns_every_paper_that_imports_it(tiny_pipeline: Path) -> None:
    with edited_code(tiny_pipeline, "training/augment.py", BEHAVIOUR):
        jobs = planned(tiny_pipeline)
    assert {"lsenet_train", "swan_train", "dsva_train", "image_text_train"} <= jobs
    assert not jobs & {"prepare_synthetic", "split_classification", "split_retrieval", "swan_vocab"}


def test_the_split_rules_rerun_with_everything_downstream_of_them(tiny_pipeline: Path) -> None:
    with edited_code(tiny_pipeline, "data/splits.py", BEHAVIOUR):
        jobs = planned(tiny_pipeline)
    assert {"split_classification", "split_retrieval", "split_zero_shot"} <= jobs
    assert {"lsenet_train", "swan_train", "dsva_train", "index_report"} <= jobs
    assert "prepare_synthetic" not in jobs


def test_a_classification_metric_reruns_the_evaluations_and_no_training(tiny_pipeline: Path) -> None:
    with edited_code(tiny_pipeline, "metrics/classification.py", BEHAVIOUR):
        jobs = planned(tiny_pipeline)
    assert {"lsenet_evaluate", "dsva_summarize", "lsenet_report", "dsva_report", "index_report"} <= jobs
    assert not {job for job in jobs if job.endswith("_train")}


def test_swan_aggregation_reruns_the_aggregate_and_the_reports_not_training(tiny_pipeline: Path) -> None:
    with edited_code(tiny_pipeline, "swan/aggregate.py", BEHAVIOUR):
        assert planned(tiny_pipeline) == SWAN_DOWNSTREAM - {"swan_evaluate", "plot_curves"}  # no model
