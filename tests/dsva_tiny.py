"""A tiny, learnable zero-shot dataset for the DSVA tests (the synthetic generator's stand-in).

Every attribute is a coloured square of its own colour; a class is a set of three attributes; captions
name the attributes present. Unseen classes are new combinations of attributes seen in training, so a
model that learns attributes can recognise them.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from rsrepro.data.prepared import PreparedWriter

ATTRIBUTES = [
    "red roofs",
    "blue pools",
    "green trees",
    "yellow fields",
    "white boats",
    "black roads",
    "purple courts",
    "orange tanks",
]
COLOURS = [
    (220, 40, 40),
    (40, 80, 230),
    (30, 170, 60),
    (230, 220, 40),
    (250, 250, 250),
    (10, 10, 10),
    (150, 50, 200),
    (250, 140, 20),
]
GROUPS = {"functions": [0, 1, 2], "materials": [3, 4, 5], "surface_properties": [6, 7]}


def class_sets(n_classes: int, seed: int = 0) -> list[tuple[int, ...]]:
    combos = list(itertools.combinations(range(len(ATTRIBUTES)), 3))
    rng = np.random.default_rng(seed)
    return [combos[i] for i in rng.choice(len(combos), n_classes, replace=False)]


def build_tiny_dsva_dataset(
    root: Path, n_classes: int = 10, per_class: int = 30, size: int = 32, seed: int = 0
) -> Path:
    rng = np.random.default_rng(seed)
    sets = class_sets(n_classes, seed)
    class_attr = np.zeros((n_classes, len(ATTRIBUTES)), np.float32)
    for c, s in enumerate(sets):
        class_attr[c, list(s)] = 1.0
    n = n_classes * per_class
    rows, captions, attributes = [], [], np.zeros((n, len(ATTRIBUTES)), np.float32)
    with PreparedWriter(root, "tiny_dsva", n, size, "test") as writer:
        for i in range(n):
            c = i // per_class
            img = np.full((size, size, 3), 110, np.uint8) + rng.integers(
                0, 20, (size, size, 3), dtype=np.uint8
            )
            for a in sets[c]:
                for _ in range(2):
                    y, x = rng.integers(0, size - 7, 2)
                    img[y : y + 7, x : x + 7] = COLOURS[a]
                attributes[i, a] = 1.0
            writer.put(i, img)
            caps = []
            for _ in range(5):
                names = [ATTRIBUTES[a] for a in rng.permutation(list(sets[c]))]
                caps.append("an aerial image with " + " and ".join(names))
            captions.append(caps)
            rows.append(
                {
                    "file": f"{i}.png",
                    "class_idx": c,
                    "class_name": f"class{c}",
                    "scene": f"class{c}",
                    "official_split": "",
                }
            )
        writer.finish(
            pd.DataFrame(rows),
            [f"class{c}" for c in range(n_classes)],
            captions=captions,
            attributes=attributes,
            attribute_names=ATTRIBUTES,
            attribute_groups=GROUPS,
            class_attributes=class_attr,
        )
    return root


COLLECTION = {
    "model": "embedded",
    "clip_model_dir": "",
    "prompt": "{attribute}",
    "scaling": "minmax",
    "annotation_images_per_unseen_class": 4,
    "image": {"resize": 32, "crop": 28},
    "tower": {"patch_size": 4, "dim": 32, "depth": 2, "heads": 2},
    "text": {"dim": 32, "depth": 1, "max_len": 16},
    "embed_dim": 32,
    "epochs": 30,
    "batch_size": 32,
    "lr": 0.003,
    "weight_decay": 0.01,
    "device": "cpu",
    "seed": 0,
}

TRAIN = {
    "backbone": "embedded",
    "clip_model_dir": "",
    "class_attributes": "collected",
    "image": {"resize": 32, "crop": 28},
    "ways": 4,
    "shots": 3,
    "batches_per_epoch": 12,
    "epochs": 5,
    "warmup_epochs": 1,
    "warmup_lr": 0.003,
    "lr": 0.0003,
    "lr_decay": 0.9,
    "lr_decay_every": 10,
    "betas": [0.5, 0.999],
    "loss": {
        "xe": 1.0,
        "l_xe": 1.0,
        "attri": 0.01,
        "l_attri": 0.08,
        "cpt": 1e-9,
        "regular": 0.0,
        "l_regular": 0.0,
    },
    "crop_branch": False,
    "cs_gamma_probability": 0.0001,
    "cs_gamma_score": 0.5,
    "val_classes": 2,
    "eval_batch_size": 64,
    "device": "cpu",
    "tf32_matmul": False,
    "checkpoint_minutes": 0,
    "seed": 0,
    "faithful": True,
}


def train_and_score(
    data, split, attributes: Path, cfg: dict, setting: str, stage: str, out_dir: Path, seed: int
):
    """A dsva_train job's training, then the per-epoch records a summary sees: each epoch's training
    record with the metrics of its predictions (as dsva-summarize scores them)."""
    import torch

    from rsrepro.dsva.summary import epoch_metrics
    from rsrepro.dsva.train import train
    from rsrepro.training.run import RunOutputs, read_outputs

    outputs = RunOutputs(
        out_dir / "model.pt", out_dir / "history.json", out_dir / "test_outputs.npz", out_dir / "checkpoints"
    )
    history = train(data, split, attributes, cfg, setting, stage, outputs, torch.device("cpu"), seed)
    scored = epoch_metrics(read_outputs(outputs.test_outputs), setting, stage, cfg["faithful"])
    return [{**record, **metrics} for record, metrics in zip(history, scored, strict=True)]
