"""A tiny prepared dataset for the LSE-Net tests: each class is one coloured shape at a random place.

Used until (and besides) the synthetic generator: the key mask marks the shape, so peak-hit rates can be
checked too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rsrepro.data.prepared import PreparedWriter
from rsrepro.training.run import RunOutputs

COLOURS = np.array([[230, 40, 40], [40, 200, 60], [50, 80, 230], [230, 210, 40]], dtype=np.uint8)


def write_tiny_dataset(root: Path, n_classes: int = 4, per_class: int = 30, size: int = 32) -> Path:
    rng = np.random.default_rng(0)
    n = n_classes * per_class
    masks = np.zeros((n, size, size), dtype=bool)
    rows = []
    with PreparedWriter(root, "tiny", n, size, "test fixture") as writer:
        for i in range(n):
            c = i % n_classes
            image = rng.integers(60, 110, (size, size, 3), dtype=np.uint8)
            side = size // 4
            top, left = rng.integers(0, size - side, 2)
            masks[i, top : top + side, left : left + side] = True
            image[masks[i]] = COLOURS[c % len(COLOURS)]
            writer.put(i, image)
            rows.append((f"{i}.png", c, f"class{c}", f"class{c}", ""))
        meta = pd.DataFrame(rows, columns=["file", "class_idx", "class_name", "scene", "official_split"])
        writer.finish(meta, [f"class{c}" for c in range(n_classes)], key_masks=masks)
    return root


def train_and_evaluate(prepared: Path, split: Path, out_dir: Path, cfg: dict, variant: str) -> dict:
    """What the lsenet_train and lsenet_evaluate jobs do for one run; returns its metrics."""
    from rsrepro.lsenet.evaluate import evaluate_run
    from rsrepro.lsenet.train import train_run

    train_run(prepared, split, RunOutputs.in_folder(out_dir), cfg, variant)
    return evaluate_run(out_dir / "test_outputs.npz", out_dir / "history.json", out_dir / "metrics.json")
