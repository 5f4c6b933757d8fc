"""SWAN end to end on a tiny synthetic dataset: it learns, it resumes, the workflow lists its jobs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from rsrepro.cli import main as cli_main
from rsrepro.data.prepared import PreparedDataset
from rsrepro.io import read_json
from rsrepro.swan.aggregate import aggregate_runs
from rsrepro.swan.data import CaptionSet
from rsrepro.swan.text import Vocabulary
from rsrepro.swan.train import build_model, evaluate_run, evaluate_split, image_pipeline, train_run
from rsrepro.training.device import seed_everything

torch.set_num_threads(1)
REPO = Path(__file__).resolve().parents[1]
CFG = {
    "model": {"arch": "embedded", "train_backbone": False, "backbone_weights": None, "word_vectors": "none"},
    "train": {
        "epochs": 4, "batch_size": 32, "lr": 2e-3, "lr_decay": 0.7, "lr_decay_every": 20, "margin": 0.2,
        "max_violation": False, "captions_per_image": "all", "resize": 36, "crop": 32, "max_rotation": 90,
        "eval_batch_size": 128, "val_shard_size": 256, "test_shard_size": 128, "device": "cpu", "amp": False,
    },
}  # fmt: skip


def untrained_mr(root: Path, variant: str) -> float:
    data = PreparedDataset.load(root / "data")
    vocab = Vocabulary.load(root / "vocab.json")
    seed_everything(0)
    model = build_model(CFG["model"], vocab, variant)
    caps = CaptionSet.build(
        data, np.asarray(read_json(root / "split.json")["test"]), vocab, variant == "faithful"
    )
    pipeline = image_pipeline(CFG["train"], torch.device("cpu"), variant)
    metrics, _, _ = evaluate_split(model, data, caps, pipeline, 128, CFG["train"]["test_shard_size"], False)
    return metrics["mR"]


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["corrected", "faithful"])
def test_training_improves_test_mr(tiny_swan_dataset, tmp_path, variant):
    root = tiny_swan_dataset
    history = train_run(root / "data", root / "split.json", root / "vocab.json", tmp_path, CFG, variant)
    assert [h["epoch"] for h in history] == [0, 1, 2, 3]
    assert history[-1]["loss"] < history[0]["loss"]
    metrics = evaluate_run(
        root / "data", root / "split.json", root / "vocab.json", tmp_path / "model.pt", tmp_path, CFG, variant
    )
    assert metrics["mR"] > untrained_mr(root, variant) + 5
    assert metrics["i2t_SR@1"] > 100 / 28  # scenes retrieved better than chance
    saved = read_json(tmp_path / "metrics.json")
    assert saved["n_captions"] == 5 * saved["n_images"]
    assert np.load(tmp_path / "embeddings.npz")["captions"].shape == (saved["n_captions"], 128)
    summary = aggregate_runs([tmp_path / "metrics.json"] * 2, tmp_path / "agg.json")
    assert summary[variant]["mean"]["mR"] == pytest.approx(metrics["mR"])
    # the CLI re-evaluates a checkpoint to the same figures
    (tmp_path / "again").mkdir()
    args = ["--prepared", root / "data", "--split", root / "split.json", "--vocab", root / "vocab.json"]
    args += ["--weights", tmp_path / "model.pt", "--out-dir", tmp_path / "again", "--variant", variant]
    assert cli_main(["swan-evaluate", *map(str, args), "--threads", "1", "--params", json.dumps(CFG)]) == 0
    assert read_json(tmp_path / "again" / "metrics.json")["mR"] == pytest.approx(metrics["mR"])


@pytest.mark.slow
def test_interrupted_training_resumes_to_the_same_result(tiny_swan_dataset, tmp_path):
    root = tiny_swan_dataset
    cfg = {**CFG, "train": {**CFG["train"], "epochs": 2, "captions_per_image": 1}}
    args = (root / "data", root / "split.json", root / "vocab.json")
    straight = train_run(*args, tmp_path / "a", cfg, "corrected")
    train_run(*args, tmp_path / "b", {**cfg, "train": {**cfg["train"], "epochs": 1}}, "corrected")
    resumed = train_run(*args, tmp_path / "b", cfg, "corrected")  # picks up last.pt after epoch 0
    drop = ("pairs_per_s",)
    assert [{k: v for k, v in h.items() if k not in drop} for h in resumed] == [
        {k: v for k, v in h.items() if k not in drop} for h in straight
    ]
    a = torch.load(tmp_path / "a" / "model.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "b" / "model.pt", weights_only=True)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    # a rerun with other settings (Snakemake reruns on a params change) starts afresh, not from last.pt
    changed = train_run(*args, tmp_path / "b", {**cfg, "train": {**cfg["train"], "lr": 1e-4}}, "corrected")
    assert [h["epoch"] for h in changed] == [0, 1] and changed[0]["loss"] != straight[0]["loss"]


def test_snakemake_dry_run_lists_swan_jobs():
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    snakemake = Path(sys.executable).parent / "snakemake"
    out = subprocess.run(
        [str(snakemake), "-n", "--forceall", "--quiet", "rules", "--cores", "1"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    text = out.stdout + out.stderr
    for rule, count in (
        ("swan_vocab", 1),
        ("swan_train", 4),
        ("swan_aggregate", 1),
        ("swan_report", 1),
    ):
        assert any(line.split() == [rule, str(count)] for line in text.splitlines()), (rule, text)
