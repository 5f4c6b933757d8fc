"""Encode every image and every caption once: evaluation is one similarity matrix, not shard pairs.

The released evaluation (``utils.shard_dis_SWAN``) runs the whole model on every image shard x caption
shard pair (``--shard_size``: 128 in the test scripts, 256 in training's validation). In eval mode an
image's embedding does not depend on its shard, and a caption's depends on its shard only through the
shard's longest caption, to which ``pad_packed_sequence`` pads the shard (the faithful text side has no
padding mask). So each caption is encoded once, padded to its shard's longest caption (faithful) or to its
batch's longest (corrected: masked, the padding changes nothing); the matrix equals ``shard_dis_SWAN``'s.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch

from rsrepro.swan.data import CaptionSet, ImagePipeline, pad_tokens
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


def shard_widths(lengths: np.ndarray, shard_size: int) -> np.ndarray:
    """Per caption, the length of the longest caption in its shard (``shard_size`` consecutive captions)."""
    longest = np.maximum.reduceat(lengths, np.arange(0, len(lengths), shard_size))
    return longest[np.arange(len(lengths)) // shard_size]


@torch.no_grad()
def encode_captions(
    model, captions: CaptionSet, device: torch.device, batch_size: int, shard_size: int
) -> torch.Tensor:
    """Embeddings of ``captions.tokens`` in order, each caption padded as the released evaluation pads it
    (faithful) or as little as its batch needs (corrected).

    A caption repeated within one shard (faithful) or anywhere (corrected) is encoded once: the released
    code encodes a shard in one batch, so there such repeats tie exactly, and so they do here. (Repeats in
    different shards of equal padding differ there by float noise of the batch; here too.)
    """
    model.eval()
    faithful = model.cfg.faithful
    lengths = np.array([len(t) for t in captions.tokens])
    widths = shard_widths(lengths, shard_size) if faithful else lengths
    shards = np.arange(len(lengths)) // shard_size if faithful else np.zeros(len(lengths), dtype=int)
    unique: dict[tuple[int, int, tuple[int, ...]], int] = {}
    inverse = [
        unique.setdefault((int(w), int(s), tuple(t)), len(unique))
        for w, s, t in zip(widths, shards, captions.tokens, strict=True)
    ]
    keys = list(unique)
    # Batches of one padded width (faithful), captions of similar lengths together, shortest first.
    order = sorted(range(len(keys)), key=lambda i: (keys[i][0], len(keys[i][2])))
    groups = itertools.groupby(order, key=lambda i: keys[i][0]) if faithful else [(0, order)]
    out = torch.empty(len(keys), model.cfg.embed_dim)
    for width, members in groups:
        members = list(members)
        for start in range(0, len(members), batch_size):
            batch = members[start : start + batch_size]
            tokens, batch_lengths = pad_tokens([list(keys[i][2]) for i in batch], min_length=width)
            out[batch] = model.text(tokens.to(device), batch_lengths).float().cpu()
    return out[inverse]
