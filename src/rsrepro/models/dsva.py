"""DSVA (Xu et al., ISPRS JPRS 2023): a ViT tower with a global and an attribute-prototype branch.

Built like torchvision's resnet.py: small modules and one builder per variant.

- :class:`PatchViT` is the embedded preset's small vision transformer; :class:`HFClipVisionTower` wraps
  the paper's clip-rsicd ViT-B/32 vision model (``transformers``, imported only when asked for). Both
  return every token (CLS first, then the patch grid), like ``last_hidden_state`` of the original.
- :class:`DSVA` turns tokens into two attribute predictions: the global branch (mean token -> LayerNorm
  -> Linear) and the prototype branch (token . prototype, max over tokens) with one attention map per
  attribute over the patch grid (7 x 7 for ViT-B/32 at 224 px). Class scores are attribute predictions
  times the class-attribute matrix (:func:`class_scores`).
- The optional crop branch re-encodes the region the attention maps point at (the original's
  "proposal" branch) and adds its attribute logits to the global branch.
- :class:`TextEncoder` and :class:`ImageTextModel` make the embedded preset's small CLIP-style model,
  whose image tower becomes DSVA's backbone (as clip-rsicd's is in the paper).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rsrepro.errors import RsreproError


class PatchViT(nn.Module):
    """A pre-norm ViT returning all tokens (B x (1 + grid^2) x dim), without a final norm.

    The original uses CLIP's ``last_hidden_state``, i.e. the tokens before the post-LayerNorm.
    """

    def __init__(
        self, image_size: int, patch_size: int, dim: int, depth: int, heads: int, mlp_ratio: int = 2
    ) -> None:
        super().__init__()
        if image_size % patch_size:
            raise ValueError(f"image_size {image_size} is not a multiple of patch_size {patch_size}")
        self.grid = image_size // patch_size
        self.dim = dim
        self.patch = nn.Conv2d(3, dim, patch_size, patch_size)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, 1 + self.grid**2, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(
            dim, heads, dim * mlp_ratio, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        patches = self.patch(x).flatten(2).transpose(1, 2)
        tokens = torch.cat([self.cls.expand(len(x), -1, -1), patches], 1) + self.pos
        return self.encoder(tokens)


class HFClipVisionTower(nn.Module):
    """The vision model of a CLIP checkpoint (clip-rsicd in the paper) from a local directory."""

    def __init__(self, model_dir: str) -> None:
        super().__init__()
        clip = load_hf_clip(model_dir)
        self.vision = clip.vision_model
        config = clip.config.vision_config
        self.dim = config.hidden_size
        self.grid = config.image_size // config.patch_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.vision(pixel_values=x).last_hidden_state


def load_hf_clip(model_dir: str) -> nn.Module:
    """``transformers.CLIPModel`` from a local directory, with actionable errors (no download here)."""
    try:
        from transformers import CLIPModel
    except ImportError as error:
        raise RsreproError(
            "the paper preset's DSVA needs the `transformers` package (clip-rsicd), which is not installed; "
            "install it (pip install transformers) or use the embedded preset"
        ) from error
    from pathlib import Path

    if not (Path(model_dir) / "config.json").is_file():
        raise RsreproError(
            f"no CLIP checkpoint at {model_dir!r} (config.json missing); download flax-community/clip-rsicd "
            "(or -v2) into that directory, or set dsva.clip_model_dir in the config"
        )
    return CLIPModel.from_pretrained(model_dir)


@dataclass
class DSVAOutput:
    attr_global: torch.Tensor  # B x A, global branch (plus the crop branch when on)
    attr_local: torch.Tensor  # B x A, prototype branch (the one the paper reports)
    maps: torch.Tensor  # B x A x grid x grid, token . prototype over the patch grid


class DSVA(nn.Module):
    """Attribute predictions from a ViT tower: global branch and attribute-prototype branch."""

    def __init__(
        self,
        tower: nn.Module,
        n_attributes: int,
        attribute_groups: list[list[int]] | None = None,
        crop: bool = False,
        crop_threshold: float = 1.0,
    ) -> None:
        super().__init__()
        self.tower = tower
        dim = tower.dim
        self.grid = tower.grid
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, n_attributes)  # the original's ALE vector
        # Original init: U[0, 2e-4) (its weights_init never fires, so this is all there is).
        self.prototypes = nn.Parameter(torch.rand(n_attributes, dim) * 2e-4)
        self.groups = attribute_groups or [list(range(n_attributes))]
        self.crop = crop
        self.crop_threshold = crop_threshold

    def head_parameters(self) -> list[nn.Parameter]:
        """What the warm-up epochs train: prototypes and the attribute head (tower and norm frozen)."""
        return [self.prototypes, *self.head.parameters()]

    def forward(self, x: torch.Tensor) -> DSVAOutput:
        tokens = self.tower(x)
        attr_global = self.head(self.norm(tokens.mean(1)))
        sims = tokens @ self.prototypes.t()  # B x T x A
        attr_local = sims.max(1).values
        b, _, a = sims.shape
        maps = sims[:, 1:].transpose(1, 2).reshape(b, a, self.grid, self.grid)
        if self.crop:
            boxes = attention_boxes(maps.detach(), attr_local.detach(), self.groups, self.crop_threshold)
            crops = crop_and_resize(x, boxes)
            attr_global = attr_global + self.head(self.norm(self.tower(crops).max(1).values))
        return DSVAOutput(attr_global, attr_local, maps)


def class_scores(attributes: torch.Tensor, class_attributes: torch.Tensor) -> torch.Tensor:
    """Compatibility scores B x C = predicted attributes (B x A) . class-attribute rows (C x A)."""
    return attributes @ class_attributes.t()


def attention_boxes(
    maps: torch.Tensor, attr: torch.Tensor, groups: list[list[int]], threshold: float
) -> np.ndarray:
    """The original's crop box: per group, the map of its strongest attribute, min-max normalised and
    averaged over groups; pixels above threshold x mean; bbox of the largest connected component.

    Returns fractions (top, left, bottom, right) of the grid per image, B x 4.
    """
    from scipy import ndimage

    picked = []
    for group in groups:
        idx = torch.tensor(group, device=maps.device)
        best = idx[attr[:, idx].argmax(1)]
        m = maps[torch.arange(len(maps)), best]
        lo = m.flatten(1).min(1).values.view(-1, 1, 1)
        hi = m.flatten(1).max(1).values.view(-1, 1, 1)
        picked.append((m - lo) / (hi - lo + 1e-12))
    heat = torch.stack(picked).mean(0).float().cpu().numpy()
    g = heat.shape[-1]
    boxes = np.tile(np.array([0.0, 0.0, 1.0, 1.0]), (len(heat), 1))
    for i, h in enumerate(heat):
        labels, n = ndimage.label(h > threshold * h.mean())
        if n == 0:
            continue
        largest = 1 + int(np.argmax(ndimage.sum(np.ones_like(h), labels, index=range(1, n + 1))))
        rows, cols = np.nonzero(labels == largest)
        boxes[i] = [rows.min() / g, cols.min() / g, (rows.max() + 1) / g, (cols.max() + 1) / g]
    return boxes


def crop_and_resize(x: torch.Tensor, boxes: np.ndarray) -> torch.Tensor:
    """Crop each image to its box (fractions) and resize back to the input size (bilinear)."""
    size = x.shape[-1]
    out = []
    for img, (t, lft, b, r) in zip(x, boxes, strict=True):
        top, left = int(t * size), int(lft * size)
        bottom, right = max(math.ceil(b * size), top + 1), max(math.ceil(r * size), left + 1)
        region = img[:, top:bottom, left:right].unsqueeze(0)
        out.append(F.interpolate(region, size=(size, size), mode="bilinear", align_corners=False))
    return torch.cat(out)


class TextEncoder(nn.Module):
    """Word embeddings + a small pre-norm transformer, mean-pooled over non-padding tokens."""

    def __init__(self, vocab_size: int, max_len: int, dim: int, depth: int, heads: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=0)
        self.pos = nn.Parameter(torch.randn(1, max_len, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(
            dim, heads, dim * 2, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.dim = dim

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        pad = ids == 0
        h = self.encoder(self.embed(ids) + self.pos[:, : ids.shape[1]], src_key_padding_mask=pad)
        keep = (~pad).unsqueeze(-1).float()
        return (h * keep).sum(1) / keep.sum(1).clamp_min(1.0)


class ImageTextModel(nn.Module):
    """CLIP-style dual encoder: normalised image and text embeddings and a learnable temperature."""

    def __init__(self, image_tower: PatchViT, text: TextEncoder, embed_dim: int) -> None:
        super().__init__()
        self.image_tower = image_tower
        self.text = text
        self.image_norm = nn.LayerNorm(image_tower.dim)
        self.image_proj = nn.Linear(image_tower.dim, embed_dim, bias=False)
        self.text_norm = nn.LayerNorm(text.dim)
        self.text_proj = nn.Linear(text.dim, embed_dim, bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def encode_image(self, x: torch.Tensor) -> torch.Tensor:
        cls = self.image_tower(x)[:, 0]
        return F.normalize(self.image_proj(self.image_norm(cls)), dim=-1)

    def encode_text(self, ids: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.text_proj(self.text_norm(self.text(ids))), dim=-1)


def patch_vit(image_size: int, patch_size: int, dim: int, depth: int, heads: int) -> PatchViT:
    """The embedded preset's tower; image_size / patch_size = 7 gives the paper's 7 x 7 grid."""
    return PatchViT(image_size, patch_size, dim, depth, heads)


def image_text_model(
    tower: PatchViT, vocab_size: int, max_len: int, text_dim: int, text_depth: int, embed_dim: int
) -> ImageTextModel:
    return ImageTextModel(tower, TextEncoder(vocab_size, max_len, text_dim, text_depth, 4), embed_dim)


def dsva(tower: nn.Module, n_attributes: int, groups: list[list[int]] | None, crop: bool) -> DSVA:
    return DSVA(tower, n_attributes, groups, crop=crop)
