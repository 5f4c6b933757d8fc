"""DDP equivalence on CPU: two gloo processes take the same step as one process on the whole batch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist

from rsrepro.training.distributed import (
    DistContext,
    GlobalBatchNorm,
    barrier,
    gather_shards,
    global_moments,
    mean_loss_weight,
    mean_over_ranks,
    seed_rank_stream,
    shard,
    shard_rows,
    with_global_batchnorm,
    wrap,
)
from tests.ddp_helpers import assert_same_step, run_on_ranks, step_state, steps_on_two_ranks_and_one

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


def _bn_model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3),
        torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(36, 5),
    )


def _images() -> torch.Tensor:
    return torch.randn(len(GLOBAL_BATCH), 3, 5, 5, generator=torch.Generator().manual_seed(2))


def _in_batch_step(context: DistContext) -> dict:
    """A contrastive-style step: BN statistics and the loss's negatives both span the global batch."""
    model = _bn_model()
    net = wrap(model, context)
    assert isinstance(model[1], GlobalBatchNorm) == context.enabled
    x = _images()
    rows = shard_rows(len(x), context)
    embeddings = gather_shards(net(x[rows]), len(x), context)
    loss = torch.nn.functional.cross_entropy(embeddings @ embeddings.T, torch.arange(len(x)))
    loss.backward()
    torch.optim.SGD(model.parameters(), lr=0.1).step()
    return step_state(model)


@pytest.mark.slow
def test_global_batchnorm_and_gathered_loss_match_one_process(tmp_path: Path) -> None:
    ddp, single = steps_on_two_ranks_and_one(_in_batch_step, tmp_path)
    assert_same_step(ddp, single)
    assert single["1.num_batches_tracked"] == 1 and single["1.running_var"].ne(1).all()  # stats moved


def test_global_batchnorm_keeps_parameters_and_state_keys() -> None:
    model = _bn_model()
    bn = model[1]
    converted = with_global_batchnorm(model)
    assert converted is model and isinstance(model[1], GlobalBatchNorm)
    assert model[1].weight is bn.weight and model[1].running_mean is bn.running_mean
    plain = _bn_model()
    plain.load_state_dict(model.state_dict())  # a DDP run's checkpoint loads into the plain model
    x = _images()
    torch.testing.assert_close(model(x), plain(x))  # one process: the plain BatchNorm computation


def test_ranks_draw_their_own_dropout_stream_and_a_resumed_epoch_redraws_it() -> None:
    def draws(rank: int, epoch: int) -> torch.Tensor:
        torch.manual_seed(0)  # what seed_everything leaves on every rank
        seed_rank_stream(0, epoch, DistContext(rank, 2))
        return torch.rand(4)

    torch.manual_seed(0)
    single_process = torch.rand(4)
    assert torch.equal(draws(0, 3), single_process)  # the main rank keeps the single-process stream
    assert not torch.equal(draws(1, 3), draws(0, 3))
    assert not torch.equal(draws(1, 3), draws(1, 4))
    assert torch.equal(draws(1, 3), draws(1, 3))


def _moments_with_an_empty_rank(context: DistContext, out: str) -> None:
    x = torch.randn(5, 3, 2, generator=torch.Generator().manual_seed(3))
    mean, var, count = global_moments(x if context.rank == 0 else x[:0])  # e.g. a masked BN's tokens
    if context.is_main:
        torch.save({"mean": mean, "var": var, "count": count}, out)


@pytest.mark.slow
def test_global_moments_weigh_ranks_by_count_even_an_empty_one(tmp_path: Path) -> None:
    run_on_ranks(_moments_with_an_empty_rank, 2, str(tmp_path / "moments.pt"))
    got = torch.load(tmp_path / "moments.pt", weights_only=True)
    x = torch.randn(5, 3, 2, generator=torch.Generator().manual_seed(3))
    var, mean = torch.var_mean(x, (0, 2), correction=0)
    torch.testing.assert_close(got["mean"], mean)
    torch.testing.assert_close(got["var"], var)
    assert got["count"].item() == 10


def _every_collective(context: DistContext, out: str) -> None:
    with pytest.raises(RuntimeError, match="device type cpu"):
        dist.all_reduce(torch.ones(1))  # the group serves no CPU tensor, as NCCL
    barrier(context)
    means = mean_over_ranks(torch.ones(3, dtype=torch.float64, device=context.device), context)
    rows = torch.ones(5 - context.rank, 3, device=context.device, requires_grad=True)  # uneven: 5 + 4
    gathered = gather_shards(rows, 9, context)
    mean, var, count = global_moments(torch.ones(4, 3, 2, device=context.device))
    assert {t.device for t in (means, gathered, mean, var, count)} == {context.device}
    assert gathered.shape == (9, 3) and means.shape == (3,)
    Path(f"{out}{context.rank}").touch()


@pytest.mark.slow
def test_every_collective_runs_on_the_device_the_group_serves(tmp_path: Path) -> None:
    """NCCL serves CUDA tensors only: a collective on a CPU tensor fails there. A gloo group made for the
    meta device alone fails the same way on a CPU, so the DDP path's collectives (the epoch's means,
    the barrier, the gathers of SWAN's loss and of global BatchNorm) run here on the ranks' device."""
    run_on_ranks(_every_collective, 2, str(tmp_path / "rank"), serving=("meta:gloo", "meta"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rank0", "rank1"]
