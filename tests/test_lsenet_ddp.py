"""LSE-Net under DDP on the CPU: two gloo processes take the same optimiser step as one process.

The real model (small backbone with BN, context extractor, class maps, peaks, CACPR, attention, logit BN)
and the real step (cross-entropy plus the conv-weight penalty, which a rank must not scale by its share
of the batch). BatchNorm uses the global batch's statistics, so the running statistics match as well.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from rsrepro.lsenet.train import build_from_config, train_step
from rsrepro.training.distributed import DistContext, GlobalBatchNorm, wrap
from tests.ddp_helpers import assert_same_step, step_state, steps_on_two_ranks_and_one

ROOT = Path(__file__).resolve().parents[1]
LSENET = yaml.safe_load((ROOT / "params.yaml").read_text())["lsenet"]
MODEL = {**LSENET["model"], "width": 16}
TRAIN = {**LSENET["train"], "weight_decay": 0.01, "amp": False, "channels_last": False}
GLOBAL_BATCH, CLASSES = 7, 4  # uneven on two ranks: 4 + 3


def _one_step(context: DistContext) -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    model = build_from_config(MODEL, CLASSES, "full")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(1)
    x = torch.rand(GLOBAL_BATCH, 3, 32, 32, generator=generator)
    y = torch.randint(CLASSES, (GLOBAL_BATCH,), generator=generator)
    net = wrap(model, context)
    assert context.enabled == any(isinstance(m, GlobalBatchNorm) for m in model.modules())
    train_step(model, net, optimizer, x, y, TRAIN, context)
    return step_state(model)


@pytest.mark.slow
def test_two_gloo_processes_take_the_single_process_step(tmp_path: Path) -> None:
    ddp, single = steps_on_two_ranks_and_one(_one_step, tmp_path)
    assert_same_step(ddp, single)
    assert single["logit_bn.running_mean"].abs().sum() > 0  # the BN statistics moved
    assert single["grad.attention.weight"].abs().sum() > 0  # gradients reach the attention branch
