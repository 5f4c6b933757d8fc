"""Run a function on several gloo processes, as torchrun would (for DDP equivalence tests on the CPU)."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from rsrepro.training.distributed import SINGLE_PROCESS, DistContext, init_from_env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank(
    rank: int,
    world_size: int,
    port: int,
    fn: Callable[..., None],
    args: tuple,
    serving: tuple[str, str] | None,
) -> None:
    os.environ.update(
        RANK=str(rank), WORLD_SIZE=str(world_size), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port)
    )
    torch.set_num_threads(1)
    if serving is None:
        context = init_from_env()
    else:
        backend, device = serving
        dist.init_process_group(backend)
        context = DistContext(rank, world_size, rank, torch.device(device))
    try:
        fn(context, *args)
    finally:
        dist.destroy_process_group()


def run_on_ranks(
    fn: Callable[[DistContext], None], world_size: int, *args, serving: tuple[str, str] | None = None
) -> None:
    """``fn(context, *args)`` in ``world_size`` processes joined in one gloo process group (as
    :func:`init_from_env` makes it on the CPU), or ``serving`` = (backend, device): a group made with that
    backend string, whose ranks' device is that device."""
    mp.spawn(_rank, args=(world_size, _free_port(), fn, args, serving), nprocs=world_size, join=True)


def _save_main_rank_step(context: DistContext, step: Callable[..., dict], out: str, args: tuple) -> None:
    state = step(context, *args)
    if context.is_main:
        torch.save(state, out)


def steps_on_two_ranks_and_one(
    step: Callable[..., dict[str, torch.Tensor]], tmp_dir: Path, *args
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """What ``step(context, *args)`` returns (a :func:`step_state`) on two gloo ranks, then in one process."""
    out = tmp_dir / "ddp.pt"
    run_on_ranks(_save_main_rank_step, 2, step, str(out), args)
    return torch.load(out, weights_only=True), step(SINGLE_PROCESS, *args)


def step_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """What one training step left in ``model``: its gradients (``grad.<name>``) and its state dict."""
    grads = {f"grad.{n}": p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return {**grads, **{k: v.clone() for k, v in model.state_dict().items()}}


def assert_same_step(ddp: dict[str, torch.Tensor], single: dict[str, torch.Tensor]) -> None:
    """The DDP run's gradients, weights and buffers equal the single-process run's after one Adam step.

    The two runs sum in different orders: a tensor's entries are compared to within 1e-5 of its largest
    entry, and never tighter than 1e-4 of the model's largest gradient: a gradient that is zero in exact
    arithmetic, such as a bias before a BatchNorm, is a sum of cancelling terms and carries noise up to
    about 1e-5 of it, depending on the thread count (a DDP bug moves gradients by 1e-2 of it and more).
    Adam's step is lr x sign-like for any gradient and turns such noise into a full step, so weights are
    compared where their gradient is well above the noise.
    """
    assert ddp.keys() == single.keys()
    grads = [name for name in single if name.startswith("grad.")]
    assert grads, "the step computed no gradient"
    noise = 1e-4 * max(float(single[name].abs().max()) for name in grads)

    def tolerance(reference: torch.Tensor) -> float:
        return max(noise, 1e-5 * float(reference.abs().max())) if reference.numel() else noise

    def assert_close(a: torch.Tensor, b: torch.Tensor, name: str) -> None:
        torch.testing.assert_close(a, b, rtol=0, atol=tolerance(b), msg=lambda m: f"{name}: {m}")

    for name in grads:
        assert_close(ddp[name], single[name], name)
        real = single[name].abs() > 10 * tolerance(single[name])  # its sign survives the float noise
        weight = name.removeprefix("grad.")
        assert_close(ddp[weight][real], single[weight][real], weight)
    for name in single.keys() - {g.removeprefix("grad.") for g in grads} - set(grads):
        assert_close(ddp[name], single[name], name)  # buffers, e.g. BatchNorm's running statistics
