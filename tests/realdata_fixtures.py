"""Fixtures of the real-data tests: a loopback HTTP server and small stand-ins of the real datasets in
their published layouts (written by :mod:`rsrepro.data.standin`)."""

from __future__ import annotations

import contextlib
import io
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from rsrepro.data.sources.catalog import DATASETS
from rsrepro.data.standin import (
    CaptionedImage,
    Sentence,
    ZeroShotLists,
    write_folder_dataset,
    write_rssdivcs,
)
from rsrepro.data.standin.files import encode_image

SHARED = Path(__file__).resolve().parents[2] / "shared"
SWAN_LISTS = SHARED / "fixtures" / "swan-precomp"


@dataclass
class Served:
    """What the loopback server serves; ``cut_once`` paths drop the connection halfway on first request."""

    files: dict[str, bytes] = field(default_factory=dict)
    cut_once: set[str] = field(default_factory=set)
    ranges: list[tuple[str, str | None]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    served: Served

    def do_GET(self) -> None:
        body = self.served.files.get(self.path)
        range_header = self.headers.get("Range")
        self.served.ranges.append((self.path, range_header))
        if body is None:
            self.send_error(404)
            return
        start = int(range_header.split("=")[1].split("-")[0]) if range_header else 0
        self.send_response(206 if range_header else 200)
        if range_header:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.send_header("Content-Length", str(len(body) - start))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if self.path in self.served.cut_once:
            self.served.cut_once.discard(self.path)
            self.wfile.write(body[start : len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(1)  # the connection ends mid-transfer (FIN after half)
            self.close_connection = True
            return
        self.wfile.write(body[start:])

    def log_message(self, *args: object) -> None:
        pass


@dataclass
class LoopbackServer:
    base: str
    served: Served

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


@contextlib.contextmanager
def loopback_server() -> Iterator[LoopbackServer]:
    """An HTTP server on 127.0.0.1 (a free port) serving ``served.files`` from memory."""
    served = Served()
    handler = type("Handler", (_Handler,), {"served": served})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield LoopbackServer(f"http://127.0.0.1:{server.server_address[1]}", served)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def http_server() -> Iterator[LoopbackServer]:
    with loopback_server() as server:
        yield server


def random_images(n: int, size: int = 8, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return list(rng.integers(0, 256, (n, size, size, 3), dtype=np.uint8))


def image_bytes(suffix: str, size: int = 12, seed: int = 0) -> bytes:
    return encode_image(random_images(1, size, seed)[0], suffix)


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def folder_standin(name: str, out_dir: Path, per_class: int) -> dict[str, Path]:
    """A folder-per-class dataset with every published class and ``per_class`` images each."""
    n_classes = len(DATASETS[name].classes)
    labels = np.repeat(np.arange(n_classes), per_class).tolist()
    return write_folder_dataset(name, out_dir, random_images(len(labels)), labels)


def captioned(filename: str, split: str) -> CaptionedImage:
    return CaptionedImage(filename, split, tuple(Sentence(f"A {filename} caption {j}.") for j in range(5)))


RSSDIVCS_SPLITS = {"60/10": 10, "50/20": 20, "40/30": 30}  # split -> unseen classes (the last ones)


def rssdivcs_standin(out_dir: Path, n_attributes: int = 6) -> dict[str, object]:
    """RSSDIVCS with its 70 classes, two images each: per split the last classes unseen, and of each
    seen class the first image in train_zsl/train_gzsl, the second in test_seen. Returns the files and
    the truth a converter must reproduce."""
    classes = [f"class_{c:02d}" for c in range(DATASETS["rssdivcs"].class_count)]
    labels = np.repeat(np.arange(len(classes)), 2)
    att = np.random.default_rng(1).random((len(classes), n_attributes))
    splits = {}
    for split, n_unseen in RSSDIVCS_SPLITS.items():
        seen = labels < len(classes) - n_unseen
        first = np.arange(len(labels)) % 2 == 0
        train = np.flatnonzero(seen & first)
        splits[split] = ZeroShotLists(
            train=train,
            train_gzsl=train,
            test_seen=np.flatnonzero(seen & ~first),
            test_unseen=np.flatnonzero(~seen),
        )
    groups = {"functions": [0, 1], "materials": [2, 3], "surface_properties": [4, 5]}
    files = write_rssdivcs(out_dir, random_images(len(labels)), labels.tolist(), classes, splits, att, groups)
    return {"files": files, "classes": classes, "labels": labels, "att": att, "splits": splits}
