"""Fetching sources: download from a loopback server, resume, checksums, the lock, manual files."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from rsrepro.data.prepared import PreparedDataset
from rsrepro.data.sources.catalog import DATASETS, PRETRAINED
from rsrepro.data.sources.checksums import ChecksumLock
from rsrepro.data.sources.download import fetch_source
from rsrepro.data.sources.errors import ArchiveError, ChecksumError, LayoutError, SourceError
from rsrepro.data.sources.prepare import prepare_source
from rsrepro.data.sources.spec import RemoteFile, Source
from rsrepro.data.standin import write_captioned_dataset
from tests import realdata_fixtures
from tests.realdata_fixtures import (
    LoopbackServer,
    captioned,
    folder_standin,
    image_bytes,
    random_images,
    zip_bytes,
)

http_server = realdata_fixtures.http_server  # the loopback-server fixture, used by name

# A zip of 4 MiB (stored, incompressible: several of gdown's 512 kB chunks), as a fetched file must be.
PAYLOAD = zip_bytes({"demo/data.bin": np.random.default_rng(0).bytes(4 << 20)})
OTHER_RELEASE = zip_bytes({"demo/data.bin": np.random.default_rng(1).bytes(4 << 20)})


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
    # gdown keeps the whole chunks it received before the cut, and asks for the rest
    offset = int(resumed[0].removeprefix("bytes=").removesuffix("-")) if resumed else 0
    assert 0 < offset <= len(PAYLOAD) // 2, http_server.served.ranges


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
    http_server.served.files["/demo.zip"] = OTHER_RELEASE  # upstream silently changed
    (out / "demo.zip").unlink()
    with pytest.raises(ChecksumError, match=r"first copy fetched\. This copy is the suspect"):
        fetch(source, tmp_path)


def test_a_published_checksum_decides_over_an_older_lock_entry(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    """A stand-in with its own checksum in the params, fetched into a checkout whose lock holds the
    real file's entry (the rehearsal after a real fetch), is the published checksum's to judge."""
    http_server.served.files["/demo.zip"] = PAYLOAD
    entry = {"sha256": hashlib.sha256(OTHER_RELEASE).hexdigest(), "size": len(OTHER_RELEASE)}
    (tmp_path / "lock.json").write_text(json.dumps({"demo/demo.zip": entry}))
    source = one_file_source((http_server.url("/demo.zip"),), "sha256:" + hashlib.sha256(PAYLOAD).hexdigest())
    assert (fetch(source, tmp_path) / "demo.zip").read_bytes() == PAYLOAD


def test_manual_only_source_says_where_to_get_it_and_which_key(tmp_path: Path) -> None:
    key = "data.pretrained.rsp_resnet50_aid28"
    with pytest.raises(SourceError) as error:
        fetch_source(
            PRETRAINED["rsp_resnet50_aid28"],
            tmp_path / "out",
            tmp_path / "dl",
            ChecksumLock(tmp_path / "l.json"),
            {},
            key,
        )
    message = str(error.value)
    assert "ViTAE-Transformer/RSP" in message
    assert f"`{key}.files.weights: /path/to/rsp-aid-resnet-50-e300-ckpt.pth`" in message


def git_blob_id(data: bytes) -> str:
    done = subprocess.run(["git", "hash-object", "--stdin"], input=data, capture_output=True, check=True)
    return done.stdout.decode().strip()


def test_a_git_blob_id_verifies_a_file_fetched_from_a_repository(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    http_server.served.files["/dataset_rsicd.json"] = PAYLOAD
    url = (http_server.url("/dataset_rsicd.json"),)
    out = fetch(one_file_source(url, f"gitblob:{git_blob_id(PAYLOAD)}"), tmp_path / "good")
    assert (out / "demo.zip").read_bytes() == PAYLOAD
    other = git_blob_id(PAYLOAD[:-1])
    with pytest.raises(
        ChecksumError, match=rf"gitblob mismatch: expected {other}, found {git_blob_id(PAYLOAD)}"
    ):
        fetch(one_file_source(url, f"gitblob:{other}"), tmp_path / "bad")


def test_aid_comes_from_its_mirror_and_is_locked_at_first_fetch(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    aid = folder_standin("aid", tmp_path / "standin", per_class=1)["archive"].read_bytes()
    http_server.served.files["/AID.zip"] = aid
    cfg = {"urls": {"archive": http_server.url("/AID.zip")}}  # in place of torchrs's Drive id
    fetch_source(
        DATASETS["aid"], tmp_path / "out", tmp_path / "dl", ChecksumLock(tmp_path / "l.json"), cfg, "data.aid"
    )
    assert (
        json.loads((tmp_path / "l.json").read_text())["aid/AID.zip"]["sha256"]
        == hashlib.sha256(aid).hexdigest()
    )


def rsicd_files(tmp_path: Path) -> dict[str, Path]:
    return write_captioned_dataset(
        "rsicd",
        tmp_path / "rsicd",
        random_images(2),
        [captioned("airport_1.jpg", "train"), captioned("b_2.jpg", "test")],
    )


def fetch_rsicd(files: dict[str, Path], tmp_path: Path, checksums: dict[str, str]) -> Path:
    cfg = {"files": {k: str(v) for k, v in files.items()}, "checksums": checksums}
    out = tmp_path / "raw" / "rsicd"
    fetch_source(
        DATASETS["rsicd"], out, tmp_path / "dl", ChecksumLock(tmp_path / "l.json"), cfg, "data.rsicd"
    )
    return out


def test_a_published_checksum_holds_unless_the_params_replace_it(tmp_path: Path) -> None:
    files = rsicd_files(tmp_path)
    with pytest.raises(ChecksumError, match="sha256 mismatch: expected 0d3ebda1"):
        fetch_rsicd(files, tmp_path, {})  # not the published RSICD_images.zip
    images = "sha256:" + hashlib.sha256(files["images"].read_bytes()).hexdigest()
    with pytest.raises(
        ChecksumError, match="gitblob mismatch: expected 26191a073741a67dfe3c1a03ffc90d8002c496ad"
    ):
        fetch_rsicd(files, tmp_path, {"images": images})
    captions = f"gitblob:{git_blob_id(files['captions'].read_bytes())}"
    out = fetch_rsicd(files, tmp_path, {"images": images, "captions": captions})
    assert (out / "dataset_rsicd.json").read_bytes() == files["captions"].read_bytes()


def test_a_captions_archive_given_by_hand_is_searched_and_its_json_verified(tmp_path: Path) -> None:
    files = rsicd_files(tmp_path)
    json_bytes = files["captions"].read_bytes()
    checksums = {
        "images": "sha256:" + hashlib.sha256(files["images"].read_bytes()).hexdigest(),
        "captions": f"gitblob:{git_blob_id(json_bytes)}",  # the JSON's, not the archive's
    }
    bundle = tmp_path / "annotations_rsicd.zip"
    bundle.write_bytes(zip_bytes({"annotations_rsicd/dataset_rsicd.json": json_bytes, "readme.txt": b"x"}))
    out = fetch_rsicd({**files, "captions": bundle}, tmp_path, checksums)
    assert (out / "dataset_rsicd.json").read_bytes() == json_bytes
    assert sorted(p.name for p in out.iterdir()) == ["RSICD_images.zip", "dataset_rsicd.json"]
    twice = tmp_path / "twice.zip"
    twice.write_bytes(zip_bytes({"a/dataset_rsicd.json": json_bytes, "b/dataset_rsicd.json": json_bytes}))
    with pytest.raises(
        ArchiveError, match=r"data\.rsicd\.files\.captions: the archive given holds 2 files named"
    ):
        fetch_rsicd({**files, "captions": twice}, tmp_path / "again", checksums)


def test_manual_file_is_copied_verified_and_locked(tmp_path: Path) -> None:
    manual = tmp_path / "Downloads" / "AID_from_onedrive.zip"
    manual.parent.mkdir()
    folder_standin("aid", tmp_path / "standin", per_class=1)["archive"].rename(manual)
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


def test_a_relative_manual_path_is_read_from_the_working_directory_and_home_expands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rsrepro.data.sources.download import manual_path

    (tmp_path / "work" / "downloads").mkdir(parents=True)
    (tmp_path / "work" / "downloads" / "AID.zip").write_bytes(b"zip")
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "AID.zip").write_bytes(b"zip")
    monkeypatch.chdir(tmp_path / "work")  # where Snakemake runs the job (--directory)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert manual_path("downloads/AID.zip", "k").resolve() == tmp_path / "work/downloads/AID.zip"
    assert manual_path("~/AID.zip", "k") == tmp_path / "home/AID.zip"
    work = re.escape(str(tmp_path / "work"))
    with pytest.raises(SourceError, match=rf"k = 'AID.zip': no such file or folder .*directory {work}\)"):
        manual_path("AID.zip", "k")


def test_a_clip_snapshot_given_as_a_local_folder_is_copied_verified_and_locked(tmp_path: Path) -> None:
    from rsrepro.data.sources.hub import fetch_clip

    local = tmp_path / "clip"
    local.mkdir()
    (local / "config.json").write_text("{}")
    (local / "vocab.json").write_text('{"a": 0}')
    lock = ChecksumLock(tmp_path / "lock.json")
    fetch_clip(
        "flax-community/clip-rsicd", "main", tmp_path / "out", lock, "clip_rsicd", "data.pretrained.x", local
    )
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["config.json", "vocab.json"]
    assert set(json.loads((tmp_path / "lock.json").read_text())) == {
        "clip_rsicd/config.json",
        "clip_rsicd/vocab.json",
    }
    (local / "vocab.json").write_text('{"b": 0}')  # another snapshot under the same name: the lock objects
    with pytest.raises(ChecksumError, match=r"vocab\.json"):
        fetch_clip(
            "flax-community/clip-rsicd", "main", tmp_path / "again", lock, "clip_rsicd", "where", local
        )
    with pytest.raises(SourceError, match=r"no CLIP snapshot folder \(no config.json\)"):
        fetch_clip(
            "flax-community/clip-rsicd", "main", tmp_path / "o", lock, "clip_rsicd", "w", tmp_path / "none"
        )


def aid_zip(tmp_path: Path) -> bytes:
    return folder_standin("aid", tmp_path / "aid_standin", per_class=1)["archive"].read_bytes()


def fetch_aid(tmp_path: Path, cfg: dict) -> Path:
    out = tmp_path / "raw" / "aid"
    fetch_source(DATASETS["aid"], out, tmp_path / "dl", ChecksumLock(tmp_path / "lock.json"), cfg, "data.aid")
    return out


def locked(tmp_path: Path) -> dict:
    lock = tmp_path / "lock.json"
    return json.loads(lock.read_text()) if lock.exists() else {}


def test_a_truncated_first_copy_is_never_locked_and_the_good_copy_then_is(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    """AID publishes no checksum: its first copy is locked, but only once it reads whole."""
    good = aid_zip(tmp_path)
    http_server.served.files["/AID.zip"] = good[: len(good) * 2 // 3]
    cfg = {"urls": {"archive": http_server.url("/AID.zip")}}
    with pytest.raises(
        ArchiveError, match=r"AID\.zip is corrupt or truncated .* This copy is the suspect one"
    ):
        fetch_aid(tmp_path, cfg)
    assert locked(tmp_path) == {} and not (tmp_path / "dl" / "AID.zip").exists()
    http_server.served.files["/AID.zip"] = good
    assert (fetch_aid(tmp_path, cfg) / "AID.zip").read_bytes() == good
    assert locked(tmp_path)["aid/AID.zip"] == {"sha256": hashlib.sha256(good).hexdigest(), "size": len(good)}


def test_a_lock_made_from_a_truncated_copy_is_named_as_the_suspect_and_the_good_copy_kept(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    """What an older rsrepro left: the truncated copy's sha256 in the lock. The good copy is not refused
    as corrupt and deleted; the message says the entry is the suspect."""
    good = aid_zip(tmp_path)
    cut = good[: len(good) // 2]
    (tmp_path / "lock.json").write_text(
        json.dumps({"aid/AID.zip": {"sha256": hashlib.sha256(cut).hexdigest(), "size": len(cut)}})
    )
    http_server.served.files["/AID.zip"] = good
    with pytest.raises(ChecksumError) as error:
        fetch_aid(tmp_path, {"urls": {"archive": http_server.url("/AID.zip")}})
    message = str(error.value)
    assert "The recorded entry is the suspect one: it was made from a smaller copy" in message
    assert f"delete that entry from {tmp_path / 'lock.json'} and rerun" in message
    assert (tmp_path / "dl" / "AID.zip").read_bytes() == good, "the good copy is kept"


def test_a_file_given_by_hand_is_never_deleted_whichever_check_fails(tmp_path: Path) -> None:
    good = aid_zip(tmp_path)
    manual = tmp_path / "Downloads" / "AID.zip"
    manual.parent.mkdir()
    manual.write_bytes(good[:-100])  # truncated: fails the proof
    with pytest.raises(
        ArchiveError, match=rf"This copy is the suspect one\. Your copy {manual} was left as it is"
    ):
        fetch_aid(tmp_path, {"files": {"archive": str(manual)}})
    assert manual.read_bytes() == good[:-100] and locked(tmp_path) == {}
    manual.write_bytes(good)
    published = "sha256:" + hashlib.sha256(b"another release").hexdigest()
    with pytest.raises(ChecksumError, match=rf"different version\. Your copy {manual} was left as it is"):
        fetch_aid(tmp_path, {"files": {"archive": str(manual)}, "checksums": {"archive": published}})
    assert manual.read_bytes() == good


def test_a_web_page_in_place_of_an_archive_or_an_archive_without_the_dataset_is_refused(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    cfg = {"urls": {"archive": http_server.url("/AID.zip")}}
    http_server.served.files["/AID.zip"] = (
        b"<!DOCTYPE html><html><title>Google Drive - Quota exceeded</title>"
    )
    with pytest.raises(
        ArchiveError, match=r"should be an archive \(AID\.zip\) but is none .*b'<!DOCTYPE html>"
    ):
        fetch_aid(tmp_path, cfg)
    http_server.served.files["/AID.zip"] = zip_bytes({"UCMerced_LandUse/Images/beach/beach00.tif": b"x"})
    with pytest.raises(LayoutError, match=r"AID\.zip holds no Airport, BareLand, .* which AID\.zip has"):
        fetch_aid(tmp_path, cfg)
    assert locked(tmp_path) == {}


def test_the_corrupt_archive_advice_names_the_folder_to_delete_and_a_rerun_fetches_again(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    """An archive damaged after its fetch (on disk, or pulled from a remote): the advice used to say
    "delete it" (the file), which left data/raw/aid/ in place, so the fetch never reran, and the next
    error named a scratch folder that was already gone."""
    good = aid_zip(tmp_path)
    http_server.served.files["/AID.zip"] = good
    cfg = {"urls": {"archive": http_server.url("/AID.zip")}}
    raw = fetch_aid(tmp_path, cfg)
    damaged = bytearray(good)
    damaged[len(good) // 2 : len(good) // 2 + 64] = bytes(64)  # inside a member: its CRC fails
    (raw / "AID.zip").write_bytes(damaged)
    scratch, out = tmp_path / "scratch", tmp_path / "prepared" / "aid"
    with pytest.raises(ArchiveError) as error:
        prepare_source(DATASETS["aid"], raw, out, 8, scratch)
    assert f"{raw / 'AID.zip'} is corrupt or truncated" in str(error.value)
    assert f"To fetch aid again, delete the folder {raw} and rerun the workflow" in str(error.value)

    (raw / "AID.zip").unlink()  # what the old advice said: the error now names the folder, never scratch
    with pytest.raises(LayoutError) as error:
        prepare_source(DATASETS["aid"], raw, out, 8, scratch)
    assert str(raw) in str(error.value) and str(scratch) not in str(error.value)

    shutil.rmtree(raw)  # the advice: the workflow's fetch job reruns, as its output folder is missing
    fetches = len(http_server.served.ranges)
    fetch_aid(tmp_path, cfg)
    assert len(http_server.served.ranges) == fetches + 1, "downloaded again"
    prepare_source(DATASETS["aid"], raw, out, 8, scratch)
    assert len(PreparedDataset.load(out)) == 30


def patternnet_zip() -> bytes:
    """PatternNet.zip as published, as torchgeo's fixture (7ea0616, tests/data/patternnet) holds it: the
    folder entries, then PatternNet/images/<class>/<class>NNN.jpg numbered from 1; here every one of the
    38 classes, two 12 px images each, written without the stand-in writer."""
    members = {"PatternNet/": b"", "PatternNet/images/": b""}
    for c, cls in enumerate(DATASETS["patternnet"].classes):
        members[f"PatternNet/images/{cls}/"] = b""
        for i in (1, 2):
            members[f"PatternNet/images/{cls}/{cls}{i:03d}.jpg"] = image_bytes(".jpg", seed=2 * c + i)
    return zip_bytes(members)


def test_patternnet_in_its_published_layout_is_fetched_verified_and_converted(
    http_server: LoopbackServer, tmp_path: Path
) -> None:
    archive = patternnet_zip()
    http_server.served.files["/PatternNet.zip"] = archive
    cfg: dict = {"urls": {"archive": http_server.url("/PatternNet.zip")}}
    lock = ChecksumLock(tmp_path / "lock.json")
    out, key = tmp_path / "raw" / "patternnet", "data.patternnet"
    with pytest.raises(ChecksumError, match="md5 mismatch: expected 96d54b3224c5350a98d55d5a7e6984ad"):
        fetch_source(DATASETS["patternnet"], out, tmp_path / "dl", lock, cfg, key)  # torchgeo's md5 holds
    cfg["checksums"] = {"archive": f"md5:{hashlib.md5(archive).hexdigest()}"}
    fetch_source(DATASETS["patternnet"], out, tmp_path / "dl", lock, cfg, key)
    prepared = tmp_path / "prepared" / "patternnet"
    prepare_source(DATASETS["patternnet"], out, prepared, 8, tmp_path / "scratch")
    data = PreparedDataset.load(prepared)
    assert list(data.classes) == list(DATASETS["patternnet"].classes) and len(data.classes) == 38
    assert np.bincount(data.class_idx).tolist() == [2] * 38
    assert data.meta["file"].iloc[0] == "airplane/airplane001.jpg"
    assert data.meta["file"].iloc[-1] == "wastewater_treatment_plant/wastewater_treatment_plant002.jpg"
