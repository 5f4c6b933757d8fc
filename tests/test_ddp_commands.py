"""The training commands under ``torchrun`` with two CPU processes (gloo), as ``rsrepro launch --gpus 2``
starts them on two GPUs: they finish, the main rank alone writes, LSE-Net (no dropout) trains the same
model as one process, and a killed run resumes to the uninterrupted result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rsrepro.io import read_json
from rsrepro.training.run import RunOutputs
from tests.test_lsenet_training import tiny_config
from tests.test_swan_train import CFG as SWAN_CFG

REPO = Path(__file__).resolve().parents[1]


def _command(*args: str | Path, ranks: int) -> tuple[list[str], dict[str, str]]:
    """``rsrepro <args>`` in one process, or in ``ranks`` processes started by torchrun, on the CPU."""
    launcher = (
        ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={ranks}"] if ranks > 1 else []
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    return [sys.executable, *launcher, "-m", "rsrepro", *map(str, args)], env


def _rsrepro(*args: str | Path, ranks: int) -> str:
    command, env = _command(*args, ranks=ranks)
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def _lsenet_args(dataset: tuple[Path, Path], out: Path, **train: object) -> list[str | Path]:
    prepared, split = dataset
    files = RunOutputs.in_folder(out)
    return [
        "lsenet-train", "--prepared", prepared, "--split", split, "--model", files.model,
        "--history", files.history, "--test-outputs", files.test_outputs, "--checkpoints", files.checkpoints,
        "--variant", "full", "--params", json.dumps(tiny_config(**train)),
    ]  # fmt: skip


def _lsenet_metrics(out: Path) -> dict:
    _rsrepro(
        "lsenet-evaluate", "--test-outputs", out / "test_outputs.npz", "--history", out / "history.json",
        "--out", out / "metrics.json", ranks=1,
    )  # fmt: skip
    return read_json(out / "metrics.json")


@pytest.mark.slow
def test_lsenet_on_two_ranks_trains_the_single_process_model(tiny_lsenet_dataset, tmp_path: Path) -> None:
    runs = {}
    for ranks in (1, 2):
        out = tmp_path / f"ranks{ranks}"
        log = _rsrepro(*_lsenet_args(tiny_lsenet_dataset, out, epochs=3, lr_milestones=[2]), ranks=ranks)
        assert log.count("epoch 2:") == 1  # one rank logs the run
        assert sorted(p.name for p in out.iterdir()) == ["history.json", "model.pt", "test_outputs.npz"]
        runs[ranks] = _lsenet_metrics(out), read_json(out / "history.json")["epochs"]
    (one, one_history), (two, two_history) = runs[1], runs[2]
    assert abs(two["oa"] - one["oa"]) <= 1 / one["n_test"]  # float noise may flip one test image
    for a, b in zip(one_history, two_history, strict=True):
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=1e-3)
    assert one_history[-1]["train_loss"] < one_history[0]["train_loss"]


def _ranks_of(out: Path) -> list[str]:
    """Processes still running a training command that writes into ``out``."""
    found = subprocess.run(["pgrep", "-f", f"--model {out}/model.pt "], capture_output=True, text=True)
    return found.stdout.split()


@pytest.mark.slow
def test_lsenet_on_two_ranks_dies_with_torchrun_and_resumes(tiny_lsenet_dataset, tmp_path: Path) -> None:
    train = {"epochs": 6, "lr_milestones": [4]}
    _rsrepro(*_lsenet_args(tiny_lsenet_dataset, tmp_path / "straight", **train), ranks=2)
    killed = tmp_path / "killed"
    command, env = _command(*_lsenet_args(tiny_lsenet_dataset, killed, **train), ranks=2)
    process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    last = killed / "checkpoints" / "last.pt"
    deadline = time.monotonic() + 120
    while not last.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    process.kill()  # torchrun alone, as `kill -9` or the OOM killer would; the ranks must follow it
    process.wait()
    deadline = time.monotonic() + 10
    while _ranks_of(killed) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _ranks_of(killed), "ranks outlived torchrun"
    assert last.exists() and not (killed / "model.pt").exists(), "the run was not stopped mid-training"
    log = _rsrepro(*_lsenet_args(tiny_lsenet_dataset, killed, **train), ranks=2)
    assert "resumed from" in log
    straight = tmp_path / "straight"

    def losses(run: Path) -> list[tuple[float, float]]:
        return [(h["train_loss"], h["train_acc"]) for h in read_json(run / "history.json")["epochs"]]

    assert losses(killed) == losses(straight)  # the same arithmetic as the uninterrupted run
    assert _lsenet_metrics(killed)["confusion"] == _lsenet_metrics(straight)["confusion"]


@pytest.mark.slow
def test_swan_on_two_ranks_trains_and_evaluates_once(tiny_swan_dataset: Path, tmp_path: Path) -> None:
    root = tiny_swan_dataset
    params = json.dumps({**SWAN_CFG, "train": {**SWAN_CFG["train"], "epochs": 2}})
    out = RunOutputs.in_folder(tmp_path / "run")
    log = _rsrepro(
        "swan-train", "--prepared", root / "data", "--split", root / "split.json",
        "--vocab", root / "vocab.json", "--model", out.model, "--history", out.history,
        "--test-outputs", out.test_outputs, "--checkpoints", out.checkpoints, "--variant", "corrected",
        "--threads", "1", "--params", params, ranks=2,
    )  # fmt: skip
    assert log.count("epoch 1:") == 1
    history = read_json(out.history)["epochs"]
    assert [h["epoch"] for h in history] == [0, 1] and history[1]["loss"] < history[0]["loss"]
    _rsrepro(
        "swan-evaluate", "--test-outputs", out.test_outputs, "--history", out.history,
        "--out", tmp_path / "metrics.json", ranks=1,
    )  # fmt: skip
    metrics = read_json(tmp_path / "metrics.json")
    assert metrics["n_captions"] == 5 * metrics["n_images"] and 0 < metrics["mR"] <= 100
