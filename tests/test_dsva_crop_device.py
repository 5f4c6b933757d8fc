"""DSVA's crop on the device (no host copy of the attention masks, one batched resampling) against the CPU
path, which the released-code tests check (tests/test_dsva_released.py): the same boxes on many maps,
ties, empty, full and adversarial masks included, and the same crops to float rounding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import ndimage

from rsrepro.models.dsva import (
    attention_boxes,
    attention_masks,
    component_roots,
    crop_and_resize,
    largest_component_box,
    largest_component_boxes,
    resize_boxes,
)
from tests.released_dsva import shared

torch.set_num_threads(1)
GROUPS = list(shared.GROUPS.values())


def _scipy_boxes(masks: torch.Tensor) -> np.ndarray:
    return np.array([largest_component_box(m) for m in masks.numpy()])


def _snake(h: int, w: int) -> np.ndarray:
    """One 8-connected path through every other row, turning at alternate ends (the longest chain)."""
    mask = np.zeros((h, w), dtype=bool)
    mask[::2] = True
    for row in range(1, h, 2):
        mask[row, w - 1 if row % 4 == 1 else 0] = True
    return mask


def _zigzag(h: int, w: int) -> np.ndarray:
    """Diagonal steps only: components that 4-connectivity would split pixel by pixel."""
    mask = np.zeros((h, w), dtype=bool)
    for row in range(h):
        mask[row, row % (2 * w - 2) if row % (2 * w - 2) < w else 2 * w - 2 - row % (2 * w - 2)] = True
    return mask


def _special_masks(h: int, w: int) -> np.ndarray:
    tie = np.zeros((h, w), dtype=bool)
    tie[2:5, w - 6 : w - 3] = True  # two 9-pixel squares: the first in raster order wins
    tie[h - 6 : h - 3, 1:4] = True
    single = np.zeros((h, w), dtype=bool)
    single[h // 2, w // 3] = True
    snake = _snake(h, w)
    crosswise = np.rot90(_snake(w, h))
    return np.stack([np.zeros((h, w), bool), np.ones((h, w), bool), tie, single, snake, crosswise, ~snake,
                     _zigzag(h, w)])  # fmt: skip


@pytest.mark.parametrize("shape", [(40, 40), (33, 47)])
def test_component_roots_are_scipys_components(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(1)
    masks = np.concatenate(
        [rng.random((12, *shape)) < p for p in (0.3, 0.55, 0.7)] + [_special_masks(*shape)]
    )
    roots = component_roots(torch.from_numpy(masks)).numpy()
    for mask, root in zip(masks, roots, strict=True):
        labels, n = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))
        labels = labels.ravel()
        assert (root[labels == 0] == mask.size).all()
        for label in range(1, n + 1):
            members = np.flatnonzero(labels == label)
            assert (root[members] == members.min()).all()


def test_a_long_snake_at_the_papers_size_is_one_component() -> None:
    snake = torch.from_numpy(np.stack([_snake(224, 224), _zigzag(224, 224)]))
    roots = component_roots(snake)
    assert (roots[snake.flatten(1)] == 0).all()
    assert largest_component_boxes(snake).tolist() == [[0, 0, 224, 224], [0, 0, 224, 224]]


@pytest.mark.parametrize("shape", [(40, 40), (33, 47)])
def test_device_boxes_are_the_cpu_boxes_on_random_and_special_masks(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(2)
    smooth = F.interpolate(torch.from_numpy(rng.random((48, 1, 5, 5))).float(), shape, mode="bilinear")[:, 0]
    masks = torch.cat(
        [
            smooth > smooth.mean((1, 2), keepdim=True),  # blobs, as attention masks are
            torch.from_numpy(rng.random((24, *shape)) < 0.5),
            torch.from_numpy(_special_masks(*shape)),
        ]
    )
    boxes = largest_component_boxes(masks)
    assert boxes.dtype == torch.int64
    np.testing.assert_array_equal(boxes.numpy(), _scipy_boxes(masks))


def _attention(n: int, grid: int, attributes: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    maps = torch.randn(n, attributes, grid, grid, generator=generator)
    attr = torch.randn(n, attributes, generator=generator)
    maps[0] = 1.0  # constant maps: NaN after min-max, an empty mask, the whole image
    attr[1] = 0.5  # every attribute tied: the first of each group is picked
    maps[2, :, 4:] = maps[2, :, :3].flip(1)  # mirrored halves: components of equal size
    return maps, attr


def test_device_path_finds_the_cpu_paths_boxes_on_attention_maps() -> None:
    maps, attr = _attention(64, 7, 12, seed=0)
    groups = [[0, 3, 5, 9], [1, 2, 4], [6, 7, 8, 10, 11]]
    for size, threshold in ((56, 1.0), (40, 0.8), (33, 1.3)):
        cpu = attention_boxes(maps, attr, groups, threshold, size)
        device = largest_component_boxes(attention_masks(maps, attr, groups, threshold, size))
        assert torch.equal(device, cpu)
        assert cpu[0].tolist() == [0, 0, size, size]


def test_device_path_finds_the_released_codes_boxes() -> None:
    with np.load(Path(__file__).parent / "released_dsva" / "golden.npz") as golden:
        expected = golden["box_boxes"]
    _, maps, attributes = shared.box_case()
    masks = attention_masks(maps, attributes, GROUPS, 1.0, shared.SIZE)
    np.testing.assert_array_equal(largest_component_boxes(masks).numpy(), expected)


def test_batched_resampling_matches_one_interpolate_per_crop() -> None:
    generator = torch.Generator().manual_seed(3)
    for size in (224, 40, 33):
        x = torch.randn(32, 3, size, size, generator=generator)
        top, left = torch.randint(0, size - 1, (2, 32), generator=generator)
        bottom = torch.minimum(
            top + 1 + torch.randint(0, size, (32,), generator=generator), torch.tensor(size)
        )
        right = torch.minimum(
            left + 1 + torch.randint(0, size, (32,), generator=generator), torch.tensor(size)
        )
        boxes = torch.stack([top, left, bottom, right], 1)
        boxes[0] = torch.tensor([0, 0, size, size])  # the whole image: the identity
        boxes[1] = torch.tensor([5, 7, 6, 8])  # one pixel: a constant crop
        boxes[2] = torch.tensor([0, 3, size, 5])  # two columns
        per_crop = crop_and_resize(x, boxes)  # the CPU path: one F.interpolate per crop
        batched = resize_boxes(x, boxes)
        torch.testing.assert_close(batched, per_crop, rtol=0, atol=2e-6)
        assert torch.equal(batched[0], x[0])
