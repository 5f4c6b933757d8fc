"""The paper-preset rehearsal (rsrepro.rehearsal) at its reduced scale: the whole paper DAG, every paper
architecture and file format, on stand-ins in the datasets' published layouts and random-init weights in
the real formats; and the projection of the full run's cost from what it measured."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch
import yaml

from rsrepro.errors import RsreproError
from rsrepro.rehearsal import projection
from rsrepro.rehearsal.report import print_report, stage_costs
from rsrepro.rehearsal.run import REPO, rehearse
from rsrepro.rehearsal.weights import write_clip
from rsrepro.rehearsal.workloads import paper_preset
from rsrepro.training.run import read_history
from tests.workflow_helpers import planned_jobs

TRAINING = ("lsenet_train", "swan_train", "dsva_train", "dsva_collect_attributes")


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """The reduced rehearsal in a working directory given relative to the current one, as `make
    rehearsal` gives results/rehearsal."""
    parent = tmp_path_factory.mktemp("rehearsal")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(parent)
        seconds = rehearse(Path("work"), "reduced", cores="2")
    return parent / "work", seconds


@pytest.mark.slow
def test_the_paper_dag_runs_end_to_end_on_the_stand_ins(rehearsal: tuple[Path, float]) -> None:
    workdir, seconds = rehearsal
    assert seconds > 0  # measured, not bounded: speed is for benchmarks, and CI machines vary
    costs = stage_costs(workdir / "results/benchmarks")
    assert {"fetch_dataset", "prepare_real", "fetch_pretrained", "fetch_clip", *TRAINING} <= costs.keys()
    assert all(costs[stage]["peak_mb"] > 0 for stage in TRAINING)
    for report in ("lsenet", "swan", "dsva", "index"):
        assert (workdir / f"results/reports/{report}.html").stat().st_size > 10_000
    runs = workdir / "results/runs"
    models = {p.relative_to(runs).parts[0] for p in runs.rglob("model.pt")}
    assert models >= {"lsenet", "swan", "dsva"}
    vgg = read_history(next((workdir / "results/runs/lsenet").rglob("history.json")))
    epoch = vgg["epochs"][0]
    assert vgg["run"]["dataset"] == "ucm" and epoch["train_images_per_s"] > 0
    # the first step is no steady-state step
    assert 0 < epoch["steady_samples"] < epoch["train_samples"] and epoch["steady_seconds"] > 0
    overlays = [str(REPO / "config/paper.yaml"), str(REPO / "config/rehearsal.yaml"), "standins.yaml"]
    assert planned_jobs(workdir, "--configfile", *overlays) == {}  # a rerun finds nothing to do


@pytest.mark.slow
def test_the_stand_ins_are_given_relative_to_the_working_directory(rehearsal: tuple[Path, float]) -> None:
    """What the fetch jobs read (they found every file: the DAG ran) is written as a user would, relative
    to the folder Snakemake runs in, so the rehearsal's folder can move."""
    workdir, _ = rehearsal
    data = yaml.safe_load((workdir / "standins.yaml").read_text())["data"]
    given = [data["rssdivcs"]["files"]["folder"], data["pretrained"]["clip_rsicd"]["files"]["snapshot"]]
    given += [path for section in data.values() for path in section.get("files", {}).values()]
    assert all(not Path(p).is_absolute() and (workdir / p).exists() for p in given), given
    # stand-ins of the preset's datasets only, not of extra registry entries (PatternNet)
    assert set(data) - {"pretrained"} == set(paper_preset()["data"]) - {"synthetic", "pretrained"}


@pytest.mark.slow
def test_the_report_projects_every_paper_from_the_measured_rates(
    rehearsal: tuple[Path, float], capsys: pytest.CaptureFixture[str]
) -> None:
    workdir, seconds = rehearsal
    rows, rates = print_report(workdir, seconds, "reduced")
    printed = capsys.readouterr().out
    assert "lsenet_train" in printed and "projected" in printed and "floor" in printed
    assert "prepared image caches: 22.7 GB" in printed
    assert {r.stage.paper for r in rows} == {"lsenet", "swan", "dsva"}
    assert all(r.hours > 0 and r.stage.runs > 0 for r in rows)
    # LSE-Net: 2 variants x 5 seeds x 2 ratios per dataset, + AID's 2 ablation runs
    jobs = {r.stage.setting: r.stage.runs for r in rows if r.stage.paper == "lsenet"}
    assert jobs == {"ucm": 20, "aid": 22, "nwpu_resisc45": 20}
    work = [r for r in rows if r.stage.name != "jobs"]
    assert all(r.flops and r.flops > 0 for r in work)  # every workload's FLOPs were counted
    for paper in ("lsenet", "swan", "dsva"):
        assert rates.startup_s[paper] >= 0 and rates.checkpoint_s[paper] > 0
    # the reduced scale trains DSVA's faithful variant only: the corrected one is priced at its rates
    corrected = next(r for r in rows if r.stage.setting == "rssdivcs corrected" and r.stage.name == "train")
    assert any("at dsva faithful" in note for note in corrected.notes)


