"""Did the image-text model see a test image in training? By file name: the model's training list (the
embedded model's ``training.json``; clip-rsicd's published train and validation lists) against the test
images' names."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any


def training_files(sources: Sequence[Path]) -> list[str]:
    """File names a model trained on: an embedded model's ``training.json`` (``train_files``), or
    clip-rsicd's ``textaug_{train,valid}_rsicd.jsonl`` (one ``{"filename": "rsicd_images/x.jpg"}`` per
    line; the valid list chose its checkpoint)."""
    names: list[str] = []
    for source in map(Path, sources):
        if source.suffix == ".jsonl":
            names += [
                json.loads(line)["filename"] for line in source.read_text().splitlines() if line.strip()
            ]
        else:
            names += json.loads(source.read_text())["train_files"]
    return names


def overlap(test_files: Iterable[str], trained_on: Iterable[str]) -> dict[str, Any]:
    """How many test images (by base file name) the model was trained on."""
    seen = {Path(name).name for name in trained_on}
    shared = sorted({Path(name).name for name in test_files} & seen)
    return {"test_images_seen_in_training": len(shared), "contaminated": bool(shared), "examples": shared[:5]}
