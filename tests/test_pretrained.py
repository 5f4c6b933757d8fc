"""Pretrained weights: hash-prefix check of torchvision files, safe loading, GloVe subset by streaming."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
import torch

from rsrepro.data.sources.catalog import PRETRAINED
from rsrepro.data.sources.checksums import ChecksumLock
from rsrepro.data.sources.download import fetch_source
from rsrepro.data.sources.errors import ChecksumError, SourceError
from rsrepro.pretrained.glove import glove_subset, read_vocabulary
from rsrepro.pretrained.torch_weights import load_torch_weights
from tests import realdata_fixtures
from tests.realdata_fixtures import LoopbackServer

http_server = realdata_fixtures.http_server  # the loopback-server fixture, used by name


def test_torchvision_file_name_hash_prefix_is_checked(http_server: LoopbackServer, tmp_path: Path) -> None:
    http_server.served.files["/resnet50-0676ba61.pth"] = b"not the real weights"
    cfg = {"urls": {"weights": http_server.url("/resnet50-0676ba61.pth")}}
    source = PRETRAINED["resnet50_imagenet"]
    with pytest.raises(ChecksumError, match="expected 0676ba61"):
        fetch_source(source, tmp_path / "out", tmp_path / "dl", ChecksumLock(tmp_path / "l.json"), cfg, "x")


def test_weights_load_with_weights_only(tmp_path: Path) -> None:
    path = tmp_path / "rsp.pth"
    torch.save({"model": {"fc.weight": torch.ones(2, 2)}, "epoch": 300}, path)
    assert torch.equal(load_torch_weights(path, key="model")["fc.weight"], torch.ones(2, 2))
    with pytest.raises(
        SourceError, match=r"expected a checkpoint with key 'state_dict', found \['epoch', 'model'\]"
    ):
        load_torch_weights(path, key="state_dict")


def test_pickled_objects_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.pth"
    torch.save({"model": {}, "args": io.StringIO("arbitrary object")}, path)
    with pytest.raises(SourceError, match="weights_only=True"):
        load_torch_weights(path)


def test_glove_subset_streams_the_zip(tmp_path: Path) -> None:
    lines = ["the 0.1 0.2 0.3", ". . . 1 1 1", "runway 0.5 0.5 0.5", "plane 9 9 9"]
    archive = tmp_path / "glove.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("glove.840B.3d.txt", "\n".join(lines) + "\n")
    vocab = tmp_path / "vocab.json"
    vocab.write_text(json.dumps({"word2idx": {"runway": 1, "the": 2, "tarmac": 3, ". . .": 4}}))
    words = read_vocabulary(vocab)
    assert words == ["", "runway", "the", "tarmac", ". . ."]
    vectors, found = glove_subset(archive, words, dim=3)
    assert found.tolist() == [False, True, True, False, True]
    assert vectors[1].tolist() == pytest.approx([0.5, 0.5, 0.5]) and not vectors[3].any()
