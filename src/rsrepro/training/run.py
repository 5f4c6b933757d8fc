"""The run contract: what every paper's training run writes, and when its checkpoints may be resumed.

A training job writes, for one run of one paper (the rule passes each path)::

    model.pt          the selected weights with all it takes to rebuild the model (:func:`save_model`)
    history.json      {"paper", "variant", "run", "selection", "selected_epoch", "epochs": [{"epoch", ...}]}
    test_outputs.npz  the selected model's outputs on the test images (logits, embeddings, scores ...)

and the paper's evaluation job turns ``test_outputs.npz`` into ``metrics.json`` with NumPy alone, so a
change of a metric reruns the evaluation, never the training. ``run`` in the history describes the run
(dataset, split seed, sizes, device) for the evaluation and the reports.

While a job trains, its checkpoint folder (beside the outputs) holds ``last.pt``, the selection's
``best.pt`` and ``fingerprint.txt``; a finished run removes it, so DVC never stores a checkpoint. The
fingerprint (:func:`run_fingerprint`) is what a checkpoint must match to be resumed: the paper, the variant,
every model and schedule setting, the split's images, the prepared dataset's content digest and the syntax
of the code the trainer runs (:mod:`rsrepro.codegraph`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rsrepro import codegraph
from rsrepro.errors import RsreproError
from rsrepro.io import atomic_path, read_json, write_json

if TYPE_CHECKING:
    import torch

    from rsrepro.data.prepared import PreparedDataset
    from rsrepro.training.precision import Precision

MODEL_FORMAT = 1


@dataclass(frozen=True)
class RunOutputs:
    """Where a training job writes (each path given by its rule)."""

    model: Path
    history: Path
    test_outputs: Path
    checkpoints: Path

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--model", type=Path, required=True, help="model.pt to write")
        parser.add_argument("--history", type=Path, required=True, help="history.json to write")
        parser.add_argument("--test-outputs", type=Path, required=True, help="test_outputs.npz to write")
        parser.add_argument("--checkpoints", type=Path, required=True, help="checkpoint folder (resume)")

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> RunOutputs:
        return cls(args.model, args.history, args.test_outputs, args.checkpoints)

    @classmethod
    def in_folder(cls, folder: str | Path) -> RunOutputs:
        """The files in one run folder, as the workflow lays them out."""
        folder = Path(folder)
        return cls(
            folder / "model.pt", folder / "history.json", folder / "test_outputs.npz", folder / "checkpoints"
        )


def run_fingerprint(
    paper: str,
    variant: str,
    settings: dict[str, Any],
    split: dict[str, Any],
    data: PreparedDataset,
    trainer: str,
    inputs: Sequence[str | Path] = (),
) -> str:
    """Hash of everything a run's result depends on: ``settings`` (every model and schedule parameter),
    ``split`` (its index lists), ``data``'s content digest, the code of the module ``trainer`` and what
    it imports, and the bytes of further ``inputs`` (a vocabulary, word vectors)."""
    digest = hashlib.sha256()
    described = {
        "paper": paper,
        "variant": variant,
        "settings": settings,
        "split": {k: v for k, v in split.items() if isinstance(v, list)},
        "data": data.content_digest,
        "code": codegraph.fingerprint(codegraph.code_parts([(trainer, None)])),
    }
    digest.update(json.dumps(described, sort_keys=True).encode())
    for path in map(Path, inputs):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def save_model(
    path: str | Path,
    *,
    paper: str,
    variant: str,
    config: dict[str, Any],
    meta: dict[str, Any],
    epoch: int,
    state_dict: dict[str, Any],
) -> None:
    """``model.pt``: weights (on the CPU) of the selected ``epoch`` and the ``config`` and ``meta`` (class
    count, vocabulary size, ...) that rebuild the model."""
    from rsrepro.training.checkpoint import save_torch

    save_torch(
        {
            "format": MODEL_FORMAT,
            "paper": paper,
            "variant": variant,
            "config": config,
            "meta": meta,
            "epoch": int(epoch),
            "state_dict": {k: v.detach().cpu() for k, v in state_dict.items()},
        },
        path,
    )


def load_model_file(path: str | Path, paper: str) -> dict[str, Any]:
    """A ``model.pt`` of ``paper``'s runs (loaded with ``weights_only=True``)."""
    from rsrepro.training.checkpoint import load_torch

    saved = load_torch(path)
    if saved.get("format") != MODEL_FORMAT or saved.get("paper") != paper:
        raise RsreproError(
            f"{path} is not a {paper} model.pt of this version (format {saved.get('format')!r}, paper "
            f"{saved.get('paper')!r}); rerun its training job (snakemake --forcerun <that file>)"
        )
    return saved


def write_history(
    path: str | Path,
    *,
    paper: str,
    variant: str,
    run: dict[str, Any],
    selection: str,
    selected_epoch: int,
    epochs: list[dict[str, Any]],
) -> None:
    write_json(
        path,
        {
            "paper": paper,
            "variant": variant,
            "run": run,
            "selection": selection,
            "selected_epoch": int(selected_epoch),
            "epochs": epochs,
        },
    )


def read_history(path: str | Path) -> dict[str, Any]:
    history = read_json(path)
    if not isinstance(history, dict) or "epochs" not in history:
        raise RsreproError(f"{path} is not a run history of this version; rerun its training job")
    return history


def write_outputs(path: str | Path, **arrays: np.ndarray) -> None:
    """``test_outputs.npz``, atomically."""
    with atomic_path(path, ".npz") as tmp, tmp.open("wb") as handle:
        np.savez(handle, **arrays)


def read_outputs(path: str | Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as outputs:
        return {name: outputs[name] for name in outputs.files}


def remove_checkpoints(directory: str | Path) -> None:
    """A finished run's checkpoints are of no further use (and must not reach DVC's cache)."""
    shutil.rmtree(directory, ignore_errors=True)


def finish_run(
    outputs: RunOutputs,
    checkpoints: str | Path,
    *,
    paper: str,
    variant: str,
    config: dict[str, Any],
    meta: dict[str, Any],
    state_dict: dict[str, Any],
    selection: str,
    selected_epoch: int,
    epochs: list[dict[str, Any]],
    run: dict[str, Any],
    test_outputs: dict[str, np.ndarray],
    device: torch.device,
    precision: Precision,
) -> None:
    """The end of every paper's training run: the selected weights' test outputs, ``model.pt`` (those
    weights, of ``selected_epoch``), ``history.json`` (``run`` with the device, the precision policy and,
    on a GPU, the peak GPU memory), then the checkpoints go."""
    write_outputs(outputs.test_outputs, **test_outputs)
    save_model(
        outputs.model,
        paper=paper,
        variant=variant,
        config=config,
        meta=meta,
        epoch=selected_epoch,
        state_dict=state_dict,
    )
    environment = {"device": str(device), "precision": precision.describe(device)}
    if device.type == "cuda":
        import torch  # here: the evaluation jobs read histories without torch

        environment["gpu_peak_memory_gb"] = torch.cuda.max_memory_allocated(device) / 2**30
    write_history(
        outputs.history,
        paper=paper,
        variant=variant,
        run={**run, **environment},
        selection=selection,
        selected_epoch=selected_epoch,
        epochs=epochs,
    )
    remove_checkpoints(checkpoints)
