"""SWAN's baseline: zero-shot image-text retrieval with the image-text model, on SWAN's test split.

Every test image and caption is embedded once; the figures are SWAN's (R@1/5/10 both ways, mR, median
and mean rank, both readings of scene recall), ties counted against the query. The model's training list
is checked against the test images: a row whose model saw test images is marked contaminated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from rsrepro.baselines.contamination import overlap, training_files
from rsrepro.data.prepared import PreparedDataset
from rsrepro.image_text.model import embed_images, image_text_encoders
from rsrepro.io import read_json, write_json
from rsrepro.metrics.retrieval import retrieval_metrics
from rsrepro.training.batches import index_batches
from rsrepro.training.run import write_outputs


def retrieval_baseline(
    data: PreparedDataset,
    split_file: Path,
    cfg: dict[str, Any],
    image_text_dir: Path | None,
    trained_on: list[Path],
    out: Path,
    out_embeddings: Path,
    device: torch.device,
) -> dict[str, Any]:
    """``metrics.json`` and the test embeddings (``test_outputs.npz``, as a SWAN run's); ``cfg``: the
    attribute collection's section (model, image sizes, batch size)."""
    encoders = image_text_encoders(cfg, image_text_dir, device)
    test = np.asarray(read_json(split_file)["test"])
    images = embed_images(
        encoders.image, data, test, cfg["image"], device, cfg["batch_size"], encoders.clip_normalisation
    )
    captions = [c for i in test for c in data.captions[int(i)]]
    caption_image = np.repeat(np.arange(len(test)), [len(data.captions[int(i)]) for i in test])
    with torch.no_grad():
        texts = torch.cat([
            F.normalize(encoders.text([captions[k] for k in batch]).float().cpu(), dim=-1)
            for batch in index_batches(np.arange(len(captions)), cfg["batch_size"], shuffle=False)
        ])  # fmt: skip
    scenes = data.meta["scene"].to_numpy(dtype=str)[test]
    write_outputs(
        out_embeddings,
        images=images,
        captions=texts.numpy(),
        image_index=test,
        caption_image=caption_image,
        scenes=scenes,
    )
    metrics = {
        "variant": "zero_shot_baseline",  # a row of SWAN's aggregate (no training, so no seeds)
        "seed": None,
        "baseline": f"zero-shot {cfg['model']}",
        "dataset": data.name,
        "n_images": len(test),
        "n_captions": len(captions),
        **retrieval_metrics(images, texts.numpy(), caption_image, scenes, "pessimistic"),
        **overlap(data.meta["file"].to_numpy()[test], training_files(trained_on)),
    }
    write_json(out, metrics)
    return metrics
