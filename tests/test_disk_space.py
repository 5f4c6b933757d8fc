"""A full disk: the space is checked before a large write (the prepared images, an extraction, a copy),
a disk that fills up during one ends in one message naming the folder and the size, and nothing
half-written remains. On a real 1 MiB tmpfs where this runs as root; the message path also through a
seam (a write failing with ENOSPC) everywhere."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rsrepro import io
from rsrepro.data.prepared import PreparedWriter
from rsrepro.data.sources.archives import extract
from rsrepro.data.sources.catalog import DATASETS
from rsrepro.data.sources.checksums import ChecksumLock
from rsrepro.data.sources.download import fetch_source
from rsrepro.io import DiskSpaceError
from tests.realdata_fixtures import folder_standin, zip_bytes

PLENTY = 1 << 40


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a 1 MiB tmpfs (root only)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a 1 MiB tmpfs needs root; the seam tests below cover the message path")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    yield disk
    subprocess.run(["umount", "--lazy", str(disk)], check=True)  # --lazy: even after a failed test


def files_in(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if not p.is_dir()]


def write_prepared(target: Path, n: int, size: int) -> None:
    meta = pd.DataFrame(
        {"file": [f"{i}.png" for i in range(n)], "class_idx": 0, "class_name": "a", "scene": "a"}
    ).assign(official_split="")
    with PreparedWriter(target, "demo", n, size, source="test") as writer:
        for i in range(n):
            writer.put(i, np.full((size, size, 3), i, dtype=np.uint8))
        writer.finish(meta, ["a"])


def test_prepare_on_a_full_disk_stops_with_one_line_and_leaves_nothing(
    small_disk: Path, tmp_path: Path
) -> None:
    """The command as the workflow runs it (its exit status was 135, SIGBUS, with no message)."""
    raw = tmp_path / "raw" / "ucm"
    folder_standin("ucm", raw, per_class=1)  # 21 images: 21 x 256 x 256 x 3 = 4.1 MB prepared
    out = small_disk / "results/prepared/ucm"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "rsrepro.cli",
            "prepare",
            "ucm",
            "--raw",
            str(raw),
            "--out",
            str(out),
            "--scratch",
            str(small_disk / "data/scratch"),
            "--params",
            json.dumps({"image_size": 256}),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and errors[0].startswith("rsrepro prepare: error: the prepared images of ucm")
    assert f"needs 4.1 MB in {out.parent}, but it has " in errors[0]  # 1 MiB less the extracted images
    assert files_in(small_disk) == []


def test_a_disk_that_fills_during_the_write_is_named_not_a_crash(
    small_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The space looked sufficient (another job filled the disk since): the images' blocks are reserved
    before the memory-mapped writes, so the disk fills with ENOSPC here instead of SIGBUS later."""
    monkeypatch.setattr(io, "free_bytes", lambda folder: PLENTY)
    with pytest.raises(
        DiskSpaceError, match=r"needs 3\.1 MB in .*disk, but the disk filled up while writing"
    ):
        write_prepared(small_disk / "demo", n=16, size=256)
    assert files_in(small_disk) == []


def test_an_extraction_checks_the_space_its_members_need(small_disk: Path, tmp_path: Path) -> None:
    archive = tmp_path / "big.zip"
    archive.write_bytes(zip_bytes({"big/data.bin": np.random.default_rng(0).bytes(2 << 20)}))
    with pytest.raises(
        DiskSpaceError, match=r"extracting big\.zip needs 2\.1 MB in .*disk, but it has 1\.0 MB"
    ):
        extract(archive, small_disk / "big")
    assert files_in(small_disk) == []


@pytest.mark.parametrize("free", ["too little", "fills up during the copy"])
def test_copying_a_file_given_by_hand_onto_a_full_disk_is_one_message(
    free: str, small_disk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manual = tmp_path / "AID.zip"
    manual.write_bytes(zip_bytes({"AID/data.bin": np.random.default_rng(0).bytes(2 << 20)}))
    if free != "too little":
        monkeypatch.setattr(io, "free_bytes", lambda folder: PLENTY)
    cfg = {"files": {"archive": str(manual)}}
    staging = small_disk / "downloads" / "aid"
    with pytest.raises(DiskSpaceError) as error:
        fetch_source(
            DATASETS["aid"], tmp_path / "out", staging, ChecksumLock(tmp_path / "l.json"), cfg, "data.aid"
        )
    found = "it has 1.0 MB free" if free == "too little" else "the disk filled up while writing"
    assert f"copying {manual} needs 2.1 MB in {staging}, but {found}" in str(error.value)
    assert files_in(small_disk) == [] and manual.stat().st_size > 2 << 20


def test_enospc_while_reserving_the_images_is_the_same_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The message path without a small disk (the seam: the reservation fails as a full disk fails)."""

    def full(fd: int, offset: int, length: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "posix_fallocate", full)
    with pytest.raises(
        DiskSpaceError, match=r"prepared images of demo .* needs 3\.1 MB in .*, but the disk filled"
    ):
        write_prepared(tmp_path / "demo", n=16, size=256)
    assert files_in(tmp_path) == []
