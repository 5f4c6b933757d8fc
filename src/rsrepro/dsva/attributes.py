"""Attribute collection: an image-text model scores images against one prompt per attribute, and the
class-attribute matrix is the per-class aggregate ("RSMM-Attributes" of the paper, no human labels).

Recipe (the released code ships only the result; this is the reading of the paper we implement):

1. prompt per attribute: ``template.format(attribute=name)`` (default "an aerial image with {attribute}");
2. score s[i, a] = cosine(image embedding i, prompt embedding a);
3. class row = mean of s over the images that feed that class (see below);
4. per attribute, min-max scaling with the minimum and maximum over the *seen* rows, applied to all
   rows. Raw CLIP cosines sit in a narrow band (~0.2-0.3) whose offset depends on the prompt more than
   on the image; scaling per attribute removes that prompt bias and puts every attribute on the 0..1
   scale the regression loss and the compatibility product assume. Fitting it on seen rows only keeps
   unseen rows from shaping the scale.

Which images feed which rows (written to ``collection.json``):

- seen class rows: the seen classes' *training* images of the split (never the GZSL seen-test images);
- unseen class rows: ``annotation_images_per_unseen_class`` images per unseen class, drawn with the
  split seed and then *removed from the unseen test set* at evaluation, so no test image describes its
  own class (0 = all unseen images, the transductive reading of the paper: CLIP scored all 70 classes);
- the image-text model is the shared one (:mod:`rsrepro.image_text`); trained here (embedded), it saw the
  seen training images of this run's splits and their captions only: no unseen-class image or caption
  touches any training (checked by :func:`rsrepro.data.leakage.require_seen_only`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from rsrepro.data.prepared import PreparedDataset
from rsrepro.errors import RsreproError
from rsrepro.image_text.model import embed_images, image_text_encoders
from rsrepro.io import atomic_dir, write_json
from rsrepro.training.checkpoint import save_torch


def collection_rows(split: dict[str, Any], class_idx: np.ndarray, per_unseen_class: int, seed: int) -> dict:
    """Which images feed which class row, and which unseen images evaluation must then leave out."""
    rows: dict[int, list[int]] = {}
    train = np.asarray(split["train"], dtype=np.int64)
    for c in split["seen_classes"]:
        rows[int(c)] = train[class_idx[train] == c].tolist()
    rng = np.random.default_rng([seed, 7])
    test_unseen = np.asarray(split["test_unseen"], dtype=np.int64)
    excluded: list[int] = []
    for c in split["unseen_classes"]:
        members = test_unseen[class_idx[test_unseen] == c]
        if per_unseen_class > 0:
            members = np.sort(
                rng.choice(members, size=min(per_unseen_class, len(members) - 1), replace=False)
            )
            excluded += members.tolist()
        rows[int(c)] = members.tolist()
    return {"rows": rows, "eval_excluded": sorted(excluded)}


def aggregate(
    scores: np.ndarray,
    rows: dict[int, list[int]],
    index_of: dict[int, int],
    n_classes: int,
    seen: Sequence[int],
    scaling: str,
) -> np.ndarray:
    """Class-attribute matrix C x A: mean image score per class row, then per-attribute scaling fitted
    on the seen rows (``minmax``: to 0..1; ``zscore``: zero mean, unit deviation; ``none``)."""
    matrix = np.zeros((n_classes, scores.shape[1]), dtype=np.float64)
    for c, members in rows.items():
        matrix[c] = scores[[index_of[i] for i in members]].mean(0)
    seen_rows = matrix[np.asarray(seen)]
    if scaling == "minmax":
        lo, hi = seen_rows.min(0), seen_rows.max(0)
        matrix = (matrix - lo) / np.where(hi > lo, hi - lo, 1.0)
    elif scaling == "zscore":
        mu, sd = seen_rows.mean(0), seen_rows.std(0)
        matrix = (matrix - mu) / np.where(sd > 0, sd, 1.0)
    return matrix.astype(np.float32)


def agreement(collected: np.ndarray, truth: np.ndarray, seen: Sequence[int], unseen: Sequence[int]) -> dict:
    """Pearson correlation across classes per attribute (NaN where an attribute is constant)."""

    def per_attribute(rows: Sequence[int]) -> list[float]:
        a, b = collected[np.asarray(rows)], truth[np.asarray(rows)]
        a, b = a - a.mean(0), b - b.mean(0)
        den = np.sqrt((a**2).sum(0) * (b**2).sum(0))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, (a * b).sum(0) / den, np.nan).tolist()

    all_rows = sorted([*seen, *unseen])
    r_all = per_attribute(all_rows)
    return {
        "per_attribute_r": r_all,
        "mean_r": float(np.nanmean(r_all)),
        "mean_r_seen": float(np.nanmean(per_attribute(seen))),
        "mean_r_unseen": float(np.nanmean(per_attribute(unseen))) if len(unseen) > 2 else float("nan"),
        "overall_r": float(np.corrcoef(collected[all_rows].ravel(), truth[all_rows].ravel())[0, 1]),
        "scored_attributes": int(np.isfinite(r_all).sum()),
    }


def attribute_prompts(names: Sequence[str], template: str) -> list[str]:
    return [template.format(attribute=n.replace("_", " ")) for n in names]


def collect(
    data: PreparedDataset,
    split: dict[str, Any],
    cfg: dict[str, Any],
    image_text_dir: Path | None,
    out_dir: Path,
    device: torch.device,
    seed: int,
) -> dict[str, Any]:
    """Write ``class_attributes.npy``, ``collection.json`` and (embedded) ``tower.pt`` to ``out_dir``."""
    names = data.attribute_names
    if not names:
        raise RsreproError(
            f"dataset {data.name!r} has no attribute names (info.json attributes.names); "
            "attribute prompts cannot be built"
        )
    seen, unseen = split["seen_classes"], split["unseen_classes"]
    prompts = attribute_prompts(names, cfg["prompt"])
    plan = collection_rows(split, data.class_idx, cfg["annotation_images_per_unseen_class"], seed)
    report: dict[str, Any] = {"model": cfg["model"], "prompts": prompts, "scaling": cfg["scaling"]}
    encoders = image_text_encoders(cfg, image_text_dir, device)
    encode_image, encode_text, clip_norm = encoders.image, encoders.text, encoders.clip_normalisation
    if encoders.tokenizer is not None:
        report["unknown_prompt_words"] = encoders.tokenizer.unknown_words(prompts)
    scored = np.unique(np.concatenate([np.asarray(m, dtype=np.int64) for m in plan["rows"].values()]))
    start = time.perf_counter()
    image_emb = embed_images(encode_image, data, scored, cfg["image"], device, cfg["batch_size"], clip_norm)
    elapsed = time.perf_counter() - start
    with torch.no_grad():
        text_emb = F.normalize(encode_text(prompts).float().cpu(), dim=-1).numpy()
    scores = image_emb @ text_emb.T
    index_of = {int(i): k for k, i in enumerate(scored)}
    matrix = aggregate(scores, plan["rows"], index_of, data.num_classes, seen, cfg["scaling"])
    report.update(
        scored_images=len(scored),
        scoring_images_per_s=len(scored) / max(elapsed, 1e-9),
        rows={
            data.classes[c]: {
                "class_idx": c,
                "role": "seen-train" if c in seen else "unseen-annotation",
                "images": m,
            }
            for c, m in plan["rows"].items()
        },
        eval_excluded=plan["eval_excluded"],
    )
    if data.has("class_attributes"):
        report["agreement"] = agreement(matrix, data.class_attributes, seen, unseen)
    with atomic_dir(out_dir) as tmp:
        np.save(tmp / "class_attributes.npy", matrix)
        if encoders.model is not None:
            tower = {"config": encoders.tower, "state": encoders.model.image_tower.state_dict()}
            save_torch(tower, tmp / "tower.pt")
        write_json(tmp / "collection.json", report)
    return report
