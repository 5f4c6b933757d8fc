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
  "proposal" branch) and adds its attribute logits to the global branch's class scores; the global
  branch's attribute regression still sees its own, pre-crop attributes (:class:`DSVAOutput`).
- :class:`TextEncoder` and :class:`ImageTextModel` make the embedded preset's small CLIP-style model,
  whose image tower becomes DSVA's backbone (as clip-rsicd's is in the paper).

The model is the released code's (wenjiaXu/RS_Scene_ZSL @b69a498, ``model/model.py``) for both variants,
checked against its outputs on shared weights (``tests/test_dsva_released.py``): the crop box of
``get_proposal`` (maps upsampled to the image with corners aligned, 8-connected largest component), the
crop resized with corners aligned, the crop's logits in the global class scores but not in the global
attributes the MSE sees. Where the variants differ (losses, calibration, training lists, precision) is
``rsrepro.dsva.train``'s; the report's readings table lists every difference and why corrected departs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rsrepro.pretrained.clip import load_clip
from rsrepro.training.device import device_constant


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
        clip, _ = load_clip(model_dir)
        self.vision = clip.vision_model
        config = clip.config.vision_config
        self.dim = config.hidden_size
        self.grid = config.image_size // config.patch_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.vision(pixel_values=x).last_hidden_state


@dataclass
class DSVAOutput:
    attr_global: torch.Tensor  # B x A, global branch (mean token), without the crop: the MSE's input
    attr_local: torch.Tensor  # B x A, prototype branch (the one the paper reports)
    maps: torch.Tensor  # B x A x grid x grid, token . prototype over the patch grid (no CLS token)
    attr_crop: torch.Tensor | None = None  # B x A, the crop branch's attributes when it is on

    @property
    def attr_global_scored(self) -> torch.Tensor:
        """What the global branch's class scores come from: its attributes plus the crop branch's (the
        original adds the two branches' class scores, the same by linearity)."""
        return self.attr_global if self.attr_crop is None else self.attr_global + self.attr_crop


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
        attr_local = sims.max(1).values  # over every token, CLS included (as the original)
        b, _, a = sims.shape
        maps = sims[:, 1:].transpose(1, 2).reshape(b, a, self.grid, self.grid)
        out = DSVAOutput(attr_global, attr_local, maps)
        if self.crop:
            with torch.no_grad():
                boxes = attention_boxes(maps, attr_local, self.groups, self.crop_threshold, x.shape[-1])
                crops = crop_and_resize(x, boxes)
            out.attr_crop = self.head(self.norm(self.tower(crops).max(1).values))
        return out


def class_scores(attributes: torch.Tensor, class_attributes: torch.Tensor) -> torch.Tensor:
    """Compatibility scores B x C = predicted attributes (B x A) . class-attribute rows (C x A)."""
    return attributes @ class_attributes.t()


def attention_masks(
    maps: torch.Tensor, attr: torch.Tensor, groups: list[list[int]], threshold: float, size: int
) -> torch.Tensor:
    """The pixels the original's crop box (``CLIP_proto.get_proposal``) is drawn around, B x size x size.

    Per group, the map of the group's strongest attribute, upsampled to the image (bilinear, corners
    aligned), min-max normalised; the groups' mean; pixels above threshold x its mean. A constant map
    normalises to NaN there, which leaves no pixel above the threshold.
    """
    rows = torch.arange(len(maps), device=maps.device)
    picked = []
    for g in groups:
        members = device_constant(tuple(g), maps.device)
        picked.append(maps[rows, members[attr.index_select(1, members).argmax(1)]])
    # One map per 1-channel input: the released code upsamples all 98 maps at once, which torch's CPU
    # kernel rounds exactly as it does one channel, but not as three (its path for 3-channel images).
    one_channel = torch.stack(picked, 1).flatten(0, 1)[:, None].float()
    heat = F.interpolate(one_channel, (size, size), mode="bilinear", align_corners=True)
    heat = heat.view(len(maps), len(groups), size, size)
    heat = heat - heat.amin((2, 3), keepdim=True)
    heat = (heat / heat.amax((2, 3), keepdim=True)).mean(1)
    return heat > heat.mean((1, 2), keepdim=True) * threshold


