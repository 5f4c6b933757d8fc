"""Encode every image and every caption once: evaluation is one similarity matrix, not shard pairs.

The released evaluation (``utils.shard_dis_SWAN``) runs the whole model on every image shard x caption
shard pair (``--shard_size``: 128 in the test scripts, 256 in training's validation). In eval mode an
image's embedding does not depend on its shard, and a caption's depends on its shard only through the
shard's longest caption, to which ``pad_packed_sequence`` pads the shard (the faithful text side has no
padding mask). So each caption is encoded once, as padded to its shard's longest caption (faithful) or to
its batch's longest (corrected: masked, the padding changes nothing); the matrix equals
``shard_dis_SWAN``'s.
"""

from __future__ import annotations

import numpy as np
import torch

from rsrepro.swan.data import CaptionSet, ImagePipeline, pad_tokens
from rsrepro.training.batches import index_batches, pins, read_ahead, read_rows


@torch.no_grad()
def encode_images(
    model, images: np.ndarray, rows: np.ndarray, pipeline: ImagePipeline, batch_size: int
) -> torch.Tensor:
    """Embeddings of ``images[rows]`` on the CPU; they stay on the device until the last batch is done,
    and on a GPU the next batch is read while the current one runs."""
    model.eval()
    pin, device = pins(pipeline.device), pipeline.device
    batches = index_batches(rows, batch_size, shuffle=False)
    out = [
        model.image(pipeline.eval_batch(host["images"].to(device, non_blocking=True))).float()
        for host in read_ahead(batches, lambda batch: {"images": read_rows(images, batch, pin)}, ahead=pin)
    ]
    return torch.cat(out).cpu()


def shard_widths(lengths: np.ndarray, shard_size: int) -> np.ndarray:
    """Per caption, the length of the longest caption in its shard (``shard_size`` consecutive captions)."""
    longest = np.maximum.reduceat(lengths, np.arange(0, len(lengths), shard_size))
    return longest[np.arange(len(lengths)) // shard_size]


@torch.no_grad()
def encode_captions(
    model, captions: CaptionSet, device: torch.device, batch_size: int, shard_size: int
) -> torch.Tensor:
    """Embeddings of ``captions.tokens`` in order, each caption as the released evaluation pads it: to
    its shard's longest caption (faithful; given to the model as a width, so batches are free to group
    captions of similar lengths), or as little as its batch needs (corrected).

    A caption repeated within one shard (faithful) or anywhere (corrected) is encoded once: the released
    code encodes a shard in one batch, so there such repeats tie exactly, and so they do here. (Repeats in
    different shards are encoded apart, as there, and may differ by float noise.)
    """
    model.eval()
    faithful = model.cfg.faithful
    lengths = np.array([len(t) for t in captions.tokens])
    widths = shard_widths(lengths, shard_size)
    shards = np.arange(len(lengths)) // shard_size if faithful else np.zeros(len(lengths), dtype=int)
    unique: dict[tuple[int, tuple[int, ...]], int] = {}
    inverse = [
        unique.setdefault((int(s), tuple(t)), len(unique))
        for s, t in zip(shards, captions.tokens, strict=True)
    ]
    keys = list(unique)
    width = np.zeros(len(keys), dtype=np.int64)
    width[inverse] = widths  # repeats share a shard (faithful), so a width
    order = sorted(range(len(keys)), key=lambda i: len(keys[i][1]))  # similar lengths batched together
    out = torch.empty(len(keys), model.cfg.embed_dim, device=device)
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        tokens, batch_lengths = pad_tokens([list(keys[i][1]) for i in batch])
        batch_widths = torch.from_numpy(width[batch]) if faithful else None
        embedded = model.text(tokens.to(device, non_blocking=True), batch_lengths, batch_widths).float()
        out[torch.tensor(batch).to(device, non_blocking=True)] = embedded
    return out.cpu()[inverse]
