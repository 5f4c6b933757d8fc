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
from rsrepro.training.batches import as_float, load_images, pins, read_rows


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
    A training batch's random numbers (:meth:`draw`: rotation angle, crop top, crop left) are drawn before
    its images are read and applied on the device (:meth:`augment`).
    """

    def __init__(self, cfg: dict[str, Any], device: torch.device, rotation: str = "bilinear") -> None:
        self.resize, self.crop = int(cfg["resize"]), int(cfg["crop"])
        self.max_rotation = float(cfg["max_rotation"])
        self.rotation = rotation
        self.device = device

    @staticmethod
    def draw(batch: int, generator: torch.Generator) -> torch.Tensor:
        return augment.uniforms(generator, 3, batch)

    def augment(self, x: torch.Tensor, draws: torch.Tensor) -> torch.Tensor:
        """A float batch in [0, 1] on the device, with its :meth:`draw` numbers there, augmented."""
        x = augment.rotation(augment.resize(x, self.resize), self.max_rotation, draws[0], self.rotation)
        return augment.normalize(augment.crop(x, self.crop, draws[1], draws[2]))

    def train(self, images: np.ndarray, rows: np.ndarray, generator: torch.Generator) -> torch.Tensor:
        draws = self.draw(len(rows), generator).to(self.device, non_blocking=True)
        return self.augment(load_images(images, rows, self.device), draws)

    def eval_batch(self, rows: torch.Tensor) -> torch.Tensor:
        """uint8 rows already on the device -> the evaluation input."""
        return augment.normalize(augment.resize(as_float(rows), self.crop))

    def eval(self, images: np.ndarray, rows: np.ndarray) -> torch.Tensor:
        return self.eval_batch(read_rows(images, rows, pins(self.device)).to(self.device, non_blocking=True))
