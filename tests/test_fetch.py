"""Fetching sources: download from a loopback server, resume, checksums, the lock, manual files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from rsrepro.data.sources.catalog import DATASETS
from rsrepro.data.sources.checksums import ChecksumLock
from rsrepro.data.sources.download import fetch_source
from rsrepro.data.sources.errors import ChecksumError, SourceError
from rsrepro.data.sources.spec import RemoteFile, Source
from tests import realdata_fixtures
from tests.realdata_fixtures import LoopbackServer, zip_bytes

http_server = realdata_fixtures.http_server  # the loopback-server fixture, used by name

PAYLOAD = bytes(range(256)) * 16384  # 4 MiB: several of gdown's 512 kB chunks


def one_file_source(urls: tuple[str, ...], checksum: str | None = None) -> Source:
    return Source(
        "demo", "demo", "https://example.org", {"archive": RemoteFile("demo.zip", urls, checksum=checksum)}
    )


def fetch(source: Source, tmp_path: Path, cfg: dict | None = None) -> Path:
    out = tmp_path / "raw" / source.name
    fetch_source(
        source, out, tmp_path / "downloads", ChecksumLock(tmp_path / "lock.json"), cfg or {}, "data.demo"
    )
    return out


def test_download_verifies_published_sha256(http_server: LoopbackServer, tmp_path: Path) -> None:
    http_server.served.files["/demo.zip"] = PAYLOAD
    source = one_file_source((http_server.url("/demo.zip"),), "sha256:" + hashlib.sha256(PAYLOAD).hexdigest())
    out = fetch(source, tmp_path)
    assert (out / "demo.zip").read_bytes() == PAYLOAD
    assert not list((tmp_path / "downloads").iterdir()), "staged file must move into the output folder"


def test_first_mirror_down_falls_back_to_next(http_server: LoopbackServer, tmp_path: Path) -> None:
    http_server.served.files["/mirror.zip"] = PAYLOAD
    source = one_file_source((http_server.url("/gone.zip"), http_server.url("/mirror.zip")))
    assert (fetch(source, tmp_path) / "demo.zip").read_bytes() == PAYLOAD


def test_resume_after_cut_connection(http_server: LoopbackServer, tmp_path: Path) -> None:
    http_server.served.files["/demo.zip"] = PAYLOAD
    http_server.served.cut_once.add("/demo.zip")
    out = fetch(one_file_source((http_server.url("/demo.zip"),)), tmp_path)
    assert (out / "demo.zip").read_bytes() == PAYLOAD
    resumed = [r for path, r in http_server.served.ranges if r]
    assert resumed and resumed[0] == f"bytes={len(PAYLOAD) // 2}-", http_server.served.ranges


def test_checksum_mismatch_names_expected_and_found(http_server: LoopbackServer, tmp_path: Path) -> None:
    http_server.served.files["/demo.zip"] = PAYLOAD[:-10]  # truncated upstream copy
    expected = hashlib.md5(PAYLOAD).hexdigest()
    with pytest.raises(ChecksumError) as error:
        fetch(one_file_source((http_server.url("/demo.zip"),), f"md5:{expected}"), tmp_path)
    message = str(error.value)
    assert expected in message and hashlib.md5(PAYLOAD[:-10]).hexdigest() in message
    assert not (tmp_path / "raw" / "demo").exists(), "a failed fetch must not look complete"
    assert not (tmp_path / "downloads" / "demo.zip").exists(), "the bad file is deleted so a rerun refetches"


def test_lock_records_first_fetch_and_guards_later_ones(http_server: LoopbackServer, tmp_path: Path) -> None:
    http_server.served.files["/demo.zip"] = PAYLOAD
    source = one_file_source((http_server.url("/demo.zip"),))
    out = fetch(source, tmp_path)
    lock = json.loads((tmp_path / "lock.json").read_text())
    assert lock["demo/demo.zip"] == {"sha256": hashlib.sha256(PAYLOAD).hexdigest(), "size": len(PAYLOAD)}
    http_server.served.files["/demo.zip"] = PAYLOAD[::-1]  # upstream silently changed
    (out / "demo.zip").unlink()
    with pytest.raises(ChecksumError, match="first copy's, recorded in"):
        fetch(source, tmp_path)


def test_manual_only_source_says_where_to_get_it_and_which_key(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as error:
        fetch_source(
            DATASETS["aid"],
            tmp_path / "out",
            tmp_path / "dl",
            ChecksumLock(tmp_path / "l.json"),
            {},
            "data.aid",
        )
    message = str(error.value)
    assert "captain-whu.github.io/AID" in message and "`data.aid.files.archive: /path/to/AID.zip`" in message


def test_manual_file_is_copied_verified_and_locked(tmp_path: Path) -> None:
    manual = tmp_path / "Downloads" / "AID_from_onedrive.zip"
    manual.parent.mkdir()
    manual.write_bytes(zip_bytes({"AID/Airport/airport_1.jpg": b"x"}))
    out = tmp_path / "out"
    cfg = {"files": {"archive": str(manual)}}
    fetch_source(DATASETS["aid"], out, tmp_path / "dl", ChecksumLock(tmp_path / "l.json"), cfg, "data.aid")
    assert (out / "AID.zip").read_bytes() == manual.read_bytes()
    assert "aid/AID.zip" in json.loads((tmp_path / "l.json").read_text())


def test_missing_manual_path_names_the_key(tmp_path: Path) -> None:
    cfg = {"files": {"archive": str(tmp_path / "nowhere.zip")}}
    with pytest.raises(SourceError, match=r"data\.aid\.files\.archive = .*nowhere\.zip.*no such file"):
        fetch_source(
            DATASETS["aid"],
            tmp_path / "out",
            tmp_path / "dl",
            ChecksumLock(tmp_path / "l.json"),
            cfg,
            "data.aid",
        )
