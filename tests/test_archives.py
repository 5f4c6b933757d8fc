"""Safe extraction and clear errors on bad archives and images."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from rsrepro.data.sources.archives import extract
from rsrepro.data.sources.errors import ArchiveError, ImageReadError
from rsrepro.data.sources.images import load_image
from tests.realdata_fixtures import image_bytes, zip_bytes


def test_zip_extracts_inside_target(tmp_path: Path) -> None:
    archive = tmp_path / "ok.zip"
    archive.write_bytes(zip_bytes({"UCMerced_LandUse/Images/beach/beach00.tif": image_bytes(".tif")}))
    out = extract(archive, tmp_path / "out")
    assert (out / "UCMerced_LandUse/Images/beach/beach00.tif").is_file()


def test_zip_slip_is_rejected_and_nothing_escapes(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    archive.write_bytes(zip_bytes({"fine.txt": b"ok", "../../escaped.txt": b"pwned"}))
    with pytest.raises(ArchiveError, match="outside the target folder"):
        extract(archive, tmp_path / "a" / "b" / "out")
    assert not list(tmp_path.rglob("escaped.txt"))
    assert not (tmp_path / "a" / "b" / "out").exists(), "a failed extraction must not look complete"


def test_tar_with_parent_path_is_rejected(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tf:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 5
        tf.addfile(info, io.BytesIO(b"pwned"))
    archive = tmp_path / "evil.tar.gz"
    archive.write_bytes(buffer.getvalue())
    with pytest.raises(ArchiveError, match="escapes the target folder"):
        extract(archive, tmp_path / "out")
    assert not (tmp_path / "escaped.txt").exists()


def test_truncated_zip_is_reported_with_its_size(tmp_path: Path) -> None:
    data = zip_bytes({f"img_{i}.png": image_bytes(".png", seed=i) for i in range(5)})
    archive = tmp_path / "cut.zip"
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(ArchiveError, match=rf"corrupt or truncated .*{len(data) // 2:,} bytes"):
        extract(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_rar_says_how_to_convert(tmp_path: Path) -> None:
    archive = tmp_path / "NWPU-RESISC45.rar"
    archive.write_bytes(b"Rar!\x1a\x07\x01\x00" + b"\x00" * 64)
    with pytest.raises(ArchiveError, match="Repack it as zip"):
        extract(archive, tmp_path / "out")


def test_unreadable_image_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "beach" / "beach07.tif"
    bad.parent.mkdir()
    bad.write_bytes(image_bytes(".tif")[:40])
    with pytest.raises(ImageReadError, match=r"beach07\.tif: cannot decode"):
        load_image(bad, 8)


def test_images_are_resized_to_the_working_resolution(tmp_path: Path) -> None:
    path = tmp_path / "x.jpg"
    path.write_bytes(image_bytes(".jpg", size=20))
    image = load_image(path, 8)
    assert image.shape == (8, 8, 3) and image.dtype.name == "uint8"
