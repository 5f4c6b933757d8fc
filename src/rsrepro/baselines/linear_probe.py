"""LSE-Net's second baseline: a linear probe on the image-text model's frozen image features.

The features of every image are computed once per dataset (``image_features``); each of LSE-Net's
splits (ratio x seed) then fits a multinomial logistic regression on its training images' standardised
features (L-BFGS, L2 penalty ``weight_decay``) and classifies its test images, scored by LSE-Net's metric
functions. (LSE-Net's first baseline, the plain backbone with global average pooling, is its
``backbone_gap`` variant trained on the same splits.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from rsrepro.baselines.contamination import overlap, training_files
from rsrepro.data.prepared import PreparedDataset
from rsrepro.image_text.model import embed_images, image_text_encoders
from rsrepro.io import read_json, write_json
from rsrepro.lsenet.evaluate import classification_metrics
from rsrepro.training.run import write_outputs


def image_features(
    data: PreparedDataset, cfg: dict[str, Any], image_text_dir: Path | None, out: Path, device: torch.device
) -> None:
    """L2-normalised image embeddings (N x D) of every image of ``data``."""
    encoders = image_text_encoders(cfg, image_text_dir, device)
    every = np.arange(len(data))
    features = embed_images(
        encoders.image, data, every, cfg["image"], device, cfg["batch_size"], encoders.clip_normalisation
    )
    write_outputs(out, features=features.astype(np.float32), files=data.meta["file"].to_numpy(dtype=str))


def fit_logistic_regression(
    x: torch.Tensor, y: torch.Tensor, n_classes: int, weight_decay: float, steps: int = 200
) -> torch.nn.Linear:
    torch.manual_seed(0)
    model = torch.nn.Linear(x.shape[1], n_classes)
    optimizer = torch.optim.LBFGS(model.parameters(), max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y) + weight_decay * model.weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return model


def linear_probe(
    data: PreparedDataset,
    features_file: Path,
    split_file: Path,
    trained_on: list[Path],
    cfg: dict[str, Any],
    out: Path,
    out_logits: Path,
) -> dict[str, Any]:
    """``metrics.json`` and the test logits (``test_outputs.npz``, as an LSE-Net run's) of one split."""
    features = np.load(features_file)["features"]
    split = read_json(split_file)
    train, test = np.asarray(split["train"]), np.asarray(split["test"])
    mean, std = features[train].mean(0), features[train].std(0) + 1e-6
    x_train = torch.from_numpy((features[train] - mean) / std).float()
    x_test = torch.from_numpy((features[test] - mean) / std).float()
    model = fit_logistic_regression(
        x_train, torch.from_numpy(data.class_idx[train]), data.num_classes, cfg["weight_decay"]
    )
    with torch.no_grad():
        logits = model(x_test).numpy()
    labels = data.class_idx[test]
    write_outputs(out_logits, logits=logits, labels=labels, index=test, classes=np.array(data.classes))
    metrics = {
        "dataset": data.name,
        "variant": "linear_probe",
        "baseline": f"linear probe on {cfg['model']} features",
        "train_ratio": float(split["train_ratio"]),
        "seed": int(split["seed"]),
        "selection": "none (no epochs)",
        "n_train": len(train),
        "n_test": len(test),
        "classes": data.classes,
        **classification_metrics(labels, logits.argmax(1), data.num_classes),
        **overlap(data.meta["file"].to_numpy()[test], training_files(trained_on)),
    }
    write_json(out, metrics)
    return metrics