def attention_boxes(
    maps: torch.Tensor, attr: torch.Tensor, groups: list[list[int]], threshold: float, size: int
) -> torch.Tensor:
    """The original's crop box, in pixels of a ``size`` x ``size`` image: the bounding box of the largest
    8-connected component of :func:`attention_masks`, or the whole image if it has none.

    Returns B x 4 int64 boxes (top, left, bottom, right; bottom and right exclusive) on the maps' device:
    found by scipy on the CPU (:func:`largest_component_box`), on the device elsewhere
    (:func:`largest_component_boxes`, the same boxes without copying the masks to the host).
    """
    masks = attention_masks(maps, attr, groups, threshold, size)
    if masks.device.type != "cpu":
        return largest_component_boxes(masks)
    return torch.tensor([largest_component_box(m) for m in masks.numpy()], dtype=torch.int64).view(-1, 4)


def largest_component_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """Bounding box (top, left, bottom, right; exclusive ends) of the largest 8-connected component of a
    boolean mask, the first in raster order among equals; the whole mask if it has none.

    ``scipy.ndimage.label`` with a 3 x 3 structure labels as the original's ``skimage.measure.label``
    (full connectivity): the same components, numbered in the same raster order.
    """
    from scipy import ndimage

    labels, n = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
    if n == 0:
        return 0, 0, mask.shape[0], mask.shape[1]
    largest = 1 + int(np.argmax(np.bincount(labels.ravel())[1:]))
    rows, cols = np.nonzero(labels == largest)
    return int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1


def component_roots(masks: torch.Tensor) -> torch.Tensor:
    """B x H x W bool -> B x (H W) int64: for each pixel the smallest flat index in its 8-connected
    component (its first pixel in raster order), H W for the background.

    Tensor ops only, in a fixed number of rounds (no host sync). Parent pointers, each pointing to a
    smaller index of the same component, form trees; a round starts with every tree a star (all pointing
    to its root) and merges every tree with at least one neighbouring tree: a root hooks onto the
    smallest root next to its tree; a root that no neighbouring root is smaller than, and that nobody
    hooked onto, hooks onto the new parent of its largest neighbouring root (which hooked onto a root
    smaller than its own, as it had one, so pointers still decrease). The trees of a component thus at
    least halve each round: ceil(log2(H W)) rounds leave one; pointer jumping (``parent[parent]``, a
    number of times that covers the longest chain of hooks) makes them stars again.
    """
    b, h, w = masks.shape
    n = h * w
    fg = masks.reshape(b, n)
    slot = torch.arange(n + 1, device=masks.device)  # slot n: where the background points
    parent = torch.cat([torch.where(fg, slot[:n], n), torch.full_like(fg[:, :1], n, dtype=torch.long)], 1)
    for k in range(max(1, math.ceil(math.log2(n)))):
        roots = parent[:, :n]
        grid = roots.view(b, 1, h, w).float()  # exact: indices < 2^24
        low = (-F.max_pool2d(-grid, 3, 1, 1)).view(b, n).long()  # smallest root around (background: n)
        high = F.max_pool2d(torch.where(fg.view(b, 1, h, w), grid, -1.0), 3, 1, 1).view(b, n).long()
        smallest = torch.full_like(parent, n).scatter_reduce(1, roots, torch.where(fg, low, n), "amin")
        largest = torch.full_like(parent, -1).scatter_reduce(1, roots, torch.where(fg, high, -1), "amax")
        is_root = parent == slot
        hooks = is_root & (smallest < slot)
        hooked_onto = torch.zeros_like(hooks).scatter(1, torch.where(hooks, smallest, n), True)
        hooked_onto[:, n] = False
        alone = is_root & ~hooks & ~hooked_onto & (largest > slot)
        parent = torch.where(hooks, smallest, parent)
        parent = torch.where(alone, parent.gather(1, largest.clamp(min=0)), parent)
        # A chain of hooks is at most as long as the trees this round began with: n / 2^k.
        for _ in range(math.ceil(math.log2(n / 2**k + 1))):
            parent = parent.gather(1, parent)
    return parent[:, :n]


