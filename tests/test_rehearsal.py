"""The paper-preset rehearsal (rsrepro.rehearsal) at its reduced scale: the whole paper DAG, every paper
architecture and file format, on stand-ins in the datasets' published layouts and random-init weights in
the real formats; and the projection of the full run's cost from what it measured."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from rsrepro.errors import RsreproError
from rsrepro.rehearsal import projection
from rsrepro.rehearsal.report import paper_config, print_report, projections, stage_costs
from rsrepro.rehearsal.run import REPO, rehearse
from rsrepro.rehearsal.weights import write_clip
from rsrepro.training.run import read_history
from tests.workflow_helpers import planned_jobs

TRAINING = ("lsenet_train", "swan_train", "dsva_train", "dsva_collect_attributes")


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    workdir = tmp_path_factory.mktemp("rehearsal") / "work"
    return workdir, rehearse(workdir, "reduced", cores="2")


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
    assert vgg["run"]["dataset"] == "ucm" and vgg["epochs"][0]["train_images_per_s"] > 0
    overlays = [str(REPO / "config/paper.yaml"), str(REPO / "config/rehearsal.yaml"), "standins.yaml"]
    assert planned_jobs(workdir, "--configfile", *overlays) == {}  # a rerun finds nothing to do


@pytest.mark.slow
def test_the_report_projects_every_paper_from_the_measured_rates(
    rehearsal: tuple[Path, float], capsys: pytest.CaptureFixture[str]
) -> None:
    workdir, seconds = rehearsal
    rows = projections(workdir, stage_costs(workdir / "results/benchmarks"))
    assert {r.paper for r in rows} == {"lsenet", "swan", "dsva"}
    assert all(r.hours > 0 and r.runs > 0 for r in rows)
    config = paper_config()  # LSE-Net: 2 variants x 5 seeds x 2 ratios per dataset, + AID's 2 ablation ones
    assert {r.setting: r.runs for r in rows if r.paper == "lsenet"} == {
        "ucm": 20,
        "aid": 22,
        "nwpu_resisc45": 20,
    }
    assert len(config["lsenet"]["split_seeds"]) == 5
    print_report(workdir, seconds, "reduced")
    printed = capsys.readouterr().out
    assert (
        "lsenet_train" in printed and "projected" in printed and "prepared image caches: 22.7 GB" in printed
    )


def test_the_projection_scales_with_the_schedule() -> None:
    config = paper_config()
    histories = [
        {"epochs": [{"train_images_per_s": 10.0, "seconds": 1.0}], "run": {"eval_images_per_s": 20.0}}
    ]
    base = projection.lsenet(config, histories, startup_s=0.0)
    longer = {**config, "lsenet": {**config["lsenet"], "train": {**config["lsenet"]["train"], "epochs": 76}}}
    doubled = projection.lsenet(longer, histories, startup_s=0.0)
    runs = 5 * 2  # per ratio: split seeds x variants (full, backbone_gap)
    epochs = config["lsenet"]["train"]["epochs"]
    ucm = runs * (epochs * (0.5 + 0.8) * 2100 / 10 + (0.5 + 0.2) * 2100 / 20)
    assert base[0].hours == pytest.approx(ucm / 3600)
    assert all(d.hours > b.hours for d, b in zip(doubled, base, strict=True))


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
