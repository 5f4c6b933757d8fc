"""Outputs are as readable as the umask says (atomic writes go through private temporary files)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from rsrepro.io import atomic_dir, atomic_path, write_json


@contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("mask", "file_mode", "dir_mode"), [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700)])
def test_atomic_writes_follow_the_umask(tmp_path: Path, mask: int, file_mode: int, dir_mode: int) -> None:
    with umask(mask):
        write_json(tmp_path / "a.json", {"a": 1})
        with atomic_path(tmp_path / "b.bin") as tmp:
            tmp.write_bytes(b"x")
        with atomic_dir(tmp_path / "folder") as tmp:
            (tmp / "inside.txt").write_text("x")
    assert mode(tmp_path / "a.json") == mode(tmp_path / "b.bin") == file_mode
    assert mode(tmp_path / "folder") == dir_mode
