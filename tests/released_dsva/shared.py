"""What the released DSVA code and rsrepro's DSVA are compared on: one tiny CLIP, weights and inputs.

``generate_golden.py`` runs the released code on these and stores its outputs in ``golden.npz``; the tests
(``tests/test_dsva_released.py``) run rsrepro on the same and compare. Everything here is a pure function
of names, shapes and seeds, so no weights or images are stored.

The tower stands in for clip-rsicd's vision model: a one-layer, 768-wide ViT at 224 px with 32 px
patches (the released model hard-codes 768 channels, the 7 x 7 grid and 224 px crops, and reads nothing
of CLIP but its tokens). Plain torch, so the tests need no ``transformers``.
"""

from __future__ import annotations

import re

import numpy as np
import torch
from torch import nn

N_ATTRIBUTES = 98
DIM = 768
SIZE = 224
GRID = 7
WAYS, SHOTS = 8, 3
# A partition of the 98 attributes into the released code's three groups (attri_group_3.json's keys).
GROUPS = {
    "functions": list(range(0, N_ATTRIBUTES, 3)),
    "materials": list(range(1, N_ATTRIBUTES, 3)),
    "surface_properties": list(range(2, N_ATTRIBUTES, 3)),
}
BOX_IMAGES = 64  # images of the crop-box case (besides the 24 of the forward pass)
WINDOW_STRIDE = 16  # crop images are compared on every 16th pixel (keeps the fixture small)
GAMMAS = (0.0, 1e-4, 1.4e-4, 3e-3)


class TinyViT(nn.Module):
    """A one-layer pre-norm ViT, 768 wide, 224 px in 32 px patches: B x (1 + 49) x 768 tokens, CLS first
    (the layout of CLIP's ``last_hidden_state``, which is all either model reads)."""

    dim, grid = DIM, GRID

    def __init__(self) -> None:
        super().__init__()
        self.patch = nn.Conv2d(3, DIM, SIZE // GRID, SIZE // GRID)
        self.cls = nn.Parameter(torch.zeros(1, 1, DIM))
        self.pos = nn.Parameter(torch.zeros(1, 1 + GRID**2, DIM))
        self.block = nn.TransformerEncoderLayer(
            DIM, 12, 256, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        patches = self.patch(x).flatten(2).transpose(1, 2)
        return self.block(torch.cat([self.cls.expand(len(x), -1, -1), patches], 1) + self.pos)


def _values(name: str, shape: tuple[int, ...], index: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(1000 + index)
    noise = torch.randn(shape, generator=generator) * 0.02
    return 1.0 + noise if re.search(r"norm\d?\.weight$", name) else noise


def shared_state() -> dict[str, torch.Tensor]:
    """Weights by rsrepro's DSVA names: ``tower.*`` (:class:`TinyViT`), ``norm.*`` and ``head.*`` (the
    released ``ALE_vector``: LayerNorm, Linear), ``prototypes`` (98 x 768)."""
    shapes = {f"tower.{n}": tuple(p.shape) for n, p in TinyViT().named_parameters()}
    shapes.update(
        {
            "norm.weight": (DIM,),
            "norm.bias": (DIM,),
            "head.weight": (N_ATTRIBUTES, DIM),
            "head.bias": (N_ATTRIBUTES,),
            "prototypes": (N_ATTRIBUTES, DIM),
        }
    )
    return {name: _values(name, shape, k) for k, (name, shape) in enumerate(sorted(shapes.items()))}


def initial_prototypes() -> torch.Tensor:
    """Prototypes as the released code initialises them, U[0, 2e-4) (98 x 768): small enough that the
    group lasso's epsilon matters."""
    return 2e-4 * torch.rand(N_ATTRIBUTES, DIM, generator=torch.Generator().manual_seed(13))


def episode() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One 8 x 3 episode: normalised images, labels 0..7 (class-major), the 8 classes' attribute rows."""
    generator = torch.Generator().manual_seed(7)
    images = torch.randn(WAYS * SHOTS, 3, SIZE, SIZE, generator=generator)
    labels = torch.arange(WAYS).repeat_interleave(SHOTS)
    class_attributes = torch.rand(WAYS, N_ATTRIBUTES, generator=generator)
    return images, labels, class_attributes


def box_case() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Images, attention maps (B x 98 x 7 x 7) and attribute predictions for the crop boxes.

    Maps are noise plus one to three Gaussian blobs; image 0 has a constant map where its first group's
    strongest attribute points (the released min-max normalisation divides by zero there), image 1 two
    equally strong blobs (the largest-component tie).
    """
    generator = torch.Generator().manual_seed(11)
    n = BOX_IMAGES
    images = torch.randn(n, 3, SIZE, SIZE, generator=generator)
    attributes = torch.randn(n, N_ATTRIBUTES, generator=generator)
    maps = 0.3 * torch.randn(n, N_ATTRIBUTES, GRID, GRID, generator=generator)
    rows = torch.arange(GRID, dtype=torch.float32).view(-1, 1)
    cols = torch.arange(GRID, dtype=torch.float32).view(1, -1)
    for i in range(n):
        for _ in range(1 + i % 3):
            centre = torch.rand(N_ATTRIBUTES, 2, generator=generator) * (GRID - 1)
            width = 0.5 + 1.5 * torch.rand(N_ATTRIBUTES, 1, 1, generator=generator)
            d2 = (rows - centre[:, 0, None, None]) ** 2 + (cols - centre[:, 1, None, None]) ** 2
            maps[i] += torch.exp(-d2 / (2 * width**2))
    first = GROUPS["functions"][0]
    attributes[0, first] = 10.0
    maps[0, first] = 0.25
    blob = torch.zeros(GRID, GRID)
    blob[1, 1] = blob[5, 5] = 1.0
    for group in GROUPS.values():
        attributes[1, group[0]] = 10.0
        maps[1, group[0]] = blob
    return images, maps, attributes


def label_masks() -> np.ndarray:
    """Random binary masks (40 x 24 x 24) for the connected-component labelling."""
    rng = np.random.default_rng(3)
    return np.stack([rng.random((24, 24)) > rng.uniform(0.35, 0.7) for _ in range(40)])


def metric_cases() -> list[dict[str, np.ndarray]]:
    """Attribute predictions of test images and a class-attribute matrix (10 classes: 0-5 seen, 6-9
    unseen), built so that gammas of 1e-4 move predictions: probabilities differ by about 1e-4.

    ``normal``: every class has test images. ``seen_class_without_test_images``: seen class 5, the one
    unseen images are most often taken for, has none (the released code then gives S = NaN and does not
    calibrate class 5). ``unseen_class_without_test_images``: unseen class 9 has none (the released code
    drops it from the candidates).
    """
    rng = np.random.default_rng(5)
    seen, unseen = np.arange(6), np.arange(6, 10)
    matrix = rng.random((10, 16)).astype(np.float32)
    labels = np.repeat(np.arange(10), 12)
    predictions = (matrix[labels] * 4e-3 + rng.normal(0, 2e-3, (len(labels), 16))).astype(np.float32)
    cases = []
    for name, missing in (
        ("normal", None),
        ("seen_class_without_test_images", 5),
        ("unseen_class_without_test_images", 9),
    ):
        keep = labels != missing
        cases.append(
            {
                "name": name,
                "predictions": predictions[keep],
                "labels": labels[keep],
                "matrix": matrix,
                "seen": seen,
                "unseen": unseen,
            }
        )
    return cases
