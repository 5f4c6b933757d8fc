"""DSVA's losses (the original ``Loss_fn``), each a small function of the model output."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from rsrepro.models.dsva import class_scores
from rsrepro.training.device import device_constant


def compatibility_ce(
    attributes: torch.Tensor, class_attributes: torch.Tensor, target: torch.Tensor, double_softmax: bool
) -> torch.Tensor:
    """Cross-entropy of the class scores. ``double_softmax`` reproduces the released code, which feeds
    already-softmaxed probabilities to ``CrossEntropyLoss`` (it softmaxes again): the loss then sits near
    ln(C) with almost no gradient."""
    scores = class_scores(attributes, class_attributes)
    if double_softmax:
        scores = scores.softmax(1)
    return F.cross_entropy(scores, target)


def attribute_regression(attributes: torch.Tensor, target_attributes: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(attributes, target_attributes)


def compactness(maps: torch.Tensor) -> torch.Tensor:
    """APN's attention-compactness loss as the released code computes it (``Loss_fn`` with the table of
    ``get_middle_graph``): sigmoid(map) times the squared distance, in grid cells, of each cell to the
    map's peak, summed over images, attributes and cells. ``maps`` are B x A x g x g, without the CLS
    token (the peak is a cell of the grid).

    A sum, not a mean: the released weight (1e-9) is set for this magnitude (about 1e6 on an 8 x 3
    episode of 98 attributes on 7 x 7 maps).
    """
    b, a, g, _ = maps.shape
    flat = maps.reshape(b * a, g * g)
    cell = torch.arange(g, device=maps.device)
    rows, cols = cell.repeat_interleave(g), cell.repeat(g)
    peak = flat.argmax(1, keepdim=True)
    dist = (rows[peak] - rows) ** 2 + (cols[peak] - cols) ** 2  # integers, like the released table
    return (flat.sigmoid() * dist.to(flat.dtype)).sum()


def group_lasso(weights: torch.Tensor, groups: list[list[int]]) -> torch.Tensor:
    """Sum over attribute groups of the Frobenius norm of the group's rows (prototypes or head weights),
    with the released ``add_glasso``'s 1e-8 per column under the root (which keeps its gradient finite
    at zero): sqrt(sum of squares + dim * 1e-8)."""
    return sum(
        weights[device_constant(tuple(g), weights.device)].pow(2).sum(0).add(1e-8).sum().pow(0.5)
        for g in groups
    )
