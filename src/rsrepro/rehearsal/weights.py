"""Random-init weights in the formats the paper preset fetches, under the file names it expects.

- ``vgg16_imagenet``: a torchvision VGG-16 state dict (``vgg16-397923af.pth``, LSE-Net's backbone);
- ``rsp_resnet50_aid28``: an RSP-style checkpoint, a ResNet-50 with a 30-class head under key ``model``
  (SWAN's frozen backbone);
- ``glove_840b_300d``: ``glove.840B.300d.zip`` holding ``glove.840B.300d.txt`` (``word v1 ... v300``) with
  random vectors for the given words;
- ``clip_rsicd``: a Hugging Face folder saved from a randomly initialised ``CLIPModel`` (ViT-B/32, or
  narrower for a quick check), with a CLIP tokenizer whose byte-level vocabulary has no merges.

The real files' checksums cannot match: the rehearsal gives these as local files with their own
checksums (:func:`rsrepro.data.standin.standin_params`).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import torch

from rsrepro.data.sources.catalog import PRETRAINED

GLOVE_DIM = 300
# ViT-B/32 at 224 px as clip-rsicd (openai/clip-vit-base-patch32's config); "narrow" keeps its 7 x 7 grid,
# its formats and its code path at a fraction of the compute.
CLIP_SIZES = {
    "vit-b/32": {
        "vision": {
            "hidden_size": 768,
            "num_hidden_layers": 12,
            "num_attention_heads": 12,
            "intermediate_size": 3072,
        },
        "text": {
            "hidden_size": 512,
            "num_hidden_layers": 12,
            "num_attention_heads": 8,
            "intermediate_size": 2048,
        },
        "projection_dim": 512,
    },
    "narrow": {
        "vision": {
            "hidden_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "intermediate_size": 128,
        },
        "text": {
            "hidden_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "intermediate_size": 128,
        },
        "projection_dim": 64,
    },
}


def catalog_path(out: Path, name: str, key: str) -> Path:
    return out / name / PRETRAINED[name].files[key].name


def write_vgg16(path: Path) -> Path:
    from torchvision.models import vgg16

    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(vgg16(weights=None).state_dict(), path)
    return path


def write_rsp_resnet50(path: Path) -> Path:
    from torchvision.models import resnet50

    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": resnet50(weights=None, num_classes=30).state_dict()}, path)
    return path


def write_glove(path: Path, words: list[str], seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    lines = (f"{w} {' '.join(f'{v:.5f}' for v in rng.normal(0, 0.4, GLOVE_DIM))}" for w in words)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("glove.840B.300d.txt", "\n".join(lines) + "\n")
    return path


def byte_level_tokenizer():
    """A CLIP tokenizer over single bytes (its byte-level alphabet, no merges): every text encodes."""
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import CLIPTokenizer

    alphabet = sorted(ByteLevel.alphabet())
    tokens = ["<|startoftext|>", "<|endoftext|>", *alphabet, *(c + "</w>" for c in alphabet)]
    return CLIPTokenizer(vocab={token: i for i, token in enumerate(tokens)}, merges=[])


def write_clip(folder: Path, size: str = "vit-b/32", seed: int = 0) -> Path:
    from transformers import CLIPConfig, CLIPModel

    tokenizer = byte_level_tokenizer()
    sizes = CLIP_SIZES[size]
    # the tokenizer's own start and end tokens (the text model pools at the end token)
    special = {"bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 1}
    config = CLIPConfig(
        text_config={**sizes["text"], **special, "vocab_size": len(tokenizer), "max_position_embeddings": 77},
        vision_config={**sizes["vision"], "image_size": 224, "patch_size": 32},
        projection_dim=sizes["projection_dim"],
    )
    torch.manual_seed(seed)
    CLIPModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def write_weights(out: Path, words: list[str]) -> dict[str, dict[str, Path]]:
    """The paper preset's weight files under ``out/<name>/``: ``{name: {catalog key: path}}`` (the CLIP
    folder is :func:`write_clip`'s)."""
    return {
        "vgg16_imagenet": {"weights": write_vgg16(catalog_path(out, "vgg16_imagenet", "weights"))},
        "rsp_resnet50_aid28": {
            "weights": write_rsp_resnet50(catalog_path(out, "rsp_resnet50_aid28", "weights"))
        },
        "glove_840b_300d": {"archive": write_glove(catalog_path(out, "glove_840b_300d", "archive"), words)},
    }
