"""The training commands under ``torchrun`` with two CPU processes (gloo), as ``rsrepro launch --gpus 2``
starts them on two GPUs: they finish, the main rank alone writes, and LSE-Net (no dropout) trains the
same model as one process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rsrepro.data.prepared import PreparedDataset
from rsrepro.data.splits import classification_split, retrieval_split
from rsrepro.data.synthetic import prepare_synthetic
from rsrepro.io import read_json, write_json
from rsrepro.swan.text import build_vocabulary, vocabulary_captions
from tests.lsenet_data import write_tiny_dataset
from tests.test_lsenet_training import tiny_config
from tests.test_swan_train import CFG as SWAN_CFG

REPO = Path(__file__).resolve().parents[1]


def _rsrepro(*args: str | Path, ranks: int) -> str:
    """``rsrepro <args>`` in one process, or in ``ranks`` processes started by torchrun."""
    launcher = (
        ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={ranks}"] if ranks > 1 else []
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(
        [sys.executable, *launcher, "-m", "rsrepro", *map(str, args)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


@pytest.mark.slow
def test_lsenet_on_two_ranks_trains_the_single_process_model(tmp_path: Path) -> None:
    prepared = write_tiny_dataset(tmp_path / "tiny", per_class=40)
    split = tmp_path / "split.json"
    write_json(
        split, {"dataset": "tiny", **classification_split(PreparedDataset.load(prepared).class_idx, 0.5, 0)}
    )
    params = json.dumps(tiny_config(epochs=3, lr_milestones=[2]))
    runs = {}
    for ranks in (1, 2):
        out = tmp_path / f"ranks{ranks}"
        log = _rsrepro(
            "lsenet-train", "--prepared", prepared, "--split", split, "--out-dir", out, "--variant", "full",
            "--params", params, ranks=ranks,
        )  # fmt: skip
        assert log.count("epoch 2:") == 1  # one rank logs the run
        assert sorted(p.name for p in out.iterdir()) == ["history.json", "metrics.json", "model.pt"]
        runs[ranks] = read_json(out / "metrics.json"), read_json(out / "history.json")
    (one, one_history), (two, two_history) = runs[1], runs[2]
    assert abs(two["oa"] - one["oa"]) <= 1 / one["n_test"]  # float noise may flip one test image
    for a, b in zip(one_history, two_history, strict=True):
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=1e-3)
    assert one_history[-1]["train_loss"] < one_history[0]["train_loss"]


@pytest.mark.slow
def test_swan_on_two_ranks_trains_and_evaluates_once(tmp_path: Path) -> None:
    prepare_synthetic(tmp_path / "data", seed=0, image_size=32, images_per_class=10, test_fraction=0.2)
    data = PreparedDataset.load(tmp_path / "data")
    write_json(tmp_path / "split.json", retrieval_split(data.meta["official_split"], 0.2, seed=0))
    captions = vocabulary_captions(data.captions, data.meta["official_split"], "train")
    build_vocabulary(captions, min_count=2).save(tmp_path / "vocab.json")
    params = json.dumps({**SWAN_CFG, "train": {**SWAN_CFG["train"], "epochs": 2}})
    out = tmp_path / "run"
    log = _rsrepro(
        "swan-train", "--prepared", tmp_path / "data", "--split", tmp_path / "split.json",
        "--vocab", tmp_path / "vocab.json", "--out-dir", out, "--variant", "corrected", "--threads", "1",
        "--params", params, ranks=2,
    )  # fmt: skip
    assert log.count("epoch 1:") == 1
    history = read_json(out / "history.json")["history"]
    assert [h["epoch"] for h in history] == [0, 1] and history[1]["loss"] < history[0]["loss"]
    metrics = read_json(out / "metrics.json")
    assert metrics["n_captions"] == 5 * metrics["n_images"] and 0 < metrics["mR"] <= 100
