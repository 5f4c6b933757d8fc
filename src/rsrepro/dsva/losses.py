"""DSVA's losses (the original ``Loss_fn``), each a small function of the model output."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from rsrepro.models.dsva import class_scores


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
    """APN's attention-compactness loss: sigmoid(map) weighted squared distance to the map's peak.

    Coordinates are in grid cells / grid size (0..1), averaged over images and attributes.
    """
    _b, _a, g, _ = maps.shape
    flat = maps.flatten(2)
    peak = flat.argmax(2)
    coords = torch.arange(g, device=maps.device, dtype=maps.dtype) / g
    rows, cols = coords.repeat_interleave(g), coords.repeat(g)
    dist = (rows.view(1, 1, -1) - rows[peak].unsqueeze(-1)) ** 2 + (
        cols.view(1, 1, -1) - cols[peak].unsqueeze(-1)
    ) ** 2
    return (flat.sigmoid() * dist).sum(2).mean()


def group_lasso(weights: torch.Tensor, groups: list[list[int]]) -> torch.Tensor:
    """Sum over attribute groups of the Frobenius norm of the group's rows (prototypes or head weights)."""
    return sum(weights[torch.tensor(g, device=weights.device)].norm() for g in groups)
