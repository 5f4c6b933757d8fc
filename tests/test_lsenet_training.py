"""LSE-Net training end to end on a tiny dataset: learning, resume, selection, aggregation, workflow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from rsrepro.cli import main as cli_main
from rsrepro.data.prepared import PreparedDataset
from rsrepro.io import read_json, write_json
from rsrepro.lsenet import analysis, train
from rsrepro.lsenet.targets import runs
from rsrepro.training.run import RunOutputs
from tests.lsenet_data import train_and_evaluate
from tests.workflow_helpers import make_workdir, planned_jobs

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[1]


def tiny_config(**train_overrides) -> dict:
    cfg = yaml.safe_load((ROOT / "params.yaml").read_text())["lsenet"]
    train_cfg = {
        **cfg["train"],
        "epochs": 6,
        "batch_size": 8,
        "crop_size": 28,
        "lr_milestones": [4],
        "device": "cpu",
        **train_overrides,
    }
    return {"model": {**cfg["model"], "width": 16}, "train": train_cfg}


@pytest.mark.slow
def test_tiny_run_beats_chance_and_writes_its_outputs(tiny_lsenet_dataset, tmp_path):
    prepared, split = tiny_lsenet_dataset
    metrics = train_and_evaluate(prepared, split, tmp_path, tiny_config(), "full")
    assert metrics["oa"] >= 0.85  # 4 classes: chance is 0.25
    assert np.sum(metrics["confusion"]) == metrics["n_test"] == 80
    assert metrics["selection"] == "last" and metrics["selected_epoch"] == 5
    history = read_json(tmp_path / "history.json")
    assert len(history["epochs"]) == 6 and history["paper"] == "lsenet" and history["run"]["n_test"] == 80
    assert not (tmp_path / "checkpoints").exists()  # a finished run leaves no stale checkpoint
    model = train.load_trained(tmp_path / "model.pt")
    rates = analysis.peak_hit_rate(model, PreparedDataset.load(prepared), read_json(split)["test"])
    assert rates["n_images"] == 80
    # The coloured square is the only class evidence: the refined peak should find it far above chance.
    assert rates["refined_peak_hit"] > rates["chance"] + 0.3


@pytest.mark.slow
def test_resume_after_interruption_gives_the_same_result(tiny_lsenet_dataset, tmp_path, monkeypatch):
    prepared, split = tiny_lsenet_dataset
    cfg = tiny_config(epochs=3)
    straight = train_and_evaluate(prepared, split, tmp_path / "straight", cfg, "full")

    real_epoch = train.train_one_epoch
    calls = {"n": 0}

    def crash_in_second_epoch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("simulated interruption")
        return real_epoch(*args, **kwargs)

    monkeypatch.setattr(train, "train_one_epoch", crash_in_second_epoch)
    with pytest.raises(KeyboardInterrupt):
        train.train_run(prepared, split, RunOutputs.in_folder(tmp_path / "resumed"), cfg, "full")
    assert (tmp_path / "resumed" / "checkpoints" / "last.pt").is_file()
    monkeypatch.setattr(train, "train_one_epoch", real_epoch)
    resumed = train_and_evaluate(prepared, split, tmp_path / "resumed", cfg, "full")
    assert resumed["confusion"] == straight["confusion"]
    a = torch.load(tmp_path / "straight" / "model.pt", weights_only=True)["state_dict"]
    b = torch.load(tmp_path / "resumed" / "model.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.slow
def test_best_on_test_selection_is_recorded(tiny_lsenet_dataset, tmp_path):
    prepared, split = tiny_lsenet_dataset
    metrics = train_and_evaluate(
        prepared, split, tmp_path, tiny_config(epochs=3, selection="best_on_test"), "full"
    )
    history = read_json(tmp_path / "history.json")["epochs"]
    best = max(range(3), key=lambda e: (history[e]["test_oa"], -e))
    assert metrics["selection"] == "best_on_test" and metrics["selected_epoch"] == best
    assert metrics["oa"] == pytest.approx(history[best]["test_oa"])


def test_cli_aggregates_runs(tmp_path):
    base = {
        "dataset": "tiny",
        "variant": "full",
        "train_ratio": 0.5,
        "selection": "last",
        "classes": ["a", "b"],
    }
    files = []
    for seed, oa in ((0, 0.5), (1, 1.0)):
        files.append(tmp_path / f"m{seed}.json")
        write_json(files[-1], {**base, "seed": seed, "oa": oa, "confusion": [[1, 0], [1, 0]]})
    assert (
        cli_main(["lsenet-aggregate", "--metrics", *map(str, files), "--out", str(tmp_path / "s.json")]) == 0
    )
    (row,) = read_json(tmp_path / "s.json")["rows"]
    assert row["oa_mean"] == pytest.approx(0.75) and row["n_runs"] == 2


def test_run_list_covers_table_and_ablation():
    config = yaml.safe_load((ROOT / "params.yaml").read_text())
    found = runs(config, "synthetic")
    cfg = config["lsenet"]
    n_main = len(cfg["variants"]) * len(cfg["train_ratios"]["synthetic"]) * len(cfg["split_seeds"])
    n_ablation = len(cfg["ablation"]["variants"]) * len(cfg["ablation"]["split_seeds"])
    assert len(found) == len(set(found)) == n_main + n_ablation


@pytest.mark.slow
def test_snakemake_dry_run_lists_the_lsenet_jobs(tmp_path):
    jobs = planned_jobs(make_workdir(tmp_path), "all")
    config = yaml.safe_load((ROOT / "params.yaml").read_text())
    assert jobs["lsenet_train"] == len(runs(config, "synthetic"))
    assert jobs["lsenet_aggregate"] == jobs["lsenet_report"] == 1


def test_paper_preset_section_matches_the_schema():
    import jsonschema

    from rsrepro.config import load_schema

    schema = load_schema(ROOT / "workflow/schemas/params.schema.yaml")
    section = {**schema["properties"]["lsenet"], "$defs": schema["$defs"]}
    paper = yaml.safe_load((ROOT / "config/paper.yaml").read_text())["lsenet"]
    jsonschema.validate(paper, section)
    assert paper["model"]["backbone"] == "vgg16" and paper["split_seeds"] == [0, 1, 2, 3, 4]
