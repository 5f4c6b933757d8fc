"""What the report draws: perception maps of a trained model, the R sweep, and the peak-hit rate.

The peak-hit rate (synthetic data, whose key masks mark the class-defining objects): for each test image,
the strongest peak of its true class is taken on the class map ``M`` and on the refined map
``CPR(M) * A`` (the peak that adds most to the logit); it is a hit when that map cell overlaps a
key-mask pixel. The chance level is the share of cells that overlap the key mask (a random cell's hit rate).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from rsrepro.data.prepared import PreparedDataset
from rsrepro.models.lsenet import LSENet, PerceptionOutput, context_aware_cpr, find_peaks
from rsrepro.training.augment import normalize
from rsrepro.training.batches import index_batches, load_images


@torch.no_grad()
def perceive(model: LSENet, images: np.ndarray, indices: Sequence[int]) -> PerceptionOutput:
    """The model's maps for ``images[indices]`` (full images, eval mode, on the model's device)."""
    device = next(model.parameters()).device
    model.eval()
    return model.perceive(normalize(load_images(images, np.asarray(indices), device)))


def r_sweep(model: LSENet, class_maps: torch.Tensor, windows: Sequence[int]) -> dict[int, torch.Tensor]:
    """CACPR of ``class_maps`` for each window R (the model's context_op and peak_filter), like Fig2."""
    out = {}
    for r in windows:
        peaks = find_peaks(class_maps, r, model.peak_filter)
        out[r] = context_aware_cpr(class_maps, peaks, r, model.context_op)
    return out


def key_cells(masks: np.ndarray, grid: tuple[int, int]) -> torch.Tensor:
    """B x H x W pixel masks -> B x h x w bool: the map cells that overlap a key pixel."""
    m = torch.from_numpy(np.asarray(masks, dtype=np.float32)).unsqueeze(1)
    return F.adaptive_max_pool2d(m, grid).squeeze(1) > 0


def strongest_cell(maps: torch.Tensor) -> torch.Tensor:
    """B x h x w -> B flat indices of each map's maximum (first in raster order on ties)."""
    return maps.flatten(1).argmax(dim=1)


def peak_hit_rate(model: LSENet, data: PreparedDataset, indices: Sequence[int], batch_size: int = 256):
    """Hit rates of the strongest class-map peak and refined peak on the key objects, and chance."""
    hits_map, hits_refined, chance, n = 0, 0, 0.0, 0
    for batch in index_batches(indices, batch_size, shuffle=False):
        out = perceive(model, data.images, batch)
        y = torch.from_numpy(data.class_idx[batch]).to(out.class_maps.device)
        rows = torch.arange(len(batch), device=y.device)
        class_map = out.class_maps[rows, y]
        refined = (out.cpr * out.attention)[rows, y]
        # Cells without a peak are 0 in the refined map; rank only peaks (a negative peak still counts).
        refined = torch.where(out.peaks[rows, y], refined, torch.full_like(refined, -torch.inf))
        cells = key_cells(data.key_masks[batch], class_map.shape[-2:])
        cells = cells.flatten(1).to(y.device)
        hits_map += int(cells[rows, strongest_cell(class_map)].sum())
        hits_refined += int(cells[rows, strongest_cell(refined)].sum())
        chance += float(cells.float().mean(dim=1).sum())
        n += len(batch)
    return {
        "class_map_peak_hit": hits_map / n,
        "refined_peak_hit": hits_refined / n,
        "chance": chance / n,
        "n_images": n,
    }
