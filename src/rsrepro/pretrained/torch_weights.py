"""Load fetched PyTorch checkpoints without executing pickled code (``weights_only=True``)."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from rsrepro.data.sources.errors import SourceError


def load_torch_weights(path: str | Path, key: str | None = None) -> dict[str, Any]:
    """The state dict in ``path`` (``checkpoint[key]`` when given, e.g. ``"model"`` for RSP checkpoints)."""
    import torch

    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as error:
        raise SourceError(
            f"{path}: cannot be loaded with torch.load(weights_only=True) ({error}). Either it is not a "
            "PyTorch checkpoint or it pickles Python objects besides tensors; re-save only its state dict "
            "(`torch.save(torch.load(p, weights_only=False)['model'], 'clean.pth')` on a trusted file)."
        ) from error
    if key is not None:
        if not isinstance(checkpoint, dict) or key not in checkpoint:
            found = sorted(checkpoint) if isinstance(checkpoint, dict) else type(checkpoint).__name__
            raise SourceError(f"{path}: expected a checkpoint with key {key!r}, found {found}")
        checkpoint = checkpoint[key]
    return checkpoint
