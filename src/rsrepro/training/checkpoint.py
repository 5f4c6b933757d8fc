"""Resumable training: an epoch loop that checkpoints everything at epoch ends, by time.

``last.pt`` is written at the first epoch end after ``checkpoint_s`` seconds since the previous one (0:
every epoch) and after the last epoch. An interrupted job rerun by Snakemake (or by hand) continues from
the epoch of its last checkpoint with the same model, optimiser, scheduler, RNG states and history, so the
result equals an uninterrupted run (the epochs since are trained again, to the same numbers).

Training does not wait for the disk: a checkpoint's state is copied to host memory (on a GPU, queued
behind the training step as an asynchronous copy into pinned memory), and a background thread waits for
the copy and writes it, while the next epoch trains.
"""

from __future__ import annotations

import copy
import logging
import random
import shutil
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from rsrepro.io import atomic_path
from rsrepro.training.distributed import SINGLE_PROCESS, DistContext, barrier

log = logging.getLogger(__name__)


class Stateful(Protocol):
    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> Any: ...


def fresh_checkpoint_dir(directory: str | Path, key: str, context: DistContext = SINGLE_PROCESS) -> Path:
    """The checkpoint folder of a run identified by ``key`` (:func:`rsrepro.training.run.run_fingerprint`).

    Checkpoints left by a run with another key are deleted: a job rerun after an interruption
    resumes, but a job rerun because its settings, inputs or code changed starts afresh instead of
    resuming stale state. In a DDP run the main rank prepares the folder while the others wait.
    """
    directory = Path(directory)
    stamp = directory / "fingerprint.txt"
    if context.is_main:
        if directory.exists() and (not stamp.is_file() or stamp.read_text() != key):
            log.info(
                "settings, inputs or code changed since %s was written: training from scratch", directory
            )
            shutil.rmtree(directory)
        directory.mkdir(parents=True, exist_ok=True)
        stamp.write_text(key)
    barrier(context)
    return directory


def save_torch(obj: Any, path: str | Path) -> None:
    """torch.save, atomically (a crash mid-write leaves the previous file intact). Through an open file:
    given a path, torch names the archive's records after the (temporary, random) file name, so the same
    weights would never give the same bytes."""
    with atomic_path(path, ".pt") as tmp, tmp.open("wb") as handle:
        torch.save(obj, handle)


def load_torch(path: str | Path, map_location: str | torch.device = "cpu") -> Any:
    """torch.load with ``weights_only=True``: checkpoints cannot execute code when loaded."""
    return torch.load(path, map_location=map_location, weights_only=True)


