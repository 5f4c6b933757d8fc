"""clip-rsicd / clip-rsicd-v2: a Hugging Face snapshot in the project's data folder, verified, loaded offline.

The snapshot is written as plain files (``local_dir``, not the hub's symlinked cache) so DVC can track it
and ``from_pretrained`` loads it with ``local_files_only=True``: no network at training time.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from rsrepro.data.sources.checksums import ChecksumLock
from rsrepro.data.sources.download import verify_and_lock
from rsrepro.io import atomic_dir

# Weights in PyTorch format plus the configuration and tokenizer files; not the 605 MB flax copy.
ALLOW_PATTERNS = ["*.json", "*.txt", "pytorch_model.bin"]


def fetch_clip(repo_id: str, revision: str, out: Path, lock: ChecksumLock, key: str, where: str) -> None:
    from huggingface_hub import snapshot_download

    with atomic_dir(out) as tmp:
        snapshot_download(repo_id, revision=revision, local_dir=tmp, allow_patterns=ALLOW_PATTERNS)
        # huggingface_hub's download bookkeeping, not part of the model.
        shutil.rmtree(tmp / ".cache", ignore_errors=True)
        verify_and_lock(tmp, None, lock, key, where)


def load_clip(path: str | Path) -> Any:
    """The CLIPModel saved at ``path``, loaded without network access."""
    from transformers import CLIPModel

    return CLIPModel.from_pretrained(path, local_files_only=True)