def test_the_projection_prices_each_stage_at_its_workload_rate_and_floor() -> None:
    config = paper_preset()
    rates = projection.Rates({"lsenet train": 10.0, "lsenet test": 20.0}, {"lsenet train": 1e9})
    ucm = projection.lsenet_stages(config)[:3]
    train, test, jobs = (projection.price(stage, rates) for stage in ucm)
    runs, epochs = 5 * 2, config["lsenet"]["train"]["epochs"]  # per ratio: split seeds x variants
    samples = runs * epochs * (0.5 + 0.8) * 2100
    assert train.stage.samples == pytest.approx(samples)
    assert train.seconds == pytest.approx(samples / 10.0)
    assert train.floor_hours(1e12) == pytest.approx(samples * 1e9 / 1e12 / 3600)
    assert test.seconds == pytest.approx(runs * (0.5 + 0.2) * 2100 / 20.0)
    assert test.floor_hours(1e12) is None  # its FLOPs were not counted
    assert jobs.stage.checkpoints == 2 * runs * epochs and jobs.seconds == 0.0  # two ratios
    longer = {**config, "lsenet": {**config["lsenet"], "train": {**config["lsenet"]["train"], "epochs": 76}}}
    doubled = projection.price(projection.lsenet_stages(longer)[0], rates)
    assert doubled.seconds == pytest.approx(2 * train.seconds)


def test_checkpoints_by_time_are_counted_from_each_runs_priced_work() -> None:
    stage = projection.Stage("lsenet", "ucm", "jobs", 10, checkpoints=10 * 38, checkpoint_minutes=10)
    assert projection.checkpoints_written(stage, 10 * 25 * 60) == 10 * 3  # at 10 and 20 minutes, and the end
    assert projection.checkpoints_written(stage, 10 * 5 * 60) == 10  # a run under 10 minutes: the end's alone
    assert projection.checkpoints_written(stage, 10 * 1e6) == 380  # never more than one per epoch
    every_epoch = dataclasses.replace(stage, checkpoint_minutes=0.0)
    assert projection.checkpoints_written(every_epoch, 10 * 5 * 60) == 380
    measured = ["lsenet train", "lsenet test", "swan train", "swan encode"]
    measured += ["dsva faithful crop fine-tune", "dsva faithful crop predict"]
    rates = projection.Rates(dict.fromkeys(measured, 1e5), checkpoint_s={"lsenet": 2.0})
    rows = [r for r in projection.project(paper_preset(), rates) if r.stage.setting == "ucm"]
    work = sum(r.seconds for r in rows if r.stage.name != "jobs")
    (jobs,) = (r for r in rows if r.stage.name == "jobs")
    assert jobs.checkpoints == projection.checkpoints_written(jobs.stage, work) < jobs.stage.checkpoints
    assert jobs.seconds == pytest.approx(2.0 * jobs.checkpoints)


def test_the_disk_projection_counts_the_registry_datasets_the_config_declares() -> None:
    """An extra registry entry (PatternNet) is no dataset of the preset: its cache and download count
    where a config declares it, and the preset's projection stops on none it does not declare."""
    config = paper_preset()
    assert "patternnet" not in projection.prepared_bytes(config)
    assert "patternnet" not in projection.published_bytes(config)
    assert projection.published_bytes(config)["rsicd"] == 484_955_574
    declared = {**config, "data": {**config["data"], "patternnet": {"image_size": 128}}}
    assert projection.prepared_bytes(declared)["patternnet"] == 30400 * 128**2 * 3
    assert projection.published_bytes(declared)["patternnet"] == pytest.approx(1.43e9)


def test_a_workload_not_measured_is_priced_at_the_nearest_measured_one() -> None:
    rates = projection.Rates({"dsva corrected crop fine-tune": 4.0, "dsva faithful no-crop fine-tune": 1.0})
    assert rates.pick("dsva corrected no-crop fine-tune") == "dsva corrected crop fine-tune"
    assert rates.pick("dsva faithful crop warm-up") == "dsva faithful no-crop fine-tune"
    with pytest.raises(KeyError, match="lsenet train"):
        rates.pick("lsenet train")


def test_the_clip_rsicd_encoders_read_a_hugging_face_folder(tmp_path: Path) -> None:
    from rsrepro.image_text.model import clip_rsicd_encoders

    encode_image, encode_text = clip_rsicd_encoders(
        str(write_clip(tmp_path / "clip", "narrow")), torch.device("cpu")
    )
    with torch.no_grad():  # transformers 5 returns model outputs; the encoders take the projected embedding
        assert encode_image(torch.zeros(2, 3, 224, 224)).shape == (2, 64)
        assert encode_text(["an aerial photograph of a runway", "sand"]).shape == (2, 64)


def test_a_folder_that_is_no_rehearsal_is_not_emptied(tmp_path: Path) -> None:
    (tmp_path / "thesis.tex").write_text("months of work")
    with pytest.raises(RsreproError, match="no earlier rehearsal"):
        rehearse(tmp_path, "reduced")
    assert (tmp_path / "thesis.tex").exists()
