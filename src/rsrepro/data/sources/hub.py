"""Hugging Face model snapshots (clip-rsicd, -v2) in the project's data folder, verified and locked.

The snapshot is written as plain files (``local_dir``, not the hub's symlinked cache) so DVC can track it
and :func:`rsrepro.pretrained.clip.load_clip` loads it offline.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from rsrepro.data.sources.checksums import ChecksumLock
from rsrepro.data.sources.download import Origin, verify_and_lock
from rsrepro.data.sources.errors import SourceError
from rsrepro.data.sources.spec import RemoteFile
from rsrepro.io import atomic_dir

# Weights in PyTorch format plus the configuration and tokenizer files; not the 605 MB flax copy.
ALLOW_PATTERNS = ["*.json", "*.txt", "pytorch_model.bin"]


def fetch_clip(
    repo_id: str,
    revision: str,
    out: Path,
    lock: ChecksumLock,
    key: str,
    where: str,
    local: Path | None = None,
) -> None:
    """The snapshot of ``repo_id`` at ``revision`` in ``out``, or a copy of the folder ``local`` that
    holds one (downloaded by hand, an institutional mirror, stand-in weights); verified against the lock
    either way (each file read whole, then its sha256 checked against the lock, or recorded at the first
    fetch)."""
    with atomic_dir(out) as tmp:
        if local is not None:
            if not (Path(local) / "config.json").is_file():
                raise SourceError(
                    f"{where}.files.snapshot = {str(local)!r} is no CLIP snapshot folder (no config.json); "
                    f"point it at a folder holding {repo_id}'s config.json, tokenizer files and weights"
                )
            shutil.copytree(local, tmp, dirs_exist_ok=True)
        else:
            from huggingface_hub import snapshot_download

            snapshot_download(repo_id, revision=revision, local_dir=tmp, allow_patterns=ALLOW_PATTERNS)
            # huggingface_hub's download bookkeeping, not part of the model.
            shutil.rmtree(tmp / ".cache", ignore_errors=True)
        snapshot = RemoteFile(repo_id.rpartition("/")[2], members=("config.json",))
        origin = Origin(f"{where}.files.snapshot", local, persists=False)  # tmp goes with a failure
        verify_and_lock(tmp, snapshot, None, lock, key, origin)
