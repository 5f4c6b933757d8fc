"""SWAN's data side: (image, caption) pairs of a prepared dataset, tokenised, batched and augmented."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from rsrepro.data.prepared import PreparedDataset
from rsrepro.errors import RsreproError
from rsrepro.swan.text import Vocabulary
from rsrepro.training import augment
from rsrepro.training.batches import load_images


@dataclass
class CaptionSet:
    """Every caption of a subset of images: token ids, and the image (position in ``images``) it describes."""

    images: np.ndarray  # dataset indices of the images
    tokens: list[list[int]]
    caption_image: np.ndarray  # caption -> position in ``images``

    @classmethod
    def build(
        cls, data: PreparedDataset, images: np.ndarray, vocab: Vocabulary, faithful: bool
    ) -> CaptionSet:
        if not data.has("captions"):
            raise RsreproError(f"dataset {data.name!r} has no captions; SWAN needs a retrieval dataset")
        captions = data.captions
        tokens, owner = [], []
        for pos, i in enumerate(images):
            for caption in captions[int(i)]:
                tokens.append(vocab.encode(caption, faithful=faithful))
                owner.append(pos)
        return cls(np.asarray(images), tokens, np.asarray(owner, dtype=np.int64))

    def scenes(self, data: PreparedDataset) -> np.ndarray:
        return data.meta["scene"].to_numpy(dtype=str)[self.images]


def pad_tokens(token_lists: list[list[int]], min_length: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """B x L int64 (0 = padding) and the CPU lengths."""
    lengths = torch.tensor([len(t) for t in token_lists])
    out = torch.zeros(len(token_lists), max(int(lengths.max()), min_length), dtype=torch.long)
    for row, t in enumerate(token_lists):
        out[row, : len(t)] = torch.tensor(t)
    return out, lengths


def train_pairs(captions: CaptionSet, per_image: int | str, generator: torch.Generator) -> np.ndarray:
    """Caption indices of one epoch: every caption (``all``, the original) or ``per_image`` per image."""
    if per_image == "all":
        return np.arange(len(captions.tokens))
    counts = np.bincount(captions.caption_image)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    picks = [
        starts[i] + torch.randperm(int(counts[i]), generator=generator)[: int(per_image)].numpy()
        for i in range(len(counts))
    ]
    return np.concatenate(picks)


class ImagePipeline:
    """The original transforms on the device. Train: resize -> random rotation -> random crop; eval: resize.

    Sizes scale with the preset: the paper's 278 -> crop 256 becomes e.g. 70 -> 64 at 64 px. ``rotation``:
    the rotation's interpolation (the released ``RandomRotation`` uses torchvision's default, nearest).
    """

    def __init__(self, cfg: dict[str, Any], device: torch.device, rotation: str = "bilinear") -> None:
        self.resize, self.crop = int(cfg["resize"]), int(cfg["crop"])
        self.max_rotation = float(cfg["max_rotation"])
        self.rotation = rotation
        self.device = device

    def train(self, images: np.ndarray, rows: np.ndarray, generator: torch.Generator) -> torch.Tensor:
        x = augment.resize(load_images(images, rows, self.device), self.resize)
        x = augment.random_rotation(x, self.max_rotation, generator, self.rotation)
        return augment.normalize(augment.random_crop(x, self.crop, generator))

    def eval(self, images: np.ndarray, rows: np.ndarray) -> torch.Tensor:
        return augment.normalize(augment.resize(load_images(images, rows, self.device), self.crop))
