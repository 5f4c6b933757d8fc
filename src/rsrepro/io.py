"""Atomic file and directory writes: a reader (or Snakemake) never sees half a file.

Temporary files and folders are created private (``mkstemp`` / ``mkdtemp`` ignore the umask); before the
rename each gets the permissions a plain ``open`` / ``mkdir`` would have given it, so results are as
readable by a group or a web server as the user's umask says.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` only if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{suffix}", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        tmp_path.chmod(0o666 & ~current_umask())
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary directory beside ``target``; it replaces ``target`` only if the block succeeds."""
    target = Path(target)
    tmp = temp_dir_beside(target)
    try:
        yield tmp
        replace_dir(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def temp_dir_beside(target: Path) -> Path:
    """A fresh hidden directory next to ``target`` (same filesystem, so the final rename is atomic)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))


def replace_dir(tmp: Path, target: Path) -> None:
    """Move the finished directory ``tmp`` onto ``target``, replacing what was there."""
    tmp.chmod(0o777 & ~current_umask())
    if target.exists():
        shutil.rmtree(target)
    os.replace(tmp, target)


def current_umask() -> int:
    """The process's umask (reading it means setting it: put it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    with atomic_path(path, ".json") as tmp:
        tmp.write_text(json.dumps(obj, indent=1) + "\n")


def read_json(path: str | os.PathLike[str]) -> Any:
    return json.loads(Path(path).read_text())
