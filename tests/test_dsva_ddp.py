"""DSVA under DDP on the CPU: two gloo processes take the same optimiser step as one process.

The real model (patch ViT tower, prototypes, attribute head) and the real loss, including the
compactness term and the group-lasso penalties that a rank must not scale by its share of the batch.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from rsrepro.dsva.train import train_step
from rsrepro.models.dsva import DSVA, dsva, patch_vit
from rsrepro.training.distributed import DistContext, wrap
from tests.ddp_helpers import assert_same_step, step_state, steps_on_two_ranks_and_one
from tests.dsva_tiny import GROUPS, TRAIN

CFG = {**TRAIN, "faithful": False, "loss": {**TRAIN["loss"], "cpt": 0.1, "regular": 0.01, "l_regular": 0.01}}
GLOBAL_BATCH = 7  # uneven on two ranks: 4 + 3


def _model() -> DSVA:
    torch.manual_seed(0)
    tower = patch_vit(image_size=28, patch_size=4, dim=32, depth=2, heads=2)
    return dsva(tower, n_attributes=8, groups=list(GROUPS.values()), crop=False)


def _batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(GLOBAL_BATCH, 3, 28, 28, generator=generator)
    y = torch.randint(4, (GLOBAL_BATCH,), generator=generator)
    return x, y, torch.rand(4, 8, generator=generator)


def _one_step(context: DistContext) -> dict[str, torch.Tensor]:
    model = _model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))
    x, y, matrix = _batch()
    train_step(model, wrap(model, context), optimizer, x, y, matrix, CFG, False, context)
    return step_state(model)


@pytest.mark.slow
def test_two_gloo_processes_take_the_single_process_step(tmp_path: Path) -> None:
    ddp, single = steps_on_two_ranks_and_one(_one_step, tmp_path)
    assert_same_step(ddp, single)
    before = _model().state_dict()
    assert not torch.equal(single["prototypes"], before["prototypes"])  # the step moved the weights
    assert single["grad.prototypes"].abs().sum() > 0
