"""DSVA's baseline: zero-shot classification with an image-text model and class-name prompts.

Each class is the prompt of the attribute collection's template with the class name (``"an aerial
photograph of {attribute}"`` -> "an aerial photograph of dense residential"); an image takes the class
whose prompt embedding is most cosine-similar to its own. On exactly DSVA's test sets: ZSL (the unseen
test images, unseen classes as candidates) and GZSL (unseen and seen test images, every class), scored by
DSVA's own metric functions. GZSL uses calibrated stacking on the scores, its gamma chosen as the honest
protocol chooses epochs: on held-out seen classes (the ``val_classes`` of DSVA's select stage) standing in
for unseen ones, among seen-class training images only, so no test image informs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from rsrepro.baselines.contamination import overlap, training_files
from rsrepro.data.prepared import PreparedDataset
from rsrepro.data.splits import held_out_classes
from rsrepro.dsva.attributes import attribute_prompts
from rsrepro.dsva.metrics import gzsl_metrics, zsl_accuracy
from rsrepro.image_text.model import embed_images, image_text_encoders
from rsrepro.io import write_json
from rsrepro.training.run import write_outputs

GAMMAS = np.round(np.arange(0.0, 0.505, 0.005), 3)  # on cosine scores, which lie in [-1, 1]


def class_scores(
    encoders: Any, data: PreparedDataset, indices: np.ndarray, cfg: dict[str, Any], device: torch.device
) -> np.ndarray:
    """Cosine similarity (N x C) of each image to each class's prompt."""
    images = embed_images(
        encoders.image, data, indices, cfg["image"], device, cfg["batch_size"], encoders.clip_normalisation
    )
    with torch.no_grad():
        prompts = F.normalize(
            encoders.text(attribute_prompts(data.classes, cfg["prompt"])).float().cpu(), dim=-1
        )
    return images @ prompts.numpy().T


def calibration_images(data: PreparedDataset, split: dict[str, Any], per_class: int, seed: int) -> np.ndarray:
    """Up to ``per_class`` training images of every seen class (the held-out ones included)."""
    rng = np.random.default_rng([seed, 17])
    train = np.asarray(split["train"])
    chosen = [rng.permutation(train[data.class_idx[train] == c])[:per_class] for c in split["seen_classes"]]
    return np.sort(np.concatenate(chosen))


def choose_gamma(scores: np.ndarray, labels: np.ndarray, seen: list[int], held_out: list[int]) -> float:
    """The gamma with the best pseudo-GZSL H: the held-out seen classes play unseen, the rest seen, and
    only seen classes are candidates."""
    pseudo_seen = np.asarray([c for c in seen if c not in held_out])
    candidates = np.asarray(seen)
    restricted = np.full_like(scores, -np.inf)
    restricted[:, candidates] = scores[:, candidates]
    h = [
        gzsl_metrics(restricted, labels, pseudo_seen, np.asarray(held_out), g, faithful=False)["H"]
        for g in GAMMAS
    ]
    return float(GAMMAS[int(np.nanargmax(h))])


def zero_shot_baseline(
    data: PreparedDataset,
    split: dict[str, Any],
    cfg: dict[str, Any],
    image_text_dir: Path | None,
    trained_on: list[Path],
    held_out_count: int,
    out_metrics: Path,
    out_scores: Path,
    device: torch.device,
) -> dict[str, Any]:
    """``cfg``: the attribute collection's section (model, prompt, image sizes, batch size) with
    ``calibration_images_per_class``."""
    encoders = image_text_encoders(cfg, image_text_dir, device)
    seen, unseen = list(split["seen_classes"]), np.asarray(split["unseen_classes"])
    seed = int(split["seed"])
    held_out = held_out_classes(seen, held_out_count, seed)
    calibration = calibration_images(data, split, cfg["calibration_images_per_class"], seed)
    gamma = choose_gamma(
        class_scores(encoders, data, calibration, cfg, device), data.class_idx[calibration], seen, held_out
    )
    test = np.concatenate([np.asarray(split["test_unseen"]), np.asarray(split["test_seen"])])
    scores, labels = class_scores(encoders, data, test, cfg, device), data.class_idx[test]
    unseen_rows = np.arange(len(split["test_unseen"]))
    gzsl = gzsl_metrics(scores, labels, np.asarray(seen), unseen, gamma, faithful=False)
    zero_shot = {
        "zsl": zsl_accuracy(scores[unseen_rows], labels[unseen_rows], unseen),
        **gzsl,
        "zsl_epoch": None,  # no training: the same figures under every epoch-selection protocol
        "gzsl_epoch": None,
    }
    metrics = {
        "baseline": f"zero-shot {cfg['model']}",
        "dataset": data.name,
        "seed": seed,
        "prompt": cfg["prompt"],
        "protocols": {"zero-shot": zero_shot},  # in the shape of a DSVA run's summary (dsva-aggregate)
        "gamma": gamma,
        "H_without_calibration": gzsl_metrics(scores, labels, np.asarray(seen), unseen, 0.0, faithful=False)[
            "H"
        ],
        "held_out_classes": held_out,
        "calibration_images": len(calibration),
        **overlap(data.meta["file"].to_numpy()[test], training_files(trained_on)),
    }
    write_outputs(out_scores, index=test, labels=labels, scores=scores.astype(np.float32))
    write_json(out_metrics, metrics)
    return metrics
