"""GPU slots and the launch command of training jobs (no GPU needed: slots are lock files)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rsrepro.errors import RsreproError
from rsrepro.training.launch import (
    claim_gpus,
    job_environment,
    torchrun_command,
    visible_gpus,
)


def test_several_gpus_run_under_torchrun() -> None:
    command = torchrun_command(4, ["x", "--y"])
    assert command[1:] == ["--standalone", "--nproc_per_node=4", "-m", "rsrepro", "x", "--y"]


def test_visible_gpus_follow_cuda_visible_devices_then_the_driver(tmp_path: Path) -> None:
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "2, 5"}, tmp_path) == ["2", "5"]
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": ""}, tmp_path) == []
    for name in ("0000:01:00.0", "0000:02:00.0"):
        (tmp_path / name).mkdir()
    assert visible_gpus({}, tmp_path) == ["0", "1"]
    assert visible_gpus({}, tmp_path / "absent") == []


def test_a_claimed_gpu_is_not_given_to_another_job(tmp_path: Path) -> None:
    assert claim_gpus(1, ["0", "1"], tmp_path) == ["0"]
    # Another process sees GPU 0 taken (flock is per open file, and this process holds it).
    other = subprocess.run(
        [
            sys.executable,
            "-c",
            "from rsrepro.training.launch import claim_gpus; from pathlib import Path;"
            f"print(claim_gpus(1, ['0', '1'], Path({str(tmp_path)!r})))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert other.stdout.strip() == "['1']"


def test_job_environment_hides_gpus_from_cpu_jobs_and_keeps_slurms_choice(tmp_path: Path) -> None:
    assert job_environment(0, {"CUDA_VISIBLE_DEVICES": "0"})["CUDA_VISIBLE_DEVICES"] == ""
    slurm = {"SLURM_JOB_ID": "7", "CUDA_VISIBLE_DEVICES": "3"}
    assert job_environment(1, slurm)["CUDA_VISIBLE_DEVICES"] == "3"
    env = {"CUDA_VISIBLE_DEVICES": "4,6", "RSREPRO_GPU_SLOTS": str(tmp_path)}
    assert job_environment(2, env)["CUDA_VISIBLE_DEVICES"] == "4,6"
    with pytest.raises(RsreproError, match="only 2 are visible"):
        job_environment(3, env)


def test_launch_runs_the_command_on_the_cpu() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rsrepro", "launch", "--gpus", "0", "--", "--help"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "usage: rsrepro" in result.stdout
    assert "CUDA_VISIBLE_DEVICES=''" in result.stderr
