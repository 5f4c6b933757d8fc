"""The image-text model that DSVA's attribute collection scores with and every paper's baseline uses.

``embedded`` (the embedded preset): a small CLIP-style model trained here with symmetric InfoNCE on
(image, caption) pairs of the training images that every zero-shot split it serves keeps for its seen
classes, so no unseen-class image or caption of any of them touches it (checked by
:func:`rsrepro.data.leakage.require_seen_only`). ``clip-rsicd`` (the paper preset): a local clip-rsicd
checkpoint, used as it is. Either way :func:`image_text_encoders` gives the model's image and text
encoders.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from rsrepro.data.leakage import require_seen_only
from rsrepro.data.prepared import PreparedDataset
from rsrepro.dsva.images import image_batch
from rsrepro.errors import RsreproError
from rsrepro.io import atomic_dir, write_json
from rsrepro.models.dsva import ImageTextModel, image_text_model, patch_vit
from rsrepro.pretrained.clip import load_clip
from rsrepro.training.batches import index_batches
from rsrepro.training.checkpoint import load_torch, save_torch
from rsrepro.training.device import seed_everything

log = logging.getLogger(__name__)

PAD, UNK = "<pad>", "<unk>"


class WordTokenizer:
    """Lower-case word tokenizer with a vocabulary fitted on training captions (0 = pad, 1 = unknown)."""

    def __init__(self, vocab: list[str], max_len: int) -> None:
        self.vocab = vocab
        self.max_len = max_len
        self.ids = {w: i for i, w in enumerate(vocab)}

    @staticmethod
    def words(text: str) -> list[str]:
        return re.findall(r"[a-z0-9]+", text.lower())

    @classmethod
    def fit(cls, texts: Sequence[str], max_len: int) -> WordTokenizer:
        vocab = sorted({w for t in texts for w in cls.words(t)})
        return cls([PAD, UNK, *vocab], max_len)

    def encode(self, texts: Sequence[str], drop_unknown: bool = False) -> torch.Tensor:
        """Token ids, padded; unknown words become <unk>, or are skipped with ``drop_unknown`` (prompts:
        a word the model never read, such as an attribute's group prefix, carries no meaning for it)."""
        out = torch.zeros(len(texts), self.max_len, dtype=torch.long)
        for i, text in enumerate(texts):
            ids = [self.ids.get(w, 1) for w in self.words(text) if not drop_unknown or w in self.ids]
            ids = ids[: self.max_len]
            out[i, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        return out

    def unknown_words(self, texts: Sequence[str]) -> list[str]:
        return sorted({w for t in texts for w in self.words(t) if w not in self.ids})


def shared_training_images(splits: Sequence[dict[str, Any]]) -> np.ndarray:
    """Images in the train list of *every* split: one image-text model then serves all splits, and it
    never sees an unseen-class image or a seen-test image of any of them."""
    common = set(splits[0]["train"])
    for split in splits[1:]:
        common &= set(split["train"])
    return np.array(sorted(common), dtype=np.int64)


def train_image_text(
    data: PreparedDataset,
    indices: np.ndarray,
    cfg: dict[str, Any],
    device: torch.device,
    generator: torch.Generator,
) -> tuple[ImageTextModel, WordTokenizer, list[dict[str, float]]]:
    """The embedded preset's CLIP stand-in: symmetric InfoNCE on (image, one of its captions) pairs."""
    captions = data.captions
    tokenizer = WordTokenizer.fit([c for i in indices for c in captions[i]], cfg["text"]["max_len"])
    tower = patch_vit(**tower_config(cfg))
    model = image_text_model(
        tower,
        len(tokenizer.vocab),
        cfg["text"]["max_len"],
        cfg["text"]["dim"],
        cfg["text"]["depth"],
        cfg["embed_dim"],
    ).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    history = []
    for epoch in range(cfg["epochs"]):
        model.train()
        total, n = 0.0, 0
        for batch in index_batches(
            indices, cfg["batch_size"], shuffle=True, generator=generator, drop_last=True
        ):
            pick = torch.randint(5, (len(batch),), generator=generator).tolist()
            texts = [captions[i][k % len(captions[i])] for i, k in zip(batch, pick, strict=True)]
            x = image_batch(data.images, batch, device, cfg["image"], train=True, generator=generator)
            img, txt = model.encode_image(x), model.encode_text(tokenizer.encode(texts).to(device))
            logits = model.logit_scale.exp().clamp(max=100) * img @ txt.t()
            target = torch.arange(len(batch), device=device)
            loss = (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target)) / 2
            opt.zero_grad()
            loss.backward()
            opt.step()
            total, n = total + loss.item() * len(batch), n + len(batch)
        history.append({"epoch": epoch, "loss": total / max(n, 1)})
        log.info("image-text epoch %d: InfoNCE %.4f", epoch, history[-1]["loss"])
    return model.eval(), tokenizer, history


def fit_image_text(
    data: PreparedDataset,
    splits: Sequence[dict[str, Any]],
    cfg: dict[str, Any],
    out_dir: Path,
    device: torch.device,
    seed: int,
) -> dict[str, Any]:
    """Train the embedded image-text model on the shared seen training images; write ``model.pt`` and
    ``training.json`` to ``out_dir``."""
    images = shared_training_images(splits)
    for split in splits:
        require_seen_only(images, data.class_idx, split["unseen_classes"], "image-text model training")
    start = time.perf_counter()
    # seed_everything also seeds the weight initialisation (global RNG), not only the batch order
    model, tokenizer, history = train_image_text(data, images, cfg, device, seed_everything(seed))
    report = {
        "train_images": len(images),
        "train_files": data.meta["file"].to_numpy()[images].tolist(),  # what a baseline must not test on
        "train_classes": [data.classes[c] for c in np.unique(data.class_idx[images])],
        "history": history,
        "seconds": time.perf_counter() - start,
        "train_images_per_s": len(images) * cfg["epochs"] / (time.perf_counter() - start),
        "vocabulary": len(tokenizer.vocab),
    }
    with atomic_dir(out_dir) as tmp:
        save_torch(
            {
                "model": model.state_dict(),
                "vocab": tokenizer.vocab,
                "tower": tower_config(cfg),
                "text": cfg["text"],
                "embed_dim": cfg["embed_dim"],
            },
            tmp / "model.pt",
        )
        write_json(tmp / "training.json", report)
    return report


def tower_config(cfg: dict[str, Any]) -> dict[str, Any]:
    return {"image_size": cfg["image"]["crop"], **cfg["tower"]}


def load_image_text(model_dir: Path, device: torch.device) -> tuple[ImageTextModel, WordTokenizer, dict]:
    saved = load_torch(model_dir / "model.pt")
    text = saved["text"]
    model = image_text_model(
        patch_vit(**saved["tower"]),
        len(saved["vocab"]),
        text["max_len"],
        text["dim"],
        text["depth"],
        saved["embed_dim"],
    )
    model.load_state_dict(saved["model"])
    return model.to(device).eval(), WordTokenizer(saved["vocab"], text["max_len"]), saved["tower"]


@dataclass(frozen=True)
class Encoders:
    """An image-text model's two encoders (image batches, prompt lists -> embeddings), whether its images
    take CLIP's normalisation, and the embedded model itself (None for clip-rsicd)."""

    image: Callable[[torch.Tensor], torch.Tensor]
    text: Callable[[list[str]], torch.Tensor]
    clip_normalisation: bool
    model: ImageTextModel | None = None
    tokenizer: WordTokenizer | None = None
    tower: dict[str, Any] | None = None


def clip_rsicd_encoders(model_dir: str, device: torch.device) -> tuple[Callable, Callable]:
    """Image and prompt encoders of a local clip-rsicd checkpoint (paper preset)."""
    model, tokenizer = load_clip(model_dir)
    model = model.to(device).eval()

    context = model.config.text_config.max_position_embeddings  # 77: longer captions are cut, as CLIP's

    # transformers 5 returns the model outputs, the projected embedding as ``pooler_output``.
    def encode_text(prompts: list[str]) -> torch.Tensor:
        tokens = tokenizer(prompts, padding=True, truncation=True, max_length=context, return_tensors="pt")
        tokens = tokens.to(device)
        return model.get_text_features(**tokens).pooler_output

    return (lambda x: model.get_image_features(pixel_values=x).pooler_output), encode_text


def image_text_encoders(cfg: dict[str, Any], image_text_dir: Path | None, device: torch.device) -> Encoders:
    """The collection's image-text model (``cfg["model"]``): the embedded one trained on seen-class
    captions (its directory), or clip-rsicd (``cfg["clip_model_dir"]``)."""
    if cfg["model"] != "embedded":
        encode_image, encode_text = clip_rsicd_encoders(cfg["clip_model_dir"], device)
        return Encoders(encode_image, encode_text, clip_normalisation=True)
    if image_text_dir is None:
        raise RsreproError("the embedded image-text model needs --image-text (the trained model directory)")
    model, tokenizer, tower = load_image_text(image_text_dir, device)

    def encode_text(prompts: list[str]) -> torch.Tensor:
        # A prompt of only unknown words has no tokens: it gets a zero embedding (a constant column,
        # 0 after scaling) instead of an all-padding pass, which would be NaN.
        ids = tokenizer.encode(prompts, drop_unknown=True).to(device)
        known = (ids != 0).any(1)
        out = torch.zeros(len(prompts), model.text_proj.out_features, device=device)
        out[known] = model.encode_text(ids[known])
        return out

    return Encoders(model.encode_image, encode_text, False, model, tokenizer, tower)


@torch.no_grad()
def embed_images(
    encode: Callable[[torch.Tensor], torch.Tensor],
    data: PreparedDataset,
    indices: np.ndarray,
    sizes: dict[str, Any],
    device: torch.device,
    batch_size: int,
    clip_normalisation: bool,
) -> np.ndarray:
    out = [
        encode(image_batch(data.images, b, device, sizes, train=False, clip_normalisation=clip_normalisation))
        .float()
        .cpu()
        for b in index_batches(indices, batch_size, shuffle=False)
    ]
    return F.normalize(torch.cat(out), dim=-1).numpy()
