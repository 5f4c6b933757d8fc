"""Safe extraction and clear errors on bad archives and images."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rsrepro.data.sources import archives
from rsrepro.data.sources.archives import extract, read_through
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


def deflated_zeros(path: Path, members: dict[str, int]) -> Path:
    """A zip of members of ``size`` zero bytes each, deflated (about a thousand to one), written in chunks."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, size in members.items():
            with zf.open(name, "w") as member:
                for start in range(0, size, 1 << 20):
                    member.write(bytes(min(1 << 20, size - start)))
    return path


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"big.bin": 24 << 20, "readme.txt": 100}, r"member 'big\.bin' inflates from [\d.]+ kB to 25\.2 MB"),
        ({f"part{i}.bin": 1 << 20 for i in range(24)}, r"its members inflate to 25\.2 MB from [\d.]+ kB"),
    ],
    ids=["one member", "many members"],
)
def test_an_archive_beyond_the_size_or_ratio_bounds_is_refused_before_a_byte_is_written(
    tmp_path: Path, members: dict[str, int], message: str
) -> None:
    archive = deflated_zeros(tmp_path / "bomb.zip", members)
    with pytest.raises(ArchiveError, match=rf"{message}, beyond rsrepro's bounds \(at most 100 times"):
        extract(archive, tmp_path / "out")
    with pytest.raises(ArchiveError, match="zip bomb"):
        read_through(archive)  # what the fetch step proves a file with: refused there already
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.zip"]


def test_the_total_size_bound_holds_whatever_the_ratio(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archives, "MAX_EXTRACTED_BYTES", 1 << 20)  # the real bound is 100 GB
    archive = tmp_path / "big.zip"
    archive.write_bytes(zip_bytes({"a.bin": bytes(600_000), "b.bin": bytes(600_000)}))  # stored: ratio 1
    with pytest.raises(ArchiveError, match=r"its members inflate to 1\.2 MB from 1\.2 MB, beyond"):
        extract(archive, tmp_path / "out")


def test_a_16_bit_tiff_is_scaled_to_8_bits_not_clipped(tmp_path: Path) -> None:
    ramp = np.linspace(0, 65535, 64).round().astype(np.uint16)
    path = tmp_path / "ramp16.tif"
    Image.fromarray(np.tile(ramp, (64, 1))).save(path)  # a real 16-bit grey TIFF (BitsPerSample 16)
    with Image.open(path) as written:
        assert written.mode == "I;16" and written.tag_v2[258] in (16, (16,))
    image = load_image(path, 64)
    expected = np.round(ramp / 257).astype(np.uint8)
    assert np.array_equal(image[0, :, 0], expected) and np.array_equal(image[..., 1], image[..., 0])
    assert (image == 255).mean() == 1 / 64, "only the brightest column is white (clipping made 98 % white)"


def test_floating_point_pixels_stop_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "reflectance.tif"
    Image.fromarray(np.full((4, 4), 0.25, dtype=np.float32)).save(path)
    with pytest.raises(
        ImageReadError, match=r"reflectance\.tif: floating-point pixels, which have no fixed range"
    ):
        load_image(path, 8)
