"""GPU resources of the training rules, and the two profiles (local and SLURM), through dry runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.workflow_helpers import REPO, make_workdir, planned_shell_jobs

TRAINING_RULES = {"lsenet_train", "swan_train", "dsva_train"}
PAPER = str(REPO / "config" / "paper.yaml")


@pytest.mark.slow
def test_training_rules_ask_for_gpu_slots_and_start_through_the_launcher(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")  # two GPUs present
    overlay = tmp_path / "shared_gpus.yaml"
    overlay.write_text(yaml.safe_dump({"gpu": {"slots": 4}, "swan": {"train": {"gpus": 2}}}))
    jobs = planned_shell_jobs(make_workdir(tmp_path), "--configfile", PAPER, str(overlay))
    assert jobs.keys() >= TRAINING_RULES
    for rule in TRAINING_RULES - {"swan_train"}:
        for job in jobs[rule]:
            assert re.search(r"\bgpu=1, gpu_slots=1\b", job["resources"]), (rule, job)  # one slot of 4
            assert "rsrepro launch --gpus 1 -- " in job["shell"], (rule, job)
    for job in jobs["swan_train"]:  # a DDP job takes every slot of its GPUs
        assert re.search(r"\bgpu=2, gpu_slots=8\b", job["resources"]), job
        assert "rsrepro launch --gpus 2 -- " in job["shell"], job
    gpu_rules = {rule for rule, js in jobs.items() if any("gpu=" in j["resources"] for j in js)}
    assert gpu_rules == TRAINING_RULES


@pytest.mark.slow
def test_a_machine_without_gpus_runs_the_paper_rules_on_the_cpu(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # the local GPU limit is the GPUs present: none
    jobs = planned_shell_jobs(make_workdir(tmp_path), "--configfile", PAPER)
    for rule in TRAINING_RULES:
        assert all("gpu=0, gpu_slots=0" in job["resources"] for job in jobs[rule]), rule
        assert all("rsrepro launch --gpus 0 -- " in job["shell"] for job in jobs[rule]), rule


@pytest.mark.slow
def test_slurm_profile_sets_partitions_memory_runtime_and_gpus(tmp_path: Path) -> None:
    profile = str(REPO / "profiles" / "slurm")
    jobs = planned_shell_jobs(make_workdir(tmp_path), "--profile", profile, "--configfile", PAPER)
    for rule in TRAINING_RULES:  # whole GPUs from SLURM, though this login node has none
        for job in jobs[rule]:
            assert re.search(r"slurm_partition=gpu\b.*runtime=\d+, gpu=1\b", job["resources"]), job
            assert "mem_mb=" in job["resources"]
    assert all("slurm_partition=cpu" in job["resources"] for job in jobs["lsenet_aggregate"])


def test_profiles_name_an_executor_and_their_rules_exist() -> None:
    default = yaml.safe_load((REPO / "profiles" / "default" / "config.yaml").read_text())
    slurm = yaml.safe_load((REPO / "profiles" / "slurm" / "config.yaml").read_text())
    assert default["cores"] == "all"
    assert slurm["executor"] == "slurm"
    rules = "".join(p.read_text() for p in (REPO / "workflow" / "rules").glob("*.smk"))
    for rule in slurm["set-resources"]:
        assert f"rule {rule}:" in rules, f"profiles/slurm names a rule that does not exist: {rule}"
    assert slurm["set-resources"].keys() >= TRAINING_RULES
