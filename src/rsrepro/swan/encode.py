"""Encode every image and every caption once (evaluation is one similarity matrix, not shard pairs)."""

from __future__ import annotations

import numpy as np
import torch

from rsrepro.swan.data import EVAL_PAD_LENGTH, CaptionSet, ImagePipeline, pad_tokens
from rsrepro.training.batches import index_batches


@torch.no_grad()
def encode_images(
    model, images: np.ndarray, rows: np.ndarray, pipeline: ImagePipeline, batch_size: int
) -> torch.Tensor:
    model.eval()
    out = [
        model.image(pipeline.eval(images, batch)).float().cpu()
        for batch in index_batches(rows, batch_size, shuffle=False)
    ]
    return torch.cat(out)


@torch.no_grad()
def encode_captions(model, captions: CaptionSet, device: torch.device, batch_size: int) -> torch.Tensor:
    """Faithful mode pads every batch to the original's 47 tokens (its output depends on the padding)."""
    model.eval()
    min_length = EVAL_PAD_LENGTH if model.cfg.faithful else 0
    out = []
    for batch in index_batches(np.arange(len(captions.tokens)), batch_size, shuffle=False):
        tokens, lengths = pad_tokens([captions.tokens[i] for i in batch], min_length)
        out.append(model.text(tokens.to(device), lengths).float().cpu())
    return torch.cat(out)