def _rng_state(generator: torch.Generator | None) -> dict[str, Any]:
    _, keys, pos, *_ = np.random.get_state()
    state = {
        "torch": torch.get_rng_state(),
        "python": list(random.getstate()[1]),
        "numpy": (torch.from_numpy(keys.astype(np.int64)), int(pos)),
    }
    if generator is not None:
        state["generator"] = generator.get_state()
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _restore_rng(state: dict[str, Any], generator: torch.Generator | None) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate((3, tuple(int(v) for v in state["python"]), None))
    keys, pos = state["numpy"]
    np.random.set_state(("MT19937", keys.numpy().astype(np.uint32), pos, 0, 0.0))
    if generator is not None and "generator" in state:
        generator.set_state(state["generator"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def host_copy(state: Any) -> Any:
    """A copy of ``state`` (nested dicts, lists and tuples of tensors and plain values) in host memory that
    training can no longer change. GPU tensors are copied asynchronously into pinned memory: the copies
    run in stream order, after the work queued so far; wait for them before reading
    (:class:`CheckpointWriter` does)."""
    if isinstance(state, torch.Tensor):
        if state.device.type == "cpu":
            return state.detach().clone()
        host = torch.empty_like(state, device="cpu", pin_memory=True)
        return host.copy_(state.detach(), non_blocking=True)
    if isinstance(state, dict):
        return {key: host_copy(value) for key, value in state.items()}
    if isinstance(state, list | tuple):
        return type(state)(host_copy(value) for value in state)
    return copy.deepcopy(state)


class CheckpointWriter:
    """Writes host copies with :func:`save_torch` in a background thread, one at a time, in order.

    ``wait`` returns when every write so far is done (the loop waits before an epoch's writes, so at most
    one epoch's copies are held besides the live state) and raises the error of one that failed; ``close``
    waits too, so an interrupted run leaves whole files."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checkpoint-writer")
        self._pending: list[Future[None]] = []

    def write(self, state: Any, path: Path) -> None:
        copied = host_copy(state)
        ready = torch.cuda.Event() if torch.cuda.is_available() else None
        if ready is not None:
            ready.record()  # after the copies: the thread waits for it, the training step does not

        def save() -> None:
            if ready is not None:
                ready.synchronize()
            save_torch(copied, path)

        self._pending.append(self._pool.submit(save))

    def wait(self) -> None:
        pending, self._pending = self._pending, []
        for write in pending:
            write.result()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._pool.shutdown()


@dataclass
class EpochLoop:
    """Run ``n_epochs`` of ``train_epoch(epoch) -> metrics``, optionally ``validate(epoch) -> metrics``.

    ``components`` are everything with state (model, optimiser, scheduler...). After each epoch the loop
    appends ``{"epoch", **train, **val, "seconds"}`` (``seconds``: the epoch's wall time) to ``history``;
    when ``select`` names a validation metric that improved (higher is better), it writes ``best.pt``
    (weights of ``components["model"]`` only); and every ``checkpoint_s`` seconds (0: every epoch) and
    after the last epoch, ``last.pt`` (all state). Writes go through a :class:`CheckpointWriter`.
    """

    directory: Path
    components: dict[str, Stateful]
    generator: torch.Generator | None = None
    select: str | None = None
    history: list[dict[str, float]] = field(default_factory=list)
    save: bool = True  # False on the non-main ranks of a DDP run: one process writes
    checkpoint_s: float = 0.0

    @property
    def last_path(self) -> Path:
        return Path(self.directory) / "last.pt"

    @property
    def best_path(self) -> Path:
        return Path(self.directory) / "best.pt"

    def _resume(self) -> int:
        if not self.last_path.exists():
            return 0
        state = load_torch(self.last_path)
        for name, component in self.components.items():
            component.load_state_dict(state["components"][name])
        _restore_rng(state["rng"], self.generator)
        self.history = state["history"]
        log.info("resumed from %s after epoch %d", self.last_path, state["epoch"])
        return state["epoch"] + 1

    def best_value(self) -> float:
        values = [h[self.select] for h in self.history if self.select in h]
        return max(values) if values else -float("inf")

    def _state(self, epoch: int) -> dict[str, Any]:
        return {
            "epoch": epoch,
            "components": {name: c.state_dict() for name, c in self.components.items()},
            "rng": _rng_state(self.generator),
            "history": self.history,
        }

    def run(
        self,
        n_epochs: int,
        train_epoch: Callable[[int], dict[str, float]],
        validate: Callable[[int], dict[str, float]] | None = None,
    ) -> list[dict[str, float]]:
        start = self._resume()
        writer = CheckpointWriter()
        saved_at = time.monotonic()
        try:
            for epoch in range(start, n_epochs):
                started = time.perf_counter()
                record = {"epoch": epoch, **train_epoch(epoch)}
                if validate is not None:
                    record.update(validate(epoch))
                record["seconds"] = time.perf_counter() - started
                improved = self.select is not None and record[self.select] > self.best_value()
                self.history.append(record)
                log.info("epoch %d: %s", epoch, {k: round(v, 4) for k, v in record.items()})
                if not self.save:
                    continue
                writer.wait()
                # best.pt first: a crash between the two writes then leaves a best.pt at least as new as
                # last.pt's history, and the epochs trained again reproduce it.
                if improved:
                    best = {"epoch": epoch, "model": self.components["model"].state_dict()}
                    writer.write(best, self.best_path)
                if epoch == n_epochs - 1 or time.monotonic() - saved_at >= self.checkpoint_s:
                    writer.write(self._state(epoch), self.last_path)
                    saved_at = time.monotonic()
        finally:
            writer.close()
        return self.history
