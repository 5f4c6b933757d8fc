"""SWAN end to end on a tiny synthetic dataset: it learns, it resumes, the workflow lists its jobs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from rsrepro.data.prepared import PreparedDataset
from rsrepro.io import read_json
from rsrepro.swan.aggregate import aggregate_runs
from rsrepro.swan.data import CaptionSet
from rsrepro.swan.evaluate import evaluate_run
from rsrepro.swan.text import Vocabulary
from rsrepro.swan.train import build_model, evaluate_split, image_pipeline, load_trained, train_run
from rsrepro.training.device import seed_everything
from rsrepro.training.run import RunOutputs

torch.set_num_threads(1)
REPO = Path(__file__).resolve().parents[1]
CFG = {
    "model": {"arch": "embedded", "train_backbone": False, "backbone_weights": None, "word_vectors": "none"},
    "train": {
        "epochs": 4, "batch_size": 32, "lr": 2e-3, "lr_decay": 0.7, "lr_decay_every": 20, "margin": 0.2,
        "max_violation": False, "captions_per_image": "all", "resize": 36, "crop": 32, "max_rotation": 90,
        "eval_batch_size": 128, "val_shard_size": 256, "test_shard_size": 128, "device": "cpu",
        "tf32_matmul": False, "checkpoint_minutes": 0,
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
    outputs = RunOutputs.in_folder(tmp_path)
    history = train_run(root / "data", root / "split.json", root / "vocab.json", outputs, CFG, variant)
    assert [h["epoch"] for h in history] == [0, 1, 2, 3]
    assert history[-1]["loss"] < history[0]["loss"]
    assert not outputs.checkpoints.exists()  # a finished run keeps no checkpoint
    metrics = evaluate_run(outputs.test_outputs, outputs.history, tmp_path / "metrics.json")
    assert metrics["mR"] > untrained_mr(root, variant) + 5
    assert metrics["i2t_SR@1"] > 100 / 28  # scenes retrieved better than chance
    saved = read_json(tmp_path / "metrics.json")
    assert saved["n_captions"] == 5 * saved["n_images"]
    assert np.load(outputs.test_outputs)["captions"].shape == (saved["n_captions"], 128)
    summary = aggregate_runs([tmp_path / "metrics.json"] * 2, tmp_path / "agg.json")
    assert summary[variant]["mean"]["mR"] == pytest.approx(metrics["mR"])
    # model.pt holds the selected epoch's weights: they encode the test split to the same figures
    data, vocab = PreparedDataset.load(root / "data"), Vocabulary.load(root / "vocab.json")
    caps = CaptionSet.build(
        data, np.asarray(read_json(root / "split.json")["test"]), vocab, variant == "faithful"
    )
    pipeline = image_pipeline(CFG["train"], torch.device("cpu"), variant)
    model = load_trained(outputs.model, vocab)
    again, _, _ = evaluate_split(model, data, caps, pipeline, 128, CFG["train"]["test_shard_size"], True)
    assert again["mR"] == pytest.approx(metrics["mR"])
    assert read_json(outputs.history)["selected_epoch"] == max(history, key=lambda h: h["val_mR"])["epoch"]


@pytest.mark.slow
def test_interrupted_training_resumes_to_the_same_result(tiny_swan_dataset, tmp_path, monkeypatch):
    import rsrepro.swan.train as swan_train

    root = tiny_swan_dataset
    cfg = {**CFG, "train": {**CFG["train"], "epochs": 2, "captions_per_image": 1}}
    args = (root / "data", root / "split.json", root / "vocab.json")
    straight = train_run(*args, RunOutputs.in_folder(tmp_path / "a"), cfg, "corrected")
    real_pairs, calls = swan_train.train_pairs, []

    def killed_in_second_epoch(*pair_args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt("simulated interruption")
        return real_pairs(*pair_args, **kwargs)

    monkeypatch.setattr(swan_train, "train_pairs", killed_in_second_epoch)
    with pytest.raises(KeyboardInterrupt):
        train_run(*args, RunOutputs.in_folder(tmp_path / "b"), cfg, "corrected")
    assert (tmp_path / "b" / "checkpoints" / "last.pt").is_file()
    monkeypatch.setattr(swan_train, "train_pairs", real_pairs)
    resumed = train_run(*args, RunOutputs.in_folder(tmp_path / "b"), cfg, "corrected")  # picks up last.pt
    drop = ("pairs_per_s", "seconds", "steady_seconds", "train_seconds")  # wall times: not repeatable
    assert [{k: v for k, v in h.items() if k not in drop} for h in resumed] == [
        {k: v for k, v in h.items() if k not in drop} for h in straight
    ]
    a = torch.load(tmp_path / "a" / "model.pt", weights_only=True)["state_dict"]
    b = torch.load(tmp_path / "b" / "model.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    # a rerun with other settings (Snakemake reruns on a params change) starts afresh, not from a checkpoint
    monkeypatch.setattr(swan_train, "train_pairs", killed_in_second_epoch)
    calls.clear()
    with pytest.raises(KeyboardInterrupt):
        train_run(*args, RunOutputs.in_folder(tmp_path / "c"), cfg, "corrected")
    monkeypatch.setattr(swan_train, "train_pairs", real_pairs)
    other = {**cfg, "train": {**cfg["train"], "lr": 1e-4}}
    changed = train_run(*args, RunOutputs.in_folder(tmp_path / "c"), other, "corrected")
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
        ("swan_evaluate", 4),
        ("swan_aggregate", 1),
        ("swan_report", 1),
    ):
        assert any(line.split() == [rule, str(count)] for line in text.splitlines()), (rule, text)
