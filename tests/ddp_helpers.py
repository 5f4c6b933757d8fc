"""Run a function on several gloo processes, as torchrun would (for DDP equivalence tests on the CPU)."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from rsrepro.training.distributed import DistContext, init_from_env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank(rank: int, world_size: int, port: int, fn: Callable[..., None], args: tuple) -> None:
    os.environ.update(
        RANK=str(rank), WORLD_SIZE=str(world_size), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port)
    )
    torch.set_num_threads(1)
    context = init_from_env()
    try:
        fn(context, *args)
    finally:
        dist.destroy_process_group()


def run_on_ranks(fn: Callable[[DistContext], None], world_size: int, *args) -> None:
    """``fn(context, *args)`` in ``world_size`` processes joined in one gloo process group."""
    mp.spawn(_rank, args=(world_size, _free_port(), fn, args), nprocs=world_size, join=True)
