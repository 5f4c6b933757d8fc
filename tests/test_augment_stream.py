"""Drawing a batch's random numbers up front leaves every paper's augmentation bit for bit what the
transform-by-transform draws gave (the code before, kept below as the reference), on the same random
stream; reading batches ahead changes neither the batches nor the stream."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rsrepro.dsva.images import draw_augmentation as dsva_draw
from rsrepro.dsva.images import prepare as dsva_prepare
from rsrepro.lsenet.train import apply_augmentation, draw_augmentation
from rsrepro.swan.data import ImagePipeline
from rsrepro.training import augment
from rsrepro.training.batches import read_ahead


# The transforms as they drew their numbers one by one (rsrepro before the draws moved up front).
def _rand(n: int, generator: torch.Generator) -> torch.Tensor:
    return torch.rand(n, generator=generator)


def _flip(x, generator, vertical=False):
    flip = (_rand(len(x), generator) < 0.5).to(x.device).view(-1, 1, 1, 1)
    return torch.where(flip, x.flip(-2 if vertical else -1), x)


def _rot90(x, generator, choices=4):
    ks = torch.randint(choices, (len(x),), generator=generator)
    out = x.clone()
    for k in range(1, 4):
        sel = ((ks % 4) == k).nonzero().flatten().to(x.device)
        if len(sel):
            out[sel] = torch.rot90(x[sel], k, dims=(-2, -1))
    return out


def _crop(x, size, generator):
    b, _, h, w = x.shape
    top = (_rand(b, generator) * (h - size + 1)).long().to(x.device)
    left = (_rand(b, generator) * (w - size + 1)).long().to(x.device)
    rows = (top.view(b, 1) + torch.arange(size)).view(b, 1, size, 1).expand(-1, x.shape[1], -1, w)
    x = x.gather(2, rows)
    cols = (left.view(b, 1) + torch.arange(size)).view(b, 1, 1, size)
    return x.gather(3, cols.expand(-1, x.shape[1], size, -1))


def _brightness(x, delta, generator):
    shift = (_rand(len(x), generator) * 2 - 1).view(-1, 1, 1, 1) * delta
    return (x + shift).clamp_(0, 1)


def _rotation(x, max_degrees, generator, mode):
    return augment.rotate(x, _rand(len(x), generator) * max_degrees, mode)


def _normalize(x, mean=augment.IMAGENET_MEAN, std=augment.IMAGENET_STD):
    return (x - torch.tensor(mean).view(1, -1, 1, 1)) / torch.tensor(std).view(1, -1, 1, 1)


def _lsenet_reference(x, cfg, generator):
    if cfg["crop_size"] < x.shape[-1]:
        x = _crop(x, cfg["crop_size"], generator)
    x = _flip(x, generator)
    x = _flip(x, generator, vertical=True)
    x = _rot90(x, generator, choices=cfg["rot90_choices"])
    if cfg["brightness"] > 0:
        x = _brightness(x, cfg["brightness"], generator)
    return _normalize(x)


def _images(n: int = 24, size: int = 20) -> torch.Tensor:
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(7))


def _assert_same_output_and_stream(reference, ours) -> None:
    """``reference(generator)`` and ``ours(generator)`` give equal tensors and leave equal streams."""
    g_ref, g_ours = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    for _ in range(3):  # several batches in a row
        expected, got = reference(g_ref), ours(g_ours)
        assert torch.equal(expected, got)
    assert torch.equal(g_ref.get_state(), g_ours.get_state())


@pytest.mark.parametrize(
    ("crop_size", "brightness", "rot90_choices"), [(16, 0.0784, 5), (20, 0.0, 4), (12, 0.2, 5)]
)
def test_lsenet_augmentation_is_the_one_before_bit_for_bit(crop_size, brightness, rot90_choices) -> None:
    cfg = {"crop_size": crop_size, "brightness": brightness, "rot90_choices": rot90_choices}
    x = _images()

    def ours(generator):
        return apply_augmentation(x, cfg, draw_augmentation(cfg, x.shape[-1], len(x), generator))

    _assert_same_output_and_stream(lambda g: _lsenet_reference(x, cfg, g), ours)


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_swan_augmentation_is_the_one_before_bit_for_bit(mode: str) -> None:
    cfg = {"resize": 22, "crop": 16, "max_rotation": 90}
    pipeline = ImagePipeline(cfg, torch.device("cpu"), rotation=mode)
    x = _images()

    def reference(generator):
        resized = augment.resize(x, cfg["resize"])
        return _normalize(_crop(_rotation(resized, 90.0, generator, mode), cfg["crop"], generator))

    _assert_same_output_and_stream(reference, lambda g: pipeline.augment(x, pipeline.draw(len(x), g)))


def test_dsva_augmentation_is_the_one_before_bit_for_bit() -> None:
    sizes = {"resize": 22, "crop": 16}
    x = _images()

    def reference(generator):
        return _normalize(
            _flip(_crop(augment.resize(x, sizes["resize"]), sizes["crop"], generator), generator)
        )

    _assert_same_output_and_stream(reference, lambda g: dsva_prepare(x, sizes, dsva_draw(len(x), g)))


def test_uniforms_are_the_numbers_of_one_draw_per_row() -> None:
    for batch in (1, 3, 24, 100, 1000):
        one_by_one = torch.Generator().manual_seed(0)
        expected = torch.stack([torch.rand(batch, generator=one_by_one) for _ in range(5)])
        together = torch.Generator().manual_seed(0)
        assert torch.equal(augment.uniforms(together, 5, batch), expected)
        assert torch.equal(together.get_state(), one_by_one.get_state())


def test_reading_ahead_gives_the_same_batches_and_leaves_the_same_stream() -> None:
    images = np.random.default_rng(0).integers(0, 256, (40, 6, 6, 3), dtype=np.uint8)

    def epoch(ahead: bool) -> tuple[list[torch.Tensor], torch.Tensor]:
        generator = torch.Generator().manual_seed(5)

        def plans():
            for _ in range(7):  # each plan draws: indices, then numbers, as the trainers' plans do
                rows = torch.randperm(40, generator=generator)[:8].numpy()
                yield rows, torch.rand(8, generator=generator)

        def read(plan):
            rows, draws = plan
            return {"images": torch.from_numpy(images[rows]).float(), "draws": draws}

        out = [torch.cat([b["images"].flatten(), b["draws"]]) for b in read_ahead(plans(), read, ahead)]
        return out, generator.get_state()

    (ahead, state_ahead), (inline, state_inline) = epoch(True), epoch(False)
    assert len(ahead) == 7 and all(torch.equal(a, b) for a, b in zip(ahead, inline, strict=True))
    assert torch.equal(state_ahead, state_inline)
