"""Resumable training: an epoch loop that checkpoints everything after every epoch.

An interrupted job rerun by Snakemake (or by hand) continues from the last finished epoch with the
same model, optimiser, scheduler, RNG states and history, so the result equals an uninterrupted run.
"""

from __future__ import annotations

import logging
import random
import shutil
import time
from collections.abc import Callable
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


@dataclass
class EpochLoop:
    """Run ``n_epochs`` of ``train_epoch(epoch) -> metrics``, optionally ``validate(epoch) -> metrics``.

    ``components`` are everything with state (model, optimiser, scheduler...). After each epoch the loop
    appends ``{"epoch", **train, **val, "seconds"}`` (``seconds``: the epoch's wall time) to ``history``,
    saves ``last.pt`` (all state) and, when
    ``select`` names a validation metric that improved (higher is better), ``best.pt`` (weights of
    ``components["model"]`` only).
    """

    directory: Path
    components: dict[str, Stateful]
    generator: torch.Generator | None = None
    select: str | None = None
    history: list[dict[str, float]] = field(default_factory=list)
    save: bool = True  # False on the non-main ranks of a DDP run: one process writes

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

    def run(
        self,
        n_epochs: int,
        train_epoch: Callable[[int], dict[str, float]],
        validate: Callable[[int], dict[str, float]] | None = None,
    ) -> list[dict[str, float]]:
        start = self._resume()
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
            if improved:
                save_torch({"epoch": epoch, "model": self.components["model"].state_dict()}, self.best_path)
            save_torch(
                {
                    "epoch": epoch,
                    "components": {name: c.state_dict() for name, c in self.components.items()},
                    "rng": _rng_state(self.generator),
                    "history": self.history,
                },
                self.last_path,
            )
        return self.history
