"""SWAN under DDP on the CPU: two gloo processes take the same optimiser step as one process.

The real model and loss: each rank encodes its slice of the pairs, the two-way hinge loss ranks every
pair against the whole batch's negatives (embeddings gathered with gradients), and every BatchNorm,
the text side's masked ones and the faithful variant's train-mode frozen backbone included, normalises
with the global batch's statistics. Dropout is switched off: its masks are per-rank random draws, equal
to one process's in distribution only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from rsrepro.models.swan import swan_embedded
from rsrepro.swan.data import pad_tokens
from rsrepro.swan.train import train_step
from rsrepro.training.distributed import DistContext, wrap
from tests.ddp_helpers import assert_same_step, step_state, steps_on_two_ranks_and_one

VOCAB, GLOBAL_BATCH = 30, 7  # uneven on two ranks: 4 + 3


def _batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    lengths = torch.randint(2, 9, (GLOBAL_BATCH,), generator=generator).tolist()
    tokens = [torch.randint(1, VOCAB, (n,), generator=generator).tolist() for n in lengths]
    return (torch.randn(GLOBAL_BATCH, 3, 32, 32, generator=generator), *pad_tokens(tokens))


def _one_step(context: DistContext, faithful: bool, max_violation: bool) -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    model = swan_embedded(VOCAB, faithful=faithful, train_backbone=False)
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    model.train()
    optimizer = torch.optim.Adam(model.trainable_parameters(), lr=1e-3)
    cfg = {"margin": 0.2, "max_violation": max_violation, "amp": False}
    train_step(wrap(model, context), optimizer, *_batch(), cfg, context)
    return step_state(model)


@pytest.mark.slow
@pytest.mark.parametrize(("faithful", "max_violation"), [(True, False), (False, True)])
def test_two_gloo_processes_take_the_single_process_step(
    tmp_path: Path, faithful: bool, max_violation: bool
) -> None:
    ddp, single = steps_on_two_ranks_and_one(_one_step, tmp_path, faithful, max_violation)
    assert_same_step(ddp, single)
    assert single["grad.text.phrases.0.bn.weight"].abs().sum() > 0 or faithful  # masked BN learns
    assert single["grad.image.aggregate.0.weight"].abs().sum() > 0
    assert any(k.startswith("image.backbone.") and k.endswith("running_mean") for k in single)
