"""What a change reruns, read from Snakemake's dry run in the tiny pipeline's working directory."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from tests.tiny_pipeline import TINY, edited, edited_definition
from tests.workflow_helpers import edit_params, planned_jobs, rsrepro

pytestmark = pytest.mark.slow
SWAN_DOWNSTREAM = {
    "swan_evaluate",
    "swan_aggregate",
    "swan_report",
    "headline_metrics",
    "paper_table",
    "paired_table",
    "headline_summary",
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


COMMENT = "\n# edited by a test\n"


def source(workdir: Path, module: str) -> Path:
    return workdir / f"checkout/src/rsrepro/{module}"


def test_a_comment_in_the_swan_model_reruns_nothing(tiny_pipeline: Path) -> None:
    with edited(source(tiny_pipeline, "models/swan.py"), COMMENT):
        assert planned(tiny_pipeline) == set()


def test_changing_the_swan_model_code_reruns_swan_training_and_says_what_changed(tiny_pipeline: Path) -> None:
    with edited_definition(source(tiny_pipeline, "models/swan.py"), "SWAN"):
        assert planned(tiny_pipeline) == {"swan_train"} | SWAN_DOWNSTREAM
        changes = rsrepro(tiny_pipeline, "code-changes")
    assert changes.splitlines()[1:] == ["  changed  rsrepro/models/swan.py:SWAN"], changes
    assert changes.startswith("swan_train: code ")


def test_the_shared_augmentation_reruns_every_paper_that_calls_it(tiny_pipeline: Path) -> None:
    with edited_definition(source(tiny_pipeline, "training/augment.py"), "crop"):
        jobs = planned(tiny_pipeline)
    assert {"lsenet_train", "swan_train", "dsva_train", "image_text_train"} <= jobs
    assert not jobs & {"prepare_synthetic", "split_classification", "split_retrieval", "swan_vocab"}


def test_the_split_rules_rerun_with_everything_downstream_of_them(tiny_pipeline: Path) -> None:
    with edited_definition(source(tiny_pipeline, "data/splits.py"), "_stratified"):
        jobs = planned(tiny_pipeline)
    assert {"split_classification", "split_retrieval", "split_zero_shot"} <= jobs
    assert {"lsenet_train", "swan_train", "dsva_train", "index_report"} <= jobs
    assert "prepare_synthetic" not in jobs


def test_a_classification_metric_reruns_the_evaluations_and_no_training(tiny_pipeline: Path) -> None:
    with edited_definition(source(tiny_pipeline, "metrics/classification.py"), "per_class_accuracy"):
        jobs = planned(tiny_pipeline)
    assert {"lsenet_evaluate", "dsva_summarize", "lsenet_report", "dsva_report", "index_report"} <= jobs
    assert not {job for job in jobs if job.endswith("_train")}


def test_what_only_the_evaluations_call_in_the_run_contract_retrains_nothing(tiny_pipeline: Path) -> None:
    # training/run.py is every trainer's and every evaluation's; reading a history is the evaluations'
    with edited_definition(source(tiny_pipeline, "training/run.py"), "read_history"):
        jobs = planned(tiny_pipeline)
    assert {"lsenet_evaluate", "swan_evaluate", "dsva_summarize", "plot_curves"} <= jobs
    assert not {job for job in jobs if job.endswith("_train")}


def test_swan_aggregation_reruns_the_aggregate_and_the_reports_not_training(tiny_pipeline: Path) -> None:
    with edited_definition(source(tiny_pipeline, "swan/aggregate.py"), "aggregate_runs"):
        # no model; nor the paired table, which reads the runs' per-image outputs, never the aggregate
        assert planned(tiny_pipeline) == SWAN_DOWNSTREAM - {"swan_evaluate", "plot_curves", "paired_table"}


def test_messages_progress_and_functions_no_job_calls_rerun_nothing(tiny_pipeline: Path) -> None:
    edits = [
        ("cli.py", "--params must be a JSON object, got", "--params takes a JSON object, not"),
        ("training/run.py", "is not a run history of this version", "is no run history"),
        ("lsenet/train.py", '"%s %s ratio %s seed %s: trained"', '"trained: %s %s (ratio %s, seed %s)"'),
        ("data/synthetic/prepare.py", 'desc="synthetic"', 'desc="drawing synthetic scenes"'),
    ]
    with contextlib.ExitStack() as stack:
        for module, old, new in edits:
            stack.enter_context(edited(source(tiny_pipeline, module), old=old, new=new))
        stack.enter_context(
            edited(source(tiny_pipeline, "io.py"), "\n\ndef unused(path):\n    return path\n")
        )
        assert planned(tiny_pipeline) == set()
