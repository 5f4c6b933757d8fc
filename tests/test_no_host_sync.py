"""A training step never waits for the device: each paper's epoch of steps (batch reading, augmentation,
the step, the running sums) runs with its device tensors on PyTorch's meta device, which holds no data.
Any read of a device value on the host (``.item()``, ``float()``, a mask's count, a copy back to the CPU),
each a host sync on a GPU, raises there. With a GPU at hand, the last test makes CUDA itself refuse
every synchronising call during the steps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from rsrepro.dsva.train import epoch_steps as dsva_epoch_steps
from rsrepro.lsenet.train import build_from_config
from rsrepro.lsenet.train import epoch_steps as lsenet_epoch_steps
from rsrepro.models.dsva import dsva, patch_vit
from rsrepro.models.swan import swan_embedded
from rsrepro.swan.data import CaptionSet, ImagePipeline
from rsrepro.swan.train import epoch_steps as swan_epoch_steps
from tests.dsva_tiny import GROUPS, TRAIN

torch.set_num_threads(1)
REPO = Path(__file__).resolve().parents[1]
PARAMS = yaml.safe_load((REPO / "params.yaml").read_text())


class Images:
    """What the steps read of a prepared dataset: its image cache and labels (zeros: no value is used)."""

    def __init__(self, n: int, size: int, classes: int) -> None:
        self.images = np.zeros((n, size, size, 3), dtype=np.uint8)
        self.class_idx = np.arange(n) % classes


def _lsenet_epoch(device: torch.device) -> None:
    cfg = {**PARAMS["lsenet"]["train"], "batch_size": 8, "crop_size": 40}
    model = build_from_config({**PARAMS["lsenet"]["model"], "width": 16}, 4, "full").to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(0)
    sums, clock, _ = lsenet_epoch_steps(
        model, model, optimizer, Images(24, 48, 4), np.arange(24), cfg, device, generator
    )
    assert clock.all_samples == 24 and {t.device for t in sums.sums.values()} == {device}


def _swan_epoch(device: torch.device, faithful: bool) -> None:
    tokens = [[1 + (i + k) % 12 for k in range(3 + i % 5)] for i in range(20)]  # lengths 3..7
    captions = CaptionSet(np.arange(10), tokens, np.repeat(np.arange(10), 2))
    model = swan_embedded(13, faithful=faithful, train_backbone=False).to(device)
    optimizer = torch.optim.Adam(model.trainable_parameters(), lr=1e-3)
    cfg = {**PARAMS["swan"]["train"], "batch_size": 8, "captions_per_image": "all", "amp": False}
    pipeline = ImagePipeline({"resize": 36, "crop": 32, "max_rotation": 90}, device, "nearest")
    generator = torch.Generator().manual_seed(0)
    sums, clock, steps = swan_epoch_steps(
        model, optimizer, Images(10, 32, 1), captions, pipeline, cfg, generator
    )
    assert (clock.all_samples, steps) == (20, 3) and sums.sums["loss"].device == device


def _dsva_epoch(device: torch.device, crop: bool) -> None:
    tower = patch_vit(image_size=28, patch_size=4, dim=32, depth=2, heads=2)
    model = dsva(tower, 8, list(GROUPS.values()), crop=crop).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    cfg = {**TRAIN, "image": {"resize": 32, "crop": 28}, "batches_per_epoch": 3, "ways": 2, "shots": 3}
    cfg["loss"] = {**TRAIN["loss"], "cpt": 0.1, "regular": 0.01, "l_regular": 0.01}
    matrix = torch.rand(4, 8).to(device)
    images = np.arange(24)
    sums, clock = dsva_epoch_steps(
        model, model, optimizer, Images(24, 32, 4), images, images % 4, matrix, cfg, False, device,
        torch.Generator().manual_seed(0),
    )  # fmt: skip
    assert clock.all_samples == 18 and {"loss", "cpt", "lasso_head"} <= sums.sums.keys()


META = torch.device("meta")


def test_lsenet_steps_read_nothing_back() -> None:
    _lsenet_epoch(META)


@pytest.mark.parametrize("faithful", [True, False])
def test_swan_steps_read_nothing_back(faithful: bool) -> None:
    _swan_epoch(META, faithful)


@pytest.mark.parametrize("crop", [True, False])
def test_dsva_steps_read_nothing_back_crop_branch_included(crop: bool) -> None:
    _dsva_epoch(META, crop)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA's synchronisation check needs a GPU")
def test_on_a_gpu_no_step_synchronises() -> None:
    cuda = torch.device("cuda")
    for epoch in (
        lambda: _lsenet_epoch(cuda),
        lambda: _swan_epoch(cuda, True),
        lambda: _dsva_epoch(cuda, True),
    ):
        epoch()  # a first epoch: CUDA's and cuDNN's one-time set-up may synchronise
        torch.cuda.set_sync_debug_mode("error")
        try:
            epoch()
        finally:
            torch.cuda.set_sync_debug_mode("default")
