"""DDP equivalence on CPU: two gloo processes take the same step as one process on the whole batch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from rsrepro.training.distributed import (
    DistContext,
    mean_loss_weight,
    shard,
    wrap,
)
from tests.ddp_helpers import run_on_ranks

GLOBAL_BATCH = np.arange(9)  # uneven on two ranks: 5 + 4


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))


def _data() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    return torch.randn(10, 4, generator=generator), torch.randn(10, 1, generator=generator)


def _step(model: torch.nn.Module, rows: np.ndarray, context: DistContext | None = None) -> torch.nn.Module:
    x, y = _data()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    weight = mean_loss_weight(len(rows), len(GLOBAL_BATCH), context) if context else 1.0
    loss = weight * torch.nn.functional.mse_loss(model(x[rows]), y[rows])
    loss.backward()
    optimizer.step()
    return model


def _worker(context: DistContext, out: str) -> None:
    model = wrap(_model(), context)
    _step(model, shard(GLOBAL_BATCH, context), context)
    if context.is_main:
        torch.save(model.module.state_dict(), out)


@pytest.mark.slow
def test_two_gloo_processes_match_one_process(tmp_path: Path) -> None:
    out = tmp_path / "ddp.pt"
    run_on_ranks(_worker, 2, str(out))
    single = _step(_model(), GLOBAL_BATCH).state_dict()
    ddp = torch.load(out, weights_only=True)
    for name, value in single.items():
        torch.testing.assert_close(ddp[name], value, rtol=1e-5, atol=1e-6)
    assert not torch.equal(single["0.weight"], _model().state_dict()["0.weight"])  # the step moved weights


def test_shards_partition_the_global_batch() -> None:
    parts = [shard(GLOBAL_BATCH, DistContext(rank, 3)) for rank in range(3)]
    assert [len(p) for p in parts] == [3, 3, 3]
    assert np.concatenate(parts).tolist() == GLOBAL_BATCH.tolist()
