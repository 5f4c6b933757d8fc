"""The baselines (rsrepro.baselines) in the tiny pipeline: each runs, is far above chance, is scored by its
paper's own metric functions on the outputs it saved, and knows which test images its model saw; the
tables they land in parse as booktabs tabulars."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from rsrepro.data.prepared import PreparedDataset
from rsrepro.dsva.metrics import gzsl_metrics, zsl_accuracy
from rsrepro.io import read_json
from rsrepro.lsenet.evaluate import classification_metrics
from rsrepro.metrics.retrieval import retrieval_metrics
from rsrepro.training.run import read_outputs
from tests.test_baselines import tabular_rows
from tests.workflow_helpers import edit_params, planned_jobs

RUNS = Path("results/runs")
IMAGE_TEXT = Path("results/features/synthetic/image_text/60-10_seed0/training.json")  # the tiny preset's


def probe_runs(workdir: Path) -> list[Path]:
    found = sorted((workdir / RUNS / "lsenet/synthetic/linear_probe").glob("ratio*_seed*/metrics.json"))
    assert found, "the linear probe ran on no split"
    return found


def test_the_linear_probe_is_far_above_chance_and_scored_as_an_lsenet_run(tiny_pipeline: Path) -> None:
    for path in probe_runs(tiny_pipeline):
        metrics, outputs = read_json(path), read_outputs(path.with_name("test_outputs.npz"))
        n_classes = len(metrics["classes"])
        assert metrics["oa"] > 5 / n_classes
        rescored = classification_metrics(outputs["labels"], outputs["logits"].argmax(1), n_classes)
        assert {key: metrics[key] for key in rescored} == rescored
        split = read_json(tiny_pipeline / f"results/splits/synthetic/classification/{path.parent.name}.json")
        assert outputs["index"].tolist() == split["test"] and metrics["n_train"] == len(split["train"])


def test_zero_shot_retrieval_is_far_above_chance_and_scored_as_a_swan_run(tiny_pipeline: Path) -> None:
    folder = tiny_pipeline / RUNS / "swan/synthetic/zero_shot_baseline"
    metrics, outputs = read_json(folder / "metrics.json"), read_outputs(folder / "test_outputs.npz")
    chance_mr = 100 * np.mean([k / metrics["n_images"] for k in (1, 5, 10)])
    assert metrics["mR"] > 2 * chance_mr  # the tiny preset trains the image-text model for one epoch
    rescored = retrieval_metrics(
        outputs["images"], outputs["captions"], outputs["caption_image"], outputs["scenes"], "pessimistic"
    )
    assert {key: metrics[key] for key in rescored} == rescored
    aggregate = read_json(tiny_pipeline / RUNS / "swan/synthetic/metrics.json")
    assert "zero_shot_baseline" in json.dumps(aggregate)  # a row of SWAN's table


def test_zero_shot_classification_is_scored_by_dsva_metrics_on_dsvas_test_sets(tiny_pipeline: Path) -> None:
    # No chance-level assertion: 4 unseen classes, 40 test images and a one-epoch image-text model cannot
    # tell a working baseline from chance (measured 0.18-0.30 for 1-6 epochs); the scoring can be checked.
    folder = next((tiny_pipeline / RUNS / "dsva/synthetic").glob("*/zero_shot_baseline"))
    metrics, outputs = read_json(folder / "metrics.json"), read_outputs(folder / "test_outputs.npz")
    split = read_json(tiny_pipeline / f"results/splits/synthetic/zero_shot/{folder.parent.name}.json")
    seen, unseen = np.asarray(split["seen_classes"]), np.asarray(split["unseen_classes"])
    figures = metrics["protocols"]["zero-shot"]
    rows = np.arange(len(split["test_unseen"]))
    scores, labels = outputs["scores"].astype(np.float64), outputs["labels"]
    assert figures["zsl"] == pytest.approx(zsl_accuracy(scores[rows], labels[rows], unseen), abs=1e-6)
    rescored = gzsl_metrics(scores, labels, seen, unseen, metrics["gamma"], faithful=False)
    assert {key: figures[key] for key in rescored} == pytest.approx(rescored, abs=1e-6)
    # gamma is chosen on seen-class training images only: none of them is a test image
    assert set(metrics["held_out_classes"]) <= set(split["seen_classes"])
    assert outputs["index"].tolist() == split["test_unseen"] + split["test_seen"]


def test_each_baseline_counts_the_test_images_its_model_trained_on(tiny_pipeline: Path) -> None:
    trained = {Path(name).name for name in read_json(tiny_pipeline / IMAGE_TEXT)["train_files"]}
    data = PreparedDataset.load(tiny_pipeline / "results/prepared/synthetic")
    files = data.meta["file"].to_numpy(dtype=str)
    swan = read_json(tiny_pipeline / RUNS / "swan/synthetic/zero_shot_baseline/metrics.json")
    swan_test = read_json(tiny_pipeline / "results/splits/synthetic/retrieval/seed0.json")["test"]
    expected = len({Path(f).name for f in files[swan_test]} & trained)
    assert swan["test_images_seen_in_training"] == expected and swan["contaminated"] == (expected > 0)
    for path in probe_runs(tiny_pipeline):
        probe = read_json(path)
        test = read_outputs(path.with_name("test_outputs.npz"))["index"]
        assert probe["test_images_seen_in_training"] == len({Path(f).name for f in files[test]} & trained)
    dsva = read_json(
        next((tiny_pipeline / RUNS / "dsva/synthetic").glob("*/zero_shot_baseline/metrics.json"))
    )
    assert dsva["test_images_seen_in_training"] == 0  # the model saw seen-class training captions only


@pytest.mark.parametrize("paper", ["lsenet", "swan", "dsva"])
def test_each_papers_table_is_a_booktabs_tabular_matching_its_csv(tiny_pipeline: Path, paper: str) -> None:
    tex = (tiny_pipeline / f"results/tables/{paper}.tex").read_text()
    with open(tiny_pipeline / f"results/tables/{paper}.csv", newline="") as handle:
        table = list(csv.DictReader(handle))
    spec, rows = tabular_rows(tex)
    columns = list(table[0])[2:]  # after group and method
    assert spec == "l" + "r" * len(columns)
    assert all(len(row) == len(spec) for row in rows)
    assert len(rows) == 1 + len(table)  # the header and one row per CSV row
    assert rows[0][1:] == [c.replace("%", r"\%").replace("_", r"\_") for c in columns]
    groups = [row["group"] for row in table]
    assert {"reproduced", "baseline"} <= set(groups)
    assert tex.count(r"\midrule") == 1 + sum(a != b for a, b in itertools.pairwise(groups))
    for token in (r"\toprule", r"\bottomrule", r"\caption{"):
        assert tex.count(token) == 1


@pytest.mark.slow
def test_a_baseline_setting_reruns_the_baseline_and_its_tables_only(tiny_pipeline: Path) -> None:
    original = yaml.safe_load((tiny_pipeline / "params.yaml").read_text())["lsenet"]["baseline"]
    edit_params(tiny_pipeline, lsenet={"baseline": {"weight_decay": 0.5}})
    try:
        jobs = set(planned_jobs(tiny_pipeline)) - {"all"}
    finally:
        edit_params(tiny_pipeline, lsenet={"baseline": original})
    assert "lsenet_linear_probe" in jobs and "paper_table" in jobs
    assert not jobs & {"lsenet_train", "lsenet_baseline_features", "lsenet_evaluate"}


@pytest.mark.slow
def test_an_image_text_setting_reruns_its_model_and_what_uses_it_only(tiny_pipeline: Path) -> None:
    original = yaml.safe_load((tiny_pipeline / "params.yaml").read_text())["image_text"]["lr"]
    edit_params(tiny_pipeline, image_text={"lr": original / 2})
    try:
        jobs = set(planned_jobs(tiny_pipeline)) - {"all"}
    finally:
        edit_params(tiny_pipeline, image_text={"lr": original})
    uses = {"dsva_collect_attributes", "dsva_baseline", "lsenet_baseline_features", "swan_baseline"}
    assert {"image_text_train", *uses, "dsva_train", "index_report"} <= jobs
    assert not jobs & {"lsenet_train", "swan_train", "split_zero_shot", "prepare_synthetic"}
