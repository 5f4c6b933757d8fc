"""GPU slots and the launch command of training jobs (no GPU needed: slots are lock files)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from rsrepro.errors import RsreproError
from rsrepro.training.launch import (
    FOLDER_MODE,
    claim_gpus,
    job_environment,
    job_resources,
    local_limits,
    shared_folder,
    torchrun_command,
    try_claim,
    visible_gpus,
)

SRC = Path(__file__).resolve().parents[1] / "src"
SECOND_USER = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


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


class Claims:
    """Shares claimed in this process (each claim's locks are its own open files), let go at the end."""

    def __init__(self, directory: Path, gpus: list[str], slots: int) -> None:
        self.directory, self.gpus, self.slots, self.fds = shared_folder(directory), gpus, slots, []

    def take(self, n: int) -> list[str] | None:
        claimed = try_claim(n, self.gpus, self.directory, self.slots)
        if claimed is None:
            return None
        self.fds += [fd for _, fd in claimed]
        return sorted({gpu for gpu, _ in claimed})

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)


@pytest.fixture
def claims(tmp_path: Path) -> Iterator[Claims]:
    made = Claims(tmp_path, ["0", "1", "2"], slots=2)
    yield made
    made.close()


def test_one_gpu_jobs_take_a_slot_on_the_least_loaded_gpu_until_all_are_full(claims: Claims) -> None:
    assert [claims.take(1) for _ in range(6)] == [["0"], ["1"], ["2"], ["0"], ["1"], ["2"]]
    assert claims.take(1) is None  # 3 GPUs x 2 slots


def test_a_ddp_job_takes_whole_gpus_that_no_job_uses(claims: Claims) -> None:
    assert claims.take(1) == ["0"]
    assert claims.take(2) == ["1", "2"]  # not GPU 0: a job holds one of its slots
    assert claims.take(1) == ["0"]  # GPUs 1 and 2 are whole: only GPU 0's second slot is left
    assert claims.take(1) is None and claims.take(2) is None


def test_a_gpu_in_use_is_not_given_whole(tmp_path: Path) -> None:
    claims = Claims(tmp_path, ["0", "1"], slots=4)
    try:
        assert claims.take(1) == ["0"]
        assert claims.take(2) is None  # every slot of GPU 0 but one is free: still not whole
    finally:
        claims.close()


def test_jobs_count_slots_and_a_machine_without_gpus_lowers_them_to_zero() -> None:
    assert job_resources(1, 4) == {"gpu": 1, "gpu_slots": 1}
    assert job_resources(2, 4) == {"gpu": 2, "gpu_slots": 8}  # whole GPUs
    assert local_limits(2, 4) == {"gpu": 8, "gpu_slots": 8}
    assert local_limits(0, 4) == {"gpu": 0, "gpu_slots": 0}  # Snakemake lowers requests to the limit


def test_locks_are_usable_by_everyone_whatever_the_umask(tmp_path: Path) -> None:
    folder = tmp_path / "slots"
    old = os.umask(0o077)
    try:
        claims = Claims(folder, ["0"], slots=1)
        assert claims.take(1) == ["0"]
        claims.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.stat().st_mode) == FOLDER_MODE
    locks = sorted(p.name for p in folder.iterdir())
    assert locks == ["claim.lock", "gpu0.lock", "gpu0.slot0.lock"]  # no draft left behind
    assert all(stat.S_IMODE((folder / name).stat().st_mode) == 0o644 for name in locks)


def _as_second_user(folder: Path, gpus: list[str], slots: int = 1) -> subprocess.CompletedProcess[str]:
    """``claim_gpus`` of one GPU among ``gpus`` in ``folder``, run by user nobody."""
    code = (
        "from pathlib import Path; from rsrepro.training.launch import claim_gpus; "
        f"print(claim_gpus(1, {gpus!r}, Path({str(folder)!r}), slots={slots}, poll_s=0.01))"
    )
    return subprocess.run(
        [*SECOND_USER, sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("setpriv"), reason="acting as a second user needs root and setpriv"
)
def test_a_second_user_claims_a_slot_beside_the_first_users_job() -> None:
    with tempfile.TemporaryDirectory(dir="/tmp") as shared:  # pytest's tmp_path is private to root
        os.chmod(shared, 0o755)
        folder = Path(shared) / "rsrepro-gpu-slots"
        old = os.umask(0o077)  # the first user's umask: private files, private folders
        try:
            first = Claims(folder, ["0", "1"], slots=2)
            assert first.take(1) == ["0"]
        finally:
            os.umask(old)
        try:
            second = _as_second_user(folder, ["0", "1"], slots=2)
            assert second.returncode == 0, second.stderr
            assert second.stdout.strip() == "['1']"  # the least-loaded GPU, its lock files made by nobody
        finally:
            first.close()
        stale = Path(shared) / "made-before-locks-were-shared"
        stale.mkdir(mode=0o755)
        refused = _as_second_user(stale, ["0"])
        assert refused.returncode == 1 and "chmod 1777" in refused.stderr