def largest_component_boxes(masks: torch.Tensor) -> torch.Tensor:
    """B x 4 boxes of :func:`largest_component_box` for B x H x W masks, on their device (no host sync)."""
    b, h, w = masks.shape
    n = h * w
    roots = component_roots(masks)
    sizes = torch.zeros(b, n + 1, dtype=torch.long, device=masks.device)
    sizes.scatter_add_(1, roots, torch.ones_like(roots))[:, n] = 0
    # the largest, and among equals the smallest root: the first component in raster order, as scipy's
    chosen = (sizes * (n + 1) - torch.arange(n + 1, device=masks.device)).argmax(1, keepdim=True)
    member = ((roots == chosen) & masks.reshape(b, n)).view(b, h, w)
    rows, cols = member.any(2), member.any(1)

    def first(hit: torch.Tensor) -> torch.Tensor:
        return hit.int().argmax(1)  # argmax gives the first of equal maxima: the first True

    box = torch.stack([first(rows), first(cols), h - first(rows.flip(1)), w - first(cols.flip(1))], 1)
    whole = device_constant((0, 0, h, w), masks.device)
    return torch.where(masks.flatten(1).any(1, keepdim=True), box, whole)


def crop_and_resize(x: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """Crop each image to its pixel box (B x 4, on ``x``'s device) and resize it back to the input size,
    bilinear with corners aligned (as the original). On the CPU one ``F.interpolate`` per image, as the
    released code; elsewhere all crops in one batched resampling (:func:`resize_boxes`)."""
    if x.device.type != "cpu":
        return resize_boxes(x, boxes)
    size = x.shape[-2:]
    return torch.cat(
        [
            F.interpolate(img[None, :, t:b, lft:r], size=size, mode="bilinear", align_corners=True)
            for img, (t, lft, b, r) in zip(x, boxes.tolist(), strict=True)
        ]
    )


def _corner_aligned_axis(
    start: torch.Tensor, stop: torch.Tensor, out: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """For resampling [start, stop) of one axis of each image to ``out`` points with corners aligned: the
    two source indices and the weight of the second, per image and point, computed as
    ``F.interpolate`` computes them (scale (length - 1) / (out - 1) in fp32, floor, clamped)."""
    last = (stop - start - 1).view(-1, 1)
    scale = (last.float() / max(out - 1, 1)).view(-1, 1)
    source = scale * torch.arange(out, device=start.device, dtype=torch.float32)
    low = torch.minimum(source.long(), last)
    weight = (source - low).clamp(0, 1)
    return start.view(-1, 1) + low, start.view(-1, 1) + torch.minimum(low + 1, last), weight


def resize_boxes(x: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """Every image's box resampled to the image size in one batched op: bilinear, corners aligned (the
    same samples and weights as ``F.interpolate(..., align_corners=True)`` on each crop; float rounding
    may differ in the last bit)."""
    b, c, h, w = x.shape
    top, left, bottom, right = boxes.unbind(1)
    y0, y1, wy = _corner_aligned_axis(top, bottom, h)
    x0, x1, wx = _corner_aligned_axis(left, right, w)

    def rows(index: torch.Tensor) -> torch.Tensor:
        return x.gather(2, index.view(b, 1, h, 1).expand(b, c, h, w))

    def cols(image: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        return image.gather(3, index.view(b, 1, 1, w).expand(b, c, h, w))

    wx, wy = wx.view(b, 1, 1, w).to(x.dtype), wy.view(b, 1, h, 1).to(x.dtype)
    upper, lower = rows(y0), rows(y1)
    upper = cols(upper, x0) * (1 - wx) + cols(upper, x1) * wx
    lower = cols(lower, x0) * (1 - wx) + cols(lower, x1) * wx
    return upper * (1 - wy) + lower * wy


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
